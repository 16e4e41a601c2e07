"""The Order aggregate and its state machine (DESIGN.md section 3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.catalog import CustomizationRange, Product
from atelier.domain.customization import Customization, ReviewReason
from atelier.domain.errors import ConflictError, IllegalTransitionError
from atelier.domain.ids import new_event_id
from atelier.domain.pricing import Price

PAYMENT_WINDOW = timedelta(hours=24)
# A fresh checkout is only worth giving while this much of the payment window is left.
MIN_CHECKOUT_WINDOW = timedelta(minutes=30)


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
class Payment:
    """Money the provider took for this order. `accepted`: it paid the order; otherwise it was
    not a valid payment (late, wrong amount, nothing left to pay) and was refunded."""

    payment_intent: str
    amount_cents: int
    currency: str
    paid_at: datetime
    accepted: bool
    refunded_cents: int = 0


@dataclass(frozen=True)
class IncomingPayment:
    """A payment as the provider reports it."""

    payment_intent: str
    amount_cents: int
    currency: str  # upper case
    paid_at: datetime  # the provider's event time: what P3's deadline is compared with
    session_id: str | None = None


class PaymentVerdict(StrEnum):
    CONFIRM = "confirm"
    DUPLICATE = "duplicate"  # this payment is already recorded
    LATE = "late"  # made after the deadline (P3): refunded
    NOT_PAYABLE = "not_payable"  # cancelled, or already paid: refunded
    WRONG_AMOUNT = "wrong_amount"  # not the amount due: flagged and refunded


REFUND_REASONS = {
    PaymentVerdict.LATE: "payment made after the payment deadline",
    PaymentVerdict.NOT_PAYABLE: "payment for an order that is not awaiting payment",
    PaymentVerdict.WRONG_AMOUNT: "payment amount or currency differs from the amount due",
}


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


@dataclass(frozen=True)
class Persisted:
    status: OrderStatus
    version: int
    due: tuple[tuple[str, datetime], ...]
    payments: int
    checkout_session: str | None


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
    price: Price
    terms_version: str
    created_at: datetime
    payment_due_at: datetime
    review: Review
    version: int = 1
    payments: tuple[Payment, ...] = ()
    flags: tuple[str, ...] = ()  # for staff attention, e.g. DISPUTED
    reminder_at: datetime | None = None  # P11 payment reminder, until sent
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
        price: Price,
        terms_version: str,
        checkout: Checkout,
        now: datetime,
        reminder_lead: timedelta = timedelta(hours=4),
    ) -> Order:
        due = now + PAYMENT_WINDOW
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
            price=price,
            terms_version=terms_version,
            created_at=now,
            payment_due_at=due,
            review=Review(required=bool(reasons), reasons=tuple(reasons)),
            checkout=checkout,
            reminder_at=due - reminder_lead if reminder_lead < PAYMENT_WINDOW else None,
            version=0,
        )
        order._record(
            "OrderPlaced",
            "customer",
            "order placed",
            now,
            to=S.PENDING_PAYMENT,
            data={"total_cents": price.total_cents, "review_required": bool(reasons)},
        )
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

    @property
    def paid_cents(self) -> int:
        return sum(p.amount_cents for p in self.payments)

    @property
    def refunded_cents(self) -> int:
        return sum(p.refunded_cents for p in self.payments)

    @property
    def is_paid(self) -> bool:
        return any(p.accepted for p in self.payments)

    def due_entries(self) -> dict[str, datetime]:
        """Deadlines this order is waiting on, by kind (the sparse due index mirrors this)."""
        due: dict[str, datetime] = {}
        if self.status is S.PENDING_PAYMENT:
            due["PAYMENT"] = self.payment_due_at
            if self.reminder_at is not None:
                due["REMINDER"] = self.reminder_at
        return due

    def mark_persisted(self) -> None:
        """Storage now holds this state: pending history is committed."""
        self.new_history.clear()
        self.persisted = Persisted(
            self.status,
            self.version,
            tuple(self.due_entries().items()),
            len(self.payments),
            self.checkout.session_id if self.checkout else None,
        )

    # ------------------------------------------------------------------ customer

    def require_customer_can_cancel(self, now: datetime) -> None:
        """Only an unpaid order inside its payment window can be cancelled by the customer."""
        current = self.effective_status(now)
        if current is not S.PENDING_PAYMENT:
            raise ConflictError(
                f"An order that is {current} cannot be cancelled by the customer; only an order "
                "awaiting payment, before its deadline, can.",
                code="ORDER_NOT_CANCELLABLE",
                details={"status": current},
            )

    def cancel_by_customer(self, now: datetime) -> None:
        self.require_customer_can_cancel(now)
        self._record("OrderCancelled", "customer", "cancelled by the customer", now, to=S.CANCELLED)
        self.checkout = None

    def require_fresh_checkout_allowed(self, now: datetime) -> None:
        """A new checkout while at least 30 minutes of the payment window remain."""
        current = self.effective_status(now)
        if current is not S.PENDING_PAYMENT:
            raise ConflictError(
                f"An order that is {current} has nothing to pay.",
                code="NOTHING_TO_PAY",
                details={"status": current},
            )
        if self.payment_due_at - now < MIN_CHECKOUT_WINDOW:
            raise ConflictError(
                "Less than 30 minutes of the payment window remain; a new checkout could not "
                "be completed in time.",
                code="PAYMENT_WINDOW_CLOSING",
                details={"payment_due_at": self.payment_due_at.isoformat()},
            )

    def replace_checkout(self, checkout: Checkout, now: datetime) -> None:
        self.require_fresh_checkout_allowed(now)
        self.checkout = checkout
        self.version += 1

    # ------------------------------------------------------------------ payments (P3, P4)

    def assess_payment(self, incoming: IncomingPayment) -> PaymentVerdict:
        """What a payment the provider reports means for this order; changes nothing."""
        if any(p.payment_intent == incoming.payment_intent for p in self.payments):
            return PaymentVerdict.DUPLICATE
        if self.status not in (S.PENDING_PAYMENT, S.EXPIRED) or self.is_paid:
            return PaymentVerdict.NOT_PAYABLE
        if incoming.paid_at > self.payment_due_at:
            return PaymentVerdict.LATE
        if (incoming.amount_cents, incoming.currency.upper()) != (
            self.price.total_cents,
            self.price.currency,
        ):
            return PaymentVerdict.WRONG_AMOUNT
        return PaymentVerdict.CONFIRM

    def confirm_payment(
        self, incoming: IncomingPayment, now: datetime, calendar: WorkingCalendar
    ) -> None:
        """P4: paid and agreed goes to production (ship_by counted from now); paid but not
        agreed goes to a designer. A payment made in time reinstates an expired order."""
        verdict = self.assess_payment(incoming)
        if verdict is not PaymentVerdict.CONFIRM:
            raise ConflictError(f"This payment cannot be confirmed: {verdict}.", code="NOT_PAYABLE")
        reinstated = self.status is S.EXPIRED
        self.payments += (
            Payment(
                incoming.payment_intent,
                incoming.amount_cents,
                incoming.currency.upper(),
                incoming.paid_at,
                accepted=True,
            ),
        )
        self.paid_at = incoming.paid_at
        self.checkout = None
        self.reminder_at = None
        reason = "payment confirmed"
        if reinstated:
            reason = "payment made before the deadline arrived after the order expired"
        if self.review.required:
            to = S.IN_REVIEW
        else:
            to = S.IN_PRODUCTION
            self.ship_by = calendar.ship_by(now)
        self._record(
            "PaymentConfirmed",
            "payment-provider",
            reason,
            now,
            to=to,
            data={
                "paid_cents": incoming.amount_cents,
                "ship_by": self.ship_by.isoformat() if self.ship_by else None,
                "review_required": self.review.required,
            },
        )

    def refuse_payment(
        self, incoming: IncomingPayment, verdict: PaymentVerdict, refund_id: str, now: datetime
    ) -> None:
        """A payment that does not pay this order: recorded as refunded, the order unchanged."""
        self.payments += (
            Payment(
                incoming.payment_intent,
                incoming.amount_cents,
                incoming.currency.upper(),
                incoming.paid_at,
                accepted=False,
                refunded_cents=incoming.amount_cents,
            ),
        )
        if verdict is PaymentVerdict.WRONG_AMOUNT and "PAYMENT_AMOUNT_MISMATCH" not in self.flags:
            self.flags += ("PAYMENT_AMOUNT_MISMATCH",)
        self._record(
            "RefundIssued",
            "system",
            REFUND_REASONS[verdict],
            now,
            data={"refund_cents": incoming.amount_cents, "refund_id": refund_id},
        )

    def record_payment_failure(self, now: datetime) -> bool:
        """An asynchronous payment failed; the order stays payable. False: nothing to record."""
        if self.effective_status(now) is not S.PENDING_PAYMENT:
            return False
        self._record("PaymentFailed", "payment-provider", "the payment failed", now)
        return True

    def record_provider_refund(
        self, payment_intent: str, refunded_total_cents: int, now: datetime
    ) -> bool:
        """The provider reports how much of a payment it has refunded in all (a refund made in
        the provider's dashboard, or one of ours coming back). False: nothing new."""
        for index, payment in enumerate(self.payments):
            if payment.payment_intent != payment_intent:
                continue
            if refunded_total_cents <= payment.refunded_cents:
                return False
            added = min(refunded_total_cents, payment.amount_cents) - payment.refunded_cents
            updated = replace(payment, refunded_cents=payment.refunded_cents + added)
            self.payments = (*self.payments[:index], updated, *self.payments[index + 1 :])
            self._record(
                "RefundIssued",
                "payment-provider",
                "refund recorded by the payment provider",
                now,
                data={"refund_cents": added, "refund_id": None},
            )
            return True
        return False

    def flag_dispute(self, payment_intent: str, now: datetime) -> bool:
        """A chargeback was opened: flag the order for staff. False: already flagged."""
        if "DISPUTED" in self.flags:
            return False
        self.flags += ("DISPUTED",)
        self._record(
            "PaymentDisputed",
            "payment-provider",
            "the customer's bank opened a dispute",
            now,
            data={"payment_intent": payment_intent},
        )
        return True

    def expire(self, now: datetime, actor: str) -> bool:
        """P3: an order still unpaid after its deadline expires. False: not (or no longer) due."""
        if self.status is not S.PENDING_PAYMENT or now <= self.payment_due_at:
            return False
        self._record("OrderExpired", actor, "payment deadline passed", now, to=S.EXPIRED)
        self.checkout = None
        self.reminder_at = None
        return True

    def send_payment_reminder(self, now: datetime) -> bool:
        """P11: one reminder before the deadline. False: not due, already sent, or moot."""
        if (
            self.effective_status(now) is not S.PENDING_PAYMENT
            or self.reminder_at is None
            or now < self.reminder_at
        ):
            return False
        self.reminder_at = None
        self._record(
            "PaymentReminderDue",
            "system",
            "payment reminder",
            now,
            data={"payment_due_at": self.payment_due_at.isoformat()},
        )
        return True

    # ------------------------------------------------------------------ recording

    def _record(
        self,
        event_type: str,
        actor: str,
        reason: str,
        now: datetime,
        *,
        to: OrderStatus | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one history entry (and so one domain event); `to` makes it a transition,
        which must be declared in TRANSITIONS."""
        from_status = self.status if self.version else None
        if to is not None and (from_status, to) not in TRANSITIONS:
            raise IllegalTransitionError(
                f"An order cannot go from {from_status} to {to}.",
                details={"from": from_status, "to": to},
            )
        if to is not None:
            self.status = to
        self.version += 1
        self.new_history.append(
            HistoryEntry(
                self.version,
                now,
                actor,
                from_status,
                self.status,
                reason,
                event_type,
                new_event_id(now),
                dict(data or {}),
            )
        )
