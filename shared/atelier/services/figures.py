"""The shop's business figures (orders placed, paid, expired, sent to a designer), counted as
metrics from the committed domain events the outbox relays: each event is relayed once, only
after its change committed, whichever path made it (the API, the webhook, a sweep), so a retried
request, a replayed Idempotency-Key or a lost race is never counted. Not a use case: a step the
relay takes after publishing (docs/decisions.md).

Only the metric name and the count leave here: no order id, amount or anything personal is a
dimension (powertools adds its one `service` dimension)."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.metrics import MetricUnit

from atelier.domain.events import DomainEvent, EventType
from atelier.observability import metrics


def _paid(event: DomainEvent) -> bool:
    # A surcharge paid later is the same order's second payment, not another order paid.
    return event.event_type == EventType.PAYMENT_CONFIRMED and not event.data.get("surcharge")


# The metric each figure is, and the events that count for it. Statuses are compared as text:
# the relay never loads the order domain (docs/performance.md).
FIGURES: dict[str, Callable[[DomainEvent], bool]] = {
    "OrdersPlaced": lambda e: e.event_type == EventType.ORDER_PLACED,
    "OrdersPaid": _paid,
    "OrdersExpired": lambda e: e.event_type == EventType.ORDER_EXPIRED,
    "OrdersSentToReview": lambda e: _paid(e) and e.to_status == "IN_REVIEW",
}


def figures_of(event: DomainEvent) -> list[str]:
    """The figures one event counts for (an order paid and sent to review counts for both)."""
    return [name for name, counts in FIGURES.items() if counts(event)]


def count_figures(event: DomainEvent) -> None:
    for name in figures_of(event):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
