"""The scheduled sweeps' engine: every order with a deadline of one kind due by now, from the
due index (never a Scan), each order's work counted in a report that ends as metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from atelier.domain.due import DueKind
from atelier.domain.errors import ConflictError
from atelier.domain.order import Order
from atelier.observability import logger, metrics
from atelier.ports import OrderRepository


@dataclass
class SweepReport:
    """What a scheduled run did, by result; the handlers return `as_dict()` and emit metrics."""

    RESULTS = (
        "expired",
        "paid",
        "reminded",
        "lapsed",
        "warned",
        "late",
        "skipped",
        "lost_races",
        "failed",
    )

    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def __getitem__(self, result: str) -> int:
        return self.counts[result]

    def as_dict(self) -> dict[str, Any]:
        return {**{r: self.counts[r] for r in self.RESULTS}, "failures": list(self.failures)}


def publish_report(prefix: str, report: SweepReport) -> dict[str, Any]:
    """A scheduled run's counts as metrics and one log line; the handler's return value."""
    summary = report.as_dict()
    for name, value in summary.items():
        if name != "failures":
            metrics.add_metric(name=f"{prefix}_{name}", unit=MetricUnit.Count, value=value)
    logger.info("scheduled run finished", run=prefix, **summary)
    return summary


def for_each_due(
    orders: OrderRepository,
    kind: DueKind,
    now: datetime,
    report: SweepReport,
    work: Callable[[str], str],
) -> None:
    """Run `work(order_id)` for every order with a `kind` deadline due by now (the due index,
    never a Scan), counting its results. One order failing does not stop the others."""
    for order_id in orders.due(kind, now):
        try:
            result = work(order_id)
        except ConflictError:
            # Someone (a webhook, a customer, staff) changed the order first: theirs stands.
            report.counts["lost_races"] += 1
            logger.info("scheduled work lost a race", order_id=order_id, kind=kind)
            continue
        except Exception as exc:
            report.counts["failed"] += 1
            report.failures.append(order_id)
            logger.error(
                "scheduled work failed for one order",
                order_id=order_id,
                kind=kind,
                error_type=type(exc).__name__,
                error_code=getattr(exc, "code", None),
            )
            continue
        report.counts[result] += 1


def change_each_due(
    orders: OrderRepository,
    kind: DueKind,
    now: datetime,
    report: SweepReport,
    change: Callable[[Order], bool],
    result: str,
) -> None:
    """`for_each_due` for work that is one change of the order: `change(order)` makes it and
    says whether it did (False: not due, or done already); the order is saved when it did, and
    counted as `result`, else as "skipped" (as is an order no longer there)."""

    def work(order_id: str) -> str:
        order = orders.get(order_id)
        if order is None or not change(order):
            return "skipped"
        orders.save(order)
        return result

    for_each_due(orders, kind, now, report, work)
