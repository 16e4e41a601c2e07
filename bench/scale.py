"""Scale on paper, checked by a simulation: which limit the shop meets first as it grows.

What one order costs is measured, not assumed: the whole-order lifecycles of bench.operations
(the table's stream delivered to event_relay, the bus to the notifier) give each order's write
units on every index partition, its emails, API calls and function invocations. Those are
multiplied by the busiest moment of a shop at the design point, grown by each factor, and set
against the published limits (docs/scale.md has the sources). The answer is the growth at which
each limit is reached, as a multiple of the design point.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bench.operations import Lifecycle

# ---------------------------------------------------------------- the design point (docs/scale.md)


@dataclass(frozen=True)
class DesignPoint:
    """A small workshop's busiest day, what Atelier is sized for today."""

    orders_per_day: float = 100
    busiest_hour_share: float = 0.3  # of a day's orders, in its busiest hour (a launch)
    burst: float = 5.0  # the busiest minute, against that hour's average
    storefront_reads_per_order: float = 20  # catalog, product and order reads per order placed
    hottest_route_share: float = 0.4  # of an order's API calls, on its most used route
    lambda_seconds: float = 0.3  # a warm invocation's duration in AWS (SDK calls included)
    unpaid_share: float = 0.3  # of orders placed, left unpaid until the sweep expires them
    provider_call_seconds: float = 0.3  # one Stripe API round trip (closing a checkout)

    def peak_orders_per_second(self) -> float:
        return self.orders_per_day * self.busiest_hour_share / 3600 * self.burst


# ---------------------------------------------------------------- the limits (docs/scale.md)

PARTITION_WRITE_UNITS = 1000.0  # per second, one partition of a table or an index
SES_DAILY_QUOTA = 50_000.0  # messages per 24 h: a production account's start
SES_RATE = 14.0  # messages per second: the same
ROUTE_RATE = 100.0  # requests per second: template.yaml's DefaultRouteSettings
ACCOUNT_API_RATE = 10_000.0  # requests per second: API Gateway's regional account quota
LAMBDA_CONCURRENCY = 1000.0  # concurrent executions: the regional account default
SHARDING_THRESHOLD = 100.0  # shard the hot partitions if DynamoDB's limit comes sooner
SWEEP_INTERVAL_S = 300.0  # template.yaml: the expiry sweep's rate(5 minutes)
SWEEP_TIMEOUT_S = 120.0  # template.yaml: its Timeout, one run at a time (reserved concurrency 1)
DYNAMODB_CALL_SECONDS = 0.01  # one DynamoDB round trip from Lambda in the same region


@dataclass(frozen=True)
class Limit:
    name: str
    per_order_at_peak: str  # what the peak asks of it, at the design point
    headroom: float  # the growth at which it is reached (multiple of the design point)
    lift: str  # what lifts it


@dataclass(frozen=True)
class ScaleReport:
    design: DesignPoint
    orders: int  # lifecycles measured
    hottest_partitions: list[tuple[str, float]]  # index partition, write units per order
    limits: list[Limit]

    @property
    def first(self) -> Limit:
        return min(self.limits, key=lambda limit: limit.headroom)

    @property
    def first_dynamodb(self) -> Limit:
        return min(
            (limit for limit in self.limits if limit.name.startswith("DynamoDB")),
            key=lambda limit: limit.headroom,
        )


def _per_order(
    lifecycles: Iterable[Lifecycle],
) -> tuple[int, dict[str, float], float, float, float, float]:
    taken = list(lifecycles)
    if not taken:
        raise ValueError("no lifecycle measured")
    count = len(taken)
    partitions: dict[str, float] = {}
    for lifecycle in taken:
        for name, units in lifecycle.usage.by_index_partition.items():
            partitions[name] = partitions.get(name, 0.0) + units / count
    emails = sum(lc.emails_sent for lc in taken) / count
    emails_when_paid = sum(lc.emails_when_paid for lc in taken) / count
    api_calls = sum(lc.api_calls for lc in taken) / count
    invocations = sum(sum(lc.invocations.values()) for lc in taken) / count
    return count, partitions, emails, emails_when_paid, api_calls, invocations


