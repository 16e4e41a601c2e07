"""Cost per 1,000 orders at AWS list prices, from the counts the bench measured.

Prices: us-east-1, on-demand, no free tier, as listed on 2026-11-26 on
- Lambda: https://aws.amazon.com/lambda/pricing/ (Arm, first 7.5 billion GB-s a month)
- API Gateway: https://aws.amazon.com/api-gateway/pricing/ (HTTP API, first 300 million a month)
- DynamoDB: https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class)
- EventBridge: https://aws.amazon.com/eventbridge/pricing/ (custom events, per 64 KB chunk)
- SES: https://aws.amazon.com/ses/pricing/ (outbound email, not from EC2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.operations import Lifecycle
from bench.warm import WarmReport

PRICES_CHECKED = "2026-11-26"
LAMBDA_ARM_PER_GB_SECOND = 0.0000133334
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
HTTP_API_PER_REQUEST = 1.00 / 1_000_000
DYNAMODB_PER_WRITE_UNIT = 0.625 / 1_000_000
DYNAMODB_PER_READ_UNIT = 0.125 / 1_000_000
EVENTBRIDGE_PER_EVENT = 1.00 / 1_000_000
SES_PER_EMAIL = 0.10 / 1_000

ORDERS = 1_000
# The warm timing that stands for each invocation a lifecycle makes (bench.warm's names).
EVENT_DRIVEN_TIMING = {"event_relay": "stream record", "notifier": "OrderPlaced email"}


@dataclass(frozen=True)
class Line:
    item: str
    quantity: float  # per 1,000 orders
    unit: str
    dollars: float  # per 1,000 orders


@dataclass(frozen=True)
class CostReport:
    lifecycle: str
    lines: list[Line]
    memory_mb: dict[str, int]
    missing_timings: list[str]  # invocations without a warm timing (costed at 1 ms)
    gb_seconds_per_10ms: float  # Lambda GB-s per 1,000 orders for each extra 10 ms/invocation

    @property
    def total(self) -> float:
        return sum(line.dollars for line in self.lines)

    @property
    def dollars_per_10ms(self) -> float:
        return self.gb_seconds_per_10ms * LAMBDA_ARM_PER_GB_SECOND


def per_thousand(lifecycle: Lifecycle, warm: WarmReport, memory_mb: dict[str, int]) -> CostReport:
    missing: list[str] = []
    gb_seconds = 0.0
    invocations = 0
    gb_per_10ms = 0.0
    for function, routes in lifecycle.routes.items():
        for route in routes:
            name = EVENT_DRIVEN_TIMING.get(function, route)
            p50_us = warm.p50_us(name)
            if p50_us is None:
                missing.append(f"{function}: {name}")
                p50_us = 1000.0
            billed_ms = max(1, math.ceil(p50_us / 1000))  # Lambda bills whole milliseconds
            gb = memory_mb.get(function, 128) / 1024
            gb_seconds += gb * billed_ms / 1000
            gb_per_10ms += gb * 0.010
            invocations += 1
    u = lifecycle.usage
    read_units = sum(r for r, _ in u.by_table.values())
    write_units = sum(w for _, w in u.by_table.values())
    lines = [
        Line(
            "Lambda requests",
            invocations * ORDERS,
            "requests",
            invocations * ORDERS * LAMBDA_PER_REQUEST,
        ),
        Line(
            "Lambda duration (estimate: warm in-memory p50)",
            gb_seconds * ORDERS,
            "GB-s",
            gb_seconds * ORDERS * LAMBDA_ARM_PER_GB_SECOND,
        ),
        Line(
            "API Gateway HTTP API",
            lifecycle.api_calls * ORDERS,
            "requests",
            lifecycle.api_calls * ORDERS * HTTP_API_PER_REQUEST,
        ),
        Line(
            "DynamoDB reads",
            read_units * ORDERS,
            "RRU",
            read_units * ORDERS * DYNAMODB_PER_READ_UNIT,
        ),
        Line(
            "DynamoDB writes (incl. GSIs)",
            write_units * ORDERS,
            "WRU",
            write_units * ORDERS * DYNAMODB_PER_WRITE_UNIT,
        ),
        Line(
            "EventBridge custom events",
            lifecycle.events_published * ORDERS,
            "events",
            lifecycle.events_published * ORDERS * EVENTBRIDGE_PER_EVENT,
        ),
        Line(
            "SES emails",
            lifecycle.emails_sent * ORDERS,
            "emails",
            lifecycle.emails_sent * ORDERS * SES_PER_EMAIL,
        ),
    ]
    return CostReport(
        lifecycle=lifecycle.name,
        lines=lines,
        memory_mb=memory_mb,
        missing_timings=missing,
        gb_seconds_per_10ms=gb_per_10ms * ORDERS,
    )
