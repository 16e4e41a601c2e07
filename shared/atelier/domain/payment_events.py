"""What the payment provider tells us, reduced to what the rules need: the provider's adapter
turns its own format into these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from atelier.clock import isoformat_z, parse_iso

_TIMES = ("created", "refund_created")


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

    def as_record(self) -> dict[str, Any]:
        """What is kept of a parked event: the reduced event (never the provider's payload)."""
        record = {k: v for k, v in asdict(self).items() if v is not None}
        for name in _TIMES:
            if name in record:
                record[name] = isoformat_z(record[name])
        record["kind"] = str(self.kind)
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> PaymentEvent:
        values = dict(record)
        for name in _TIMES:
            if values.get(name):
                values[name] = parse_iso(values[name])
        values["kind"] = PaymentEventKind(values["kind"])
        for name in ("amount_cents", "refunded_total_cents"):
            if values.get(name) is not None:
                values[name] = int(values[name])  # the store gives numbers back as Decimal
        return cls(**values)
