"""Domain events: what consumers (emails, staff alerts, analytics) learn of an order.

Each is a committed history entry carried to the event bus (docs/events.md): published if and
only if its change committed, with its own `event_id` for consumers to deduplicate on. Events
carry ids, statuses and amounts, never personal data: a consumer that needs the contact reads
the order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SOURCE = "atelier.orders"


class EventType(StrEnum):
    """The `detail-type` of each event on the bus, and the `event_type` of its history entry."""

    CLAIM_APPROVED = "ClaimApproved"
    CLAIM_FILED = "ClaimFiled"
    CLAIM_LAPSED = "ClaimLapsed"
    CLAIM_REJECTED = "ClaimRejected"
    CLAIM_SUBMITTED = "ClaimSubmitted"
    DELAY_RECORDED = "DelayRecorded"
    MESSAGE_POSTED = "MessagePosted"
    ORDER_CANCELLED = "OrderCancelled"
    ORDER_DECLINED = "OrderDeclined"
    ORDER_DELIVERED = "OrderDelivered"
    ORDER_EXPIRED = "OrderExpired"
    ORDER_PLACED = "OrderPlaced"
    ORDER_SHIPPED = "OrderShipped"
    PAYMENT_CONFIRMED = "PaymentConfirmed"
    PAYMENT_DISPUTED = "PaymentDisputed"
    PAYMENT_FAILED = "PaymentFailed"
    PAYMENT_REMINDER_DUE = "PaymentReminderDue"
    PERSONAL_DATA_ERASED = "PersonalDataErased"
    REFUND_FAILED = "RefundFailed"
    REFUND_ISSUED = "RefundIssued"
    REVIEW_ACCEPTED = "ReviewAccepted"
    SHIP_DEADLINE_APPROACHING = "ShipDeadlineApproaching"
    SHIP_DEADLINE_MISSED = "ShipDeadlineMissed"
    SURCHARGE_REQUESTED = "SurchargeRequested"


@dataclass(frozen=True)
class DomainEvent:
    event_id: str
    event_type: str
    order_id: str
    version: int
    at: str  # ISO 8601 UTC
    actor: str
    from_status: str | None
    to_status: str
    data: dict[str, Any] = field(default_factory=dict)

    def detail(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "order_id": self.order_id,
            "version": self.version,
            "at": self.at,
            "actor": self.actor,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "data": self.data,
        }
