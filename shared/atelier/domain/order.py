"""The Order aggregate and its state machine (DESIGN.md section 3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from atelier.domain.catalog import CustomizationRange, Product
from atelier.domain.customization import Customization, ReviewReason
from atelier.domain.errors import ConflictError, IllegalTransitionError
from atelier.domain.ids import new_event_id
from atelier.domain.pricing import Amounts

PAYMENT_WINDOW = timedelta(hours=24)


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    IN_REVIEW = "IN_REVIEW"
    IN_PRODUCTION = "IN_PRODUCTION"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


S = OrderStatus

# Every legal move, with what causes it. A move not listed here is refused, whoever asks.
TRANSITIONS: dict[tuple[OrderStatus | None, OrderStatus], str] = {
    (None, S.PENDING_PAYMENT): "customer places the order",
    (S.PENDING_PAYMENT, S.IN_PRODUCTION): "payment confirmed, request agreed automatically",
    (S.PENDING_PAYMENT, S.IN_REVIEW): "payment confirmed, review required",
    (S.PENDING_PAYMENT, S.EXPIRED): "payment deadline passed",
    (S.PENDING_PAYMENT, S.CANCELLED): "customer cancels",
    (S.EXPIRED, S.IN_PRODUCTION): "a payment made in time arrives late",
    (S.EXPIRED, S.IN_REVIEW): "a payment made in time arrives late",
    (S.IN_REVIEW, S.IN_PRODUCTION): "staff accept, or the surcharge is paid",
    (S.IN_REVIEW, S.CANCELLED): "staff decline, or the surcharge is declined or lapses",
    (S.IN_PRODUCTION, S.CANCELLED): "staff cancel a paid order",
    (S.IN_PRODUCTION, S.SHIPPED): "staff ship",
    (S.SHIPPED, S.DELIVERED): "delivery recorded",
    (S.DELIVERED, S.IN_PRODUCTION): "a quality claim is approved",
}


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
class Shipment:
    carrier: str
    tracking_number: str
    shipped_at: datetime
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One transition: who, when, from, to, why; and the domain event it publishes."""

    version: int  # the order's version this transition produced: orders the history
    at: datetime
    actor: str
    from_status: OrderStatus | None
    to_status: OrderStatus
    reason: str
    event_type: str
    event_id: str


@dataclass(frozen=True)
class Persisted:
    status: OrderStatus
    version: int
    due: tuple[tuple[str, datetime], ...]


@dataclass
class Order:
    order_id: str
    customer_id: str
    status: OrderStatus
    product_id: str
    product: ProductSnapshot
    size: str | None
    customization: Customization
    contact: Contact
    shipping_address: Address
    amounts: Amounts
    terms_version: str
    created_at: datetime
    payment_due_at: datetime
    review: Review
    version: int = 1
    paid_at: datetime | None = None
    ship_by: date | None = None
    delay: Delay | None = None
    shipment: Shipment | None = None
    checkout: Checkout | None = None
    # Transitions made since load, committed with the order in one transaction.
    new_history: list[HistoryEntry] = field(default_factory=list, compare=False, repr=False)
    # What storage holds, as last read or written: the condition of the next save.
    persisted: Persisted | None = field(default=None, compare=False, repr=False)

    @classmethod
    def place(
        cls,
        *,
        order_id: str,
        customer_id: str,
        product: Product,
        size: str | None,
        customization: Customization,
        reasons: list[ReviewReason],
        contact: Contact,
        shipping_address: Address,
        amounts: Amounts,
        terms_version: str,
        checkout: Checkout,
        now: datetime,
    ) -> Order:
        order = cls(
            order_id=order_id,
            customer_id=customer_id,
            status=S.PENDING_PAYMENT,
            product_id=product.product_id,
            product=ProductSnapshot.of(product),
            size=size,
            customization=customization,
            contact=contact,
            shipping_address=shipping_address,
            amounts=amounts,
            terms_version=terms_version,
            created_at=now,
            payment_due_at=now + PAYMENT_WINDOW,
            review=Review(required=bool(reasons), reasons=tuple(reasons)),
            checkout=checkout,
            version=0,
        )
        order._record(None, S.PENDING_PAYMENT, "customer", "order placed", "OrderPlaced", now)
        return order

    # ------------------------------------------------------------------ reading

    def effective_status(self, now: datetime) -> OrderStatus:
        """P3: an unpaid order past its deadline is expired even before the sweep records it."""
        if self.status is S.PENDING_PAYMENT and now > self.payment_due_at:
            return S.EXPIRED
        return self.status

    def open_checkout(self, now: datetime) -> Checkout | None:
        """The checkout to pay with, while a payment is due."""
        return self.checkout if self.effective_status(now) is S.PENDING_PAYMENT else None

    def due_entries(self) -> dict[str, datetime]:
        """Deadlines this order is waiting on, by kind (the sparse due index mirrors this)."""
        if self.status is S.PENDING_PAYMENT:
            return {"PAYMENT": self.payment_due_at}
        return {}

    def mark_persisted(self) -> None:
        """Storage now holds this state: pending history is committed."""
        self.new_history.clear()
        self.persisted = Persisted(self.status, self.version, tuple(self.due_entries().items()))

    # ------------------------------------------------------------------ transitions

    def cancel_by_customer(self, now: datetime) -> None:
        """Only an unpaid order inside its payment window can be cancelled by the customer."""
        current = self.effective_status(now)
        if current is not S.PENDING_PAYMENT:
            raise ConflictError(
                f"An order that is {current} cannot be cancelled by the customer; only an order "
                "awaiting payment, before its deadline, can.",
                code="ORDER_NOT_CANCELLABLE",
                details={"status": current},
            )
        self._move(S.CANCELLED, "customer", "cancelled by the customer", "OrderCancelled", now)

    def _move(
        self, to: OrderStatus, actor: str, reason: str, event_type: str, now: datetime
    ) -> None:
        self._record(self.status, to, actor, reason, event_type, now)

    def _record(
        self,
        from_status: OrderStatus | None,
        to: OrderStatus,
        actor: str,
        reason: str,
        event_type: str,
        now: datetime,
    ) -> None:
        if (from_status, to) not in TRANSITIONS:
            raise IllegalTransitionError(
                f"An order cannot go from {from_status} to {to}.",
                details={"from": from_status, "to": to},
            )
        self.status = to
        self.version += 1
        self.new_history.append(
            HistoryEntry(
                self.version, now, actor, from_status, to, reason, event_type, new_event_id(now)
            )
        )