def analyse(lifecycles: Iterable[Lifecycle], design: DesignPoint | None = None) -> ScaleReport:
    design = design or DesignPoint()
    count, partitions, emails, emails_when_paid, api_calls, invocations = _per_order(lifecycles)
    peak = design.peak_orders_per_second()
    # A customer's own partition is written by that customer's orders only: not a hot spot.
    shared = sorted(
        ((k, v) for k, v in partitions.items() if " CUSTOMER#" not in k),
        key=lambda item: (-item[1], item[0]),
    )
    hottest, units = shared[0]
    requests = api_calls + design.storefront_reads_per_order
    later_emails = (emails - emails_when_paid) * design.orders_per_day / 86400
    peak_emails = peak * emails_when_paid + later_emails
    # Orders placed in the busiest minute expire, unpaid, 24 h later in that same minute: a run
    # must close each one's checkout at the provider (one call) and expire it (a read and a
    # transaction), one after another.
    expiring = peak * design.unpaid_share * SWEEP_INTERVAL_S
    per_expiry = design.provider_call_seconds + 2 * DYNAMODB_CALL_SECONDS
    sweep_capacity = SWEEP_TIMEOUT_S / per_expiry
    limits = [
        Limit(
            f"DynamoDB partition {hottest}",
            f"{peak * units:.3f} WCU/s of {PARTITION_WRITE_UNITS:.0f}",
            PARTITION_WRITE_UNITS / (peak * units),
            "write-shard the status and due partitions (STATUS#<s>#<n>), read in parallel",
        ),
        Limit(
            "SES daily quota",
            f"{design.orders_per_day * emails:.0f} emails/day of {SES_DAILY_QUOTA:.0f}",
            SES_DAILY_QUOTA / (design.orders_per_day * emails),
            "ask AWS for a higher sending quota (a support case; granted on a sending record)",
        ),
        # The busiest minute's orders are paid within it; their later emails (shipped,
        # delivered) come days apart, at the day's average rate.
        Limit(
            "SES sending rate",
            f"{peak_emails:.3f} emails/s of {SES_RATE:.0f}",
            SES_RATE / peak_emails,
            "the same quota case; the notifier's retries absorb a brief excess",
        ),
        Limit(
            "API route throttle",
            f"{peak * requests * design.hottest_route_share:.3f} req/s of {ROUTE_RATE:.0f}",
            ROUTE_RATE / (peak * requests * design.hottest_route_share),
            "raise DefaultRouteSettings in template.yaml (a setting; the functions scale)",
        ),
        Limit(
            "API account quota",
            f"{peak * requests:.3f} req/s of {ACCOUNT_API_RATE:.0f}",
            ACCOUNT_API_RATE / (peak * requests),
            "a Service Quotas increase; a CDN cache in front of GET /products",
        ),
        Limit(
            "Expiry sweep throughput",
            f"{expiring:.2f} orders per 5-minute run of {sweep_capacity:.0f}",
            sweep_capacity / expiring,
            "close checkouts concurrently within a run (the provider call is the wait)",
        ),
        Limit(
            "Lambda concurrency",
            f"{peak * invocations * design.lambda_seconds:.3f} of {LAMBDA_CONCURRENCY:.0f}",
            LAMBDA_CONCURRENCY / (peak * invocations * design.lambda_seconds),
            "a Service Quotas increase",
        ),
    ]
    return ScaleReport(design, count, shared[:5], limits)


def report_lines(report: ScaleReport) -> list[str]:
    d = report.design
    lines = [
        f"  design point: {d.orders_per_day:.0f} orders a day, {d.busiest_hour_share:.0%} of them "
        f"in the busiest hour, its busiest minute {d.burst:.0f}x that hour's average: "
        f"{d.peak_orders_per_second():.4f} orders/s at the peak",
        f"  per order (mean of {report.orders} measured lifecycles), hottest shared index "
        "partitions in write units: "
        + ", ".join(f"{name} {units:.1f}" for name, units in report.hottest_partitions),
    ]
    return lines
