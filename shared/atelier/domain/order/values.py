"""The value objects an order is made of: who and where, what was bought, what was paid and
refunded, what happened."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from atelier.domain.catalog import CustomizationRange, Product
from atelier.domain.customization import ReviewReason
from atelier.domain.order.status import OrderStatus


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str | None = None


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class Checkout:
    provider: str
    url: str
    session_id: str
    expires_at: datetime


@dataclass(frozen=True)
class ProductSnapshot:
    """The product as it was when the order was placed (P2): later catalog edits never reach it."""

    name: str
    price_cents: int
    currency: str
    sizes: tuple[str, ...]
    customization: CustomizationRange

    @classmethod
    def of(cls, product: Product) -> ProductSnapshot:
        return cls(
            name=product.name,
            price_cents=product.price_cents,
            currency=product.currency,
            sizes=product.sizes,
            customization=product.customization,
        )


@dataclass(frozen=True)
class Surcharge:
    cents: int
    note: str
    due_at: datetime


@dataclass(frozen=True)
class Review:
    required: bool
    reasons: tuple[ReviewReason, ...] = ()
    surcharge: Surcharge | None = None


@dataclass(frozen=True)
class Delay:
    reason: str
    expected_ship_date: date


@dataclass(frozen=True)
class ShipWatch:
    """P7: the ship-by (or delay) date being watched, when staff are warned, when it is late,
    and whether each was already announced (each happens once per date)."""

    ship_date: date
    warn_at: datetime
    late_at: datetime
    warned: bool = False
    late: bool = False


@dataclass(frozen=True)
class Refund:
    """One payment's part of a cancellation refund. `refund_id` None: the provider refused it
    for good (the payment is disputed, or was refunded in its dashboard); nothing moved."""

    payment_intent: str
    cents: int
    refund_id: str | None


@dataclass(frozen=True)
class Shipment:
    carrier: str
    tracking_number: str
    shipped_at: datetime
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class FailedRefund:
    """A refund the provider reported failed (or canceled) after taking it: the money stayed
    with the shop. `made_at` is when the refund was made, `failed_at` when it was reported
    failed: a provider total reported between the two still counted it."""

    refund_id: str
    cents: int
    made_at: datetime | None
    failed_at: datetime

    def counted_in(self, reported_at: datetime | None) -> bool:
        if reported_at is None or reported_at >= self.failed_at:
            return False
        return self.made_at is None or self.made_at <= reported_at


@dataclass(frozen=True)
class Payment:
    """Money the provider took for this order. `accepted`: it paid the order; otherwise it was
    not a valid payment (late, wrong amount, nothing left to pay) and was refunded."""

    payment_intent: str
    amount_cents: int
    currency: str
    paid_at: datetime
    accepted: bool
    own_refunded_cents: int = 0  # our refunds of it, each once (by id), less those that failed
    provider_refunded_cents: int = 0  # the provider's last reported total for it
    refund_ids: tuple[str, ...] = ()
    provider_reported_at: datetime | None = None  # the time of that report
    failed_refunds: tuple[FailedRefund, ...] = ()

    @property
    def refunded_cents(self) -> int:
        """What the provider has refunded, as far as we know: our own refunds or its last
        reported total, whichever is more. Its total includes ours once it has reported them
        (and refunds made in its dashboard), so a refund is never counted twice, whichever of
        our record and its report comes first. A refund that failed counts in neither: ours
        leave our part when they fail, and the provider's total loses what it counted of a
        refund that failed after the report."""
        provider = self.provider_refunded_cents - sum(
            f.cents for f in self.failed_refunds if f.counted_in(self.provider_reported_at)
        )
        return min(self.amount_cents, max(self.own_refunded_cents, provider, 0))


@dataclass(frozen=True)
class IncomingPayment:
    """A payment as the provider reports it."""

    payment_intent: str
    amount_cents: int
    currency: str  # upper case
    paid_at: datetime  # the provider's event time: what P3's deadline is compared with
    session_id: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One change of the order: who, when, from, to, why; and the domain event it publishes.
    A transition changes the status; other events (a reminder, a refund) keep it."""

    version: int  # the order's version this entry produced: orders the history
    at: datetime
    actor: str
    from_status: OrderStatus | None
    to_status: OrderStatus
    reason: str
    event_type: str
    event_id: str
    data: Mapping[str, Any] = field(default_factory=dict)
