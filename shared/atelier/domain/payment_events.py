"""What the payment provider tells us, reduced to what the rules need: the provider's adapter
turns its own format into these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PaymentEventKind(StrEnum):
    PAID = "paid"
    FAILED = "failed"
    SESSION_EXPIRED = "session_expired"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"
    DISPUTED = "disputed"
    IGNORED = "ignored"


@dataclass(frozen=True)
class PaymentEvent:
    """A provider's event, reduced to what the rules need (the adapter parses the format)."""

    event_id: str  # namespaced by provider, e.g. "stripe:evt_123"
    kind: PaymentEventKind
    created: datetime
    provider_type: str  # the provider's own name for the event, for logs
    order_id: str | None = None
    session_id: str | None = None
    payment_intent: str | None = None
    amount_cents: int | None = None
    currency: str | None = None
    refunded_total_cents: int | None = None
    refund_id: str | None = None  # REFUND_FAILED: the refund that did not go through
    refund_created: datetime | None = None  # ... and when it was made
    failure_reason: str | None = None  # ... and why, as the provider says (for staff)
