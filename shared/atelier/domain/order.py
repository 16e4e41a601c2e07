"""The Order aggregate and its state machine (docs/design.md, §4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Literal

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.catalog import CustomizationRange, ExpressionOptions, Product
from atelier.domain.claims import (
    MAX_CLAIMS_PER_ORDER,
    MAX_EVIDENCE_FILES,
    MAX_UPLOADS_PER_CLAIM,
    Claim,
    ClaimReason,
    ClaimStatus,
    Evidence,
    EvidenceStatus,
    Resolution,
    ReturnLabel,
)
from atelier.domain.customization import Customization, ReviewReason
from atelier.domain.due import DueKind
from atelier.domain.errors import ConflictError, IllegalTransitionError, InvalidRequestError
from atelier.domain.events import EventType
from atelier.domain.ids import new_event_id
from atelier.domain.pricing import Price

PAYMENT_WINDOW = timedelta(hours=24)
ERASED = "[erased]"
ERASED_EMAIL = "erased@invalid"
SURCHARGE_WINDOW = timedelta(hours=24)
# Staff are warned at the start of the working day before the ship-by date.
SHIP_WARNING_TIME = time(9, 0)
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
    (S.IN_REVIEW, S.CANCELLED): "staff decline, the surcharge is declined or lapses, or the "
    "payment is refunded in full at the provider",
    (S.IN_PRODUCTION, S.CANCELLED): "staff cancel a paid order, or it is refunded in full at "
    "the provider",
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


class PaymentVerdict(StrEnum):
    CONFIRM = "confirm"
    DUPLICATE = "duplicate"  # this payment is already recorded
    LATE = "late"  # made after the deadline (P3): refunded
    NOT_PAYABLE = "not_payable"  # cancelled, or already paid: refunded
    WRONG_AMOUNT = "wrong_amount"  # not the amount due: flagged and refunded


# Stripe resends an event its webhook endpoint did not acknowledge for up to three days
# (docs.stripe.com/webhooks/process-undelivered-events): after that, no event for a payment
# made before an order's deadline can still reinstate it.
PAYMENT_EVENT_HORIZON = timedelta(days=3)

# Why an order is cancelled when its payment was refunded in full in the provider's dashboard.
REFUNDED_AT_PROVIDER = "refunded at the provider"

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
    claims: tuple[tuple[str, ClaimStatus], ...] = ()


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
    ship_watch: ShipWatch | None = None
    claim_deadline: datetime | None = None
    claims: tuple[Claim, ...] = ()
    paid_at: datetime | None = None
    ship_by: date | None = None
    delay: Delay | None = None
    shipment: Shipment | None = None
    checkout: Checkout | None = None
    # The customer's Idempotency-Key that placed the order, while the idempotency layer may
    # still hold the answer (with personal data) under it: erasure purges that answer (P6).
    idempotency_key: str | None = None
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
        idempotency_key: str | None = None,
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
            idempotency_key=idempotency_key,
            version=0,
        )
        order._record(
            EventType.ORDER_PLACED,
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
        """The checkout to pay with, while a payment (the order, or its surcharge) is due."""
        if self.effective_status(now) is S.PENDING_PAYMENT:
            return self.checkout
        surcharge = self.surcharge_due()
        if surcharge is not None and now <= surcharge.due_at:
            return self.checkout
        return None

    def surcharge_due(self) -> Surcharge | None:
        """P5: the surcharge staff asked for, while it is neither paid nor settled otherwise."""
        surcharge = self.review.surcharge
        if self.status is S.IN_REVIEW and surcharge and self.price.surcharge_cents == 0:
            return surcharge
        return None

    @property
    def refundable_cents(self) -> int:
        return sum(p.amount_cents - p.refunded_cents for p in self.payments if p.accepted)

    @property
    def paid_cents(self) -> int:
        return sum(p.amount_cents for p in self.payments)

    @property
    def refunded_cents(self) -> int:
        return sum(p.refunded_cents for p in self.payments)

    def working_days_left(self, now: datetime, calendar: WorkingCalendar) -> int | None:
        """P7: working days from today (shop time) to the watched ship date (the latest delay's
        or ship_by); 0 on the day itself, negative once late; None when nothing is watched."""
        if self.ship_watch is None:
            return None
        return calendar.working_days_between(calendar.local_date(now), self.ship_watch.ship_date)

    @property
    def is_paid(self) -> bool:
        return any(p.accepted for p in self.payments)

    def due_entries(self) -> dict[DueKind, datetime]:
        """Deadlines this order is waiting on, by kind (the sparse due index mirrors this)."""
        due: dict[DueKind, datetime] = {}
        if self.status is S.PENDING_PAYMENT:
            due[DueKind.PAYMENT] = self.payment_due_at
            if self.reminder_at is not None:
                due[DueKind.REMINDER] = self.reminder_at
        surcharge = self.surcharge_due()
        if surcharge is not None:
            due[DueKind.SURCHARGE] = surcharge.due_at
        waiting = [c for c in self.claims if c.status is ClaimStatus.AWAITING_EVIDENCE]
        if waiting:
            due[DueKind.CLAIM] = waiting[0].claim_deadline
        watch = self.ship_watch
        if self.status is S.IN_PRODUCTION and watch is not None:
            if not watch.warned:
                due[DueKind.SHIP_WARNING] = watch.warn_at
            if not watch.late:
                due[DueKind.SHIP_LATE] = watch.late_at
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
            tuple((c.claim_id, c.status) for c in self.claims),
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
        self._record(
            EventType.ORDER_CANCELLED, "customer", "cancelled by the customer", now, to=S.CANCELLED
        )
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
        if self.erased:  # never made for an address that is gone: refunded
            return PaymentVerdict.NOT_PAYABLE
        due = self.amount_due()
        if due is None:
            return PaymentVerdict.NOT_PAYABLE
        amount_cents, deadline = due
        if incoming.paid_at > deadline:
            return PaymentVerdict.LATE
        if (incoming.amount_cents, incoming.currency.upper()) != (
            amount_cents,
            self.price.currency,
        ):
            return PaymentVerdict.WRONG_AMOUNT
        return PaymentVerdict.CONFIRM

    def amount_due(self) -> tuple[int, datetime] | None:
        """What is owed now and by when: the order itself, or an agreed surcharge."""
        if self.status in (S.PENDING_PAYMENT, S.EXPIRED) and not self.is_paid:
            return self.price.total_cents, self.payment_due_at
        surcharge = self.surcharge_due()
        if surcharge is not None:
            return surcharge.cents, surcharge.due_at
        return None

    def confirm_payment(
        self, incoming: IncomingPayment, now: datetime, calendar: WorkingCalendar
    ) -> None:
        """P4: paid and agreed goes to production (ship_by counted from now); paid but not
        agreed goes to a designer. A payment made in time reinstates an expired order."""
        verdict = self.assess_payment(incoming)
        if verdict is not PaymentVerdict.CONFIRM:
            raise ConflictError(f"This payment cannot be confirmed: {verdict}.", code="NOT_PAYABLE")
        surcharge = self.surcharge_due()
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
        self.checkout = None
        self.reminder_at = None
        data: dict[str, Any] = {"paid_cents": incoming.amount_cents, "surcharge": False}
        if surcharge is not None:
            self.price = replace(self.price, surcharge_cents=surcharge.cents)
            data["surcharge"] = True
            self._start_production(
                EventType.PAYMENT_CONFIRMED,
                "payment-provider",
                "surcharge paid",
                now,
                calendar,
                data,
            )
            return
        self.paid_at = incoming.paid_at
        reason = "payment confirmed"
        if reinstated:
            reason = "payment made before the deadline arrived after the order expired"
        data["review_required"] = self.review.required
        if not self.review.required:
            self._start_production(
                EventType.PAYMENT_CONFIRMED, "payment-provider", reason, now, calendar, data
            )
            return
        self._record(
            EventType.PAYMENT_CONFIRMED,
            "payment-provider",
            reason,
            now,
            to=S.IN_REVIEW,
            data={**data, "ship_by": None},
        )

    def refuse_payment(
        self,
        incoming: IncomingPayment,
        verdict: PaymentVerdict,
        refund_id: str | None,
        now: datetime,
    ) -> None:
        """A payment that does not pay this order: recorded and refunded, the order's status
        unchanged. `refund_id` None: the provider refused the refund; staff must act."""
        refunded = incoming.amount_cents if refund_id is not None else 0
        self.payments += (
            Payment(
                incoming.payment_intent,
                incoming.amount_cents,
                incoming.currency.upper(),
                incoming.paid_at,
                accepted=False,
                own_refunded_cents=refunded,
                refund_ids=(refund_id,) if refund_id is not None else (),
            ),
        )
        if verdict is PaymentVerdict.WRONG_AMOUNT:
            self._flag("PAYMENT_AMOUNT_MISMATCH")
        if refund_id is None:
            self._flag("REFUND_FAILED")
        if self.checkout is not None and self.checkout.session_id == incoming.session_id:
            self.checkout = None  # a paid session cannot be paid again: ask for a fresh one
        self._record(
            EventType.REFUND_ISSUED if refund_id else EventType.REFUND_FAILED,
            "system",
            REFUND_REASONS[verdict],
            now,
            data={
                "refund_cents": refunded,
                "refund_id": refund_id,
                **(
                    {}
                    if refund_id
                    else {
                        "failed_cents": incoming.amount_cents,
                        "payment_intent": incoming.payment_intent,
                    }
                ),
            },
        )

    def offer_checkout(self, checkout: Checkout) -> None:
        """A fresh checkout for what is still due, after a refused payment used up the last
        one (a paid session cannot be paid again); the caller checked the window."""
        if self.amount_due() is None:
            raise ConflictError("This order has nothing to pay.", code="NOTHING_TO_PAY")
        self.checkout = checkout

    def _flag(self, flag: str) -> None:
        if flag not in self.flags:
            self.flags += (flag,)

    def record_payment_failure(self, now: datetime) -> bool:
        """An asynchronous payment failed; the order stays payable. False: nothing to record."""
        if self.effective_status(now) is not S.PENDING_PAYMENT:
            return False
        self._record(EventType.PAYMENT_FAILED, "payment-provider", "the payment failed", now)
        return True

    def record_provider_refund(
        self,
        payment_intent: str,
        refunded_total_cents: int,
        now: datetime,
        reported_at: datetime | None = None,
    ) -> bool:
        """The provider reports how much of a payment it has refunded in all, at `reported_at`
        (a refund made in the provider's dashboard, or one of ours coming back). False:
        nothing new, or a report older than the one already recorded.

        What a refund we did not make means depends on the order (docs/payments.md): the
        order's payment refunded in full before it shipped cancels it; a part of it, or any
        refund after it shipped, flags it `REFUNDED_AT_PROVIDER` for staff."""
        for index, payment in enumerate(self.payments):
            if payment.payment_intent != payment_intent:
                continue
            last = payment.provider_reported_at
            if last is not None and reported_at is not None and reported_at < last:
                return False
            updated = replace(
                payment,
                provider_refunded_cents=refunded_total_cents,
                provider_reported_at=reported_at or last,
            )
            added = updated.refunded_cents - payment.refunded_cents
            if added <= 0:
                return False
            self.payments = (*self.payments[:index], updated, *self.payments[index + 1 :])
            self._provider_refunded(updated, added, now)
            return True
        return False

    def _provider_refunded(self, payment: Payment, added: int, now: datetime) -> None:
        unshipped = self.status in (S.IN_REVIEW, S.IN_PRODUCTION)
        if payment.accepted and unshipped and self.refundable_cents == 0:
            # Nothing paid is left: the piece must not be made (or made further).
            self.checkout = None
            self.ship_watch = None
            self._record(
                EventType.ORDER_CANCELLED,
                "payment-provider",
                REFUNDED_AT_PROVIDER,
                now,
                to=S.CANCELLED,
                data={
                    "reason": REFUNDED_AT_PROVIDER,
                    "refund_cents": added,
                    "refund_ids": [],
                    "payment_intent": payment.payment_intent,
                },
            )
            return
        data: dict[str, Any] = {"refund_cents": added, "refund_id": None}
        if payment.accepted and (unshipped or self.status in (S.SHIPPED, S.DELIVERED)):
            self._flag("REFUNDED_AT_PROVIDER")
            data["staff_alert"] = "partial" if unshipped else "after_shipment"
            data["payment_intent"] = payment.payment_intent
        self._record(
            EventType.REFUND_ISSUED,
            "payment-provider",
            "refund recorded by the payment provider",
            now,
            data=data,
        )

    def record_refund_failure(
        self,
        payment_intent: str,
        refund_id: str,
        cents: int,
        *,
        made_at: datetime | None,
        failed_at: datetime,
        failure_reason: str | None,
        now: datetime,
    ) -> bool:
        """The provider reports that a refund failed after it took it: the money stayed with
        the shop, so it no longer counts as refunded; the order is flagged `REFUND_FAILED` for
        staff. False: this failure is recorded already, or the payment is not this order's."""
        for index, payment in enumerate(self.payments):
            if payment.payment_intent != payment_intent:
                continue
            if any(f.refund_id == refund_id for f in payment.failed_refunds):
                return False
            own = payment.own_refunded_cents
            if refund_id in payment.refund_ids:
                own = max(0, own - cents)
            updated = replace(
                payment,
                own_refunded_cents=own,
                failed_refunds=(
                    *payment.failed_refunds,
                    FailedRefund(refund_id, cents, made_at, failed_at),
                ),
            )
            self.payments = (*self.payments[:index], updated, *self.payments[index + 1 :])
            self._flag("REFUND_FAILED")
            self._record(
                EventType.REFUND_FAILED,
                "payment-provider",
                "a refund failed at the payment provider",
                now,
                data={
                    "refund_cents": 0,
                    "refund_id": refund_id,
                    "failed_cents": cents,
                    "payment_intent": payment_intent,
                    "failure_reason": failure_reason,
                },
            )
            return True
        return False

    def flag_dispute(self, payment_intent: str, now: datetime) -> bool:
        """A chargeback was opened: flag the order for staff. False: already flagged."""
        if "DISPUTED" in self.flags:
            return False
        self._flag("DISPUTED")
        self._record(
            EventType.PAYMENT_DISPUTED,
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
        self._record(EventType.ORDER_EXPIRED, actor, "payment deadline passed", now, to=S.EXPIRED)
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
            EventType.PAYMENT_REMINDER_DUE,
            "system",
            "payment reminder",
            now,
            data={"payment_due_at": self.payment_due_at.isoformat()},
        )
        return True

    # ------------------------------------------------------------------ review (P4, P5)

    def require_status(self, *allowed: OrderStatus, action: str) -> None:
        if self.status not in allowed:
            raise ConflictError(
                f"An order that is {self.status} cannot be {action}.",
                code="ILLEGAL_TRANSITION",
                details={"status": self.status},
            )

    def accept_review(self, actor: str, now: datetime, calendar: WorkingCalendar) -> None:
        """Staff agree to the request as it is (any pending surcharge is waived)."""
        self.require_status(S.IN_REVIEW, action="accepted")
        self.checkout = None
        self._start_production(
            EventType.REVIEW_ACCEPTED, actor, "request accepted", now, calendar, {}
        )

    def request_surcharge(self, actor: str, cents: int, note: str, now: datetime) -> None:
        """P5: staff accept on condition of a surcharge, which the customer pays within 24 h."""
        self.require_status(S.IN_REVIEW, action="given a surcharge")
        if self.review.surcharge is not None:
            raise ConflictError(
                "A surcharge was already requested for this order.", code="SURCHARGE_PENDING"
            )
        if cents <= 0:
            raise InvalidRequestError("A surcharge must be more than $0.00.", code="BAD_SURCHARGE")
        surcharge = Surcharge(cents, note, now + SURCHARGE_WINDOW)
        self.review = replace(self.review, surcharge=surcharge)
        self._record(
            EventType.SURCHARGE_REQUESTED,
            actor,
            "surcharge requested",
            now,
            data={"surcharge_cents": cents, "due_at": surcharge.due_at.isoformat()},
        )

    def require_surcharge_payable(self, now: datetime) -> Surcharge:
        surcharge = self.surcharge_due()
        if surcharge is None:
            raise ConflictError("There is no surcharge to pay.", code="NO_SURCHARGE_DUE")
        if now > surcharge.due_at:
            raise ConflictError("The surcharge was not paid in time.", code="SURCHARGE_LAPSED")
        return surcharge

    def open_surcharge_checkout(self, checkout: Checkout, now: datetime) -> None:
        self.require_surcharge_payable(now)
        self.checkout = checkout
        self.version += 1

    def refund_plan(self, cents: int | None = None) -> list[tuple[str, int]]:
        """Which payments to refund how much, for `cents` (None: everything refundable)."""
        wanted = self.refundable_cents if cents is None else cents
        if not 0 <= wanted <= self.refundable_cents:
            raise InvalidRequestError(
                f"The refund must be between $0.00 and {_dollars(self.refundable_cents)}.",
                code="BAD_REFUND_AMOUNT",
                details={"refundable_cents": self.refundable_cents},
            )
        plan = []
        for payment in self.payments:
            if wanted == 0:
                break
            if payment.accepted and payment.amount_cents > payment.refunded_cents:
                take = min(wanted, payment.amount_cents - payment.refunded_cents)
                plan.append((payment.payment_intent, take))
                wanted -= take
        return plan

    def refund_key(self, payment_intent: str) -> str:
        """The provider's idempotency key for the refund of a payment when this order is
        cancelled. An order is cancelled once, so the key is the same for every attempt at it,
        even after unrelated changes to the order in between: a retried request finds the
        refund the provider already made instead of making a second."""
        return f"{self.order_id}-cancel-{payment_intent}"

    def decline(self, actor: str, note: str, refunds: list[Refund], now: datetime) -> None:
        """P5: staff decline the request: cancelled, fully refunded."""
        self.require_status(S.IN_REVIEW, action="declined")
        self._cancel(EventType.ORDER_DECLINED, actor, note, refunds, now, {"note": note})

    def decline_surcharge(self, refunds: list[Refund], now: datetime) -> None:
        self.require_surcharge_payable(now)
        reason = "the customer declined the surcharge"
        self._cancel(
            EventType.ORDER_CANCELLED, "customer", reason, refunds, now, {"reason": reason}
        )

    def surcharge_lapsed(self, now: datetime) -> bool:
        surcharge = self.surcharge_due()
        return surcharge is not None and now > surcharge.due_at

    def lapse_surcharge(self, refunds: list[Refund], now: datetime) -> bool:
        if not self.surcharge_lapsed(now):
            return False
        reason = "the surcharge was not paid within 24 hours"
        self._cancel(EventType.ORDER_CANCELLED, "system", reason, refunds, now, {"reason": reason})
        return True

    def cancel_by_staff(
        self, actor: str, reason: str, refunds: list[Refund], now: datetime
    ) -> None:
        """A paid order the workshop cannot make (materials unavailable, …)."""
        self.require_status(S.IN_REVIEW, S.IN_PRODUCTION, action="cancelled by staff")
        self._cancel(EventType.ORDER_CANCELLED, actor, reason, refunds, now, {"reason": reason})

    def _cancel(
        self,
        event_type: EventType,
        actor: str,
        reason: str,
        refunds: list[Refund],
        now: datetime,
        data: dict[str, Any],
    ) -> None:
        made = [r for r in refunds if r.refund_id is not None]
        for refund in made:
            self._add_refund(refund)
        refused = [r for r in refunds if r.refund_id is None]
        if refused:
            self._flag("REFUND_FAILED")
            data = {**data, "refund_failed_cents": sum(r.cents for r in refused)}
        self.checkout = None
        self.ship_watch = None
        self._record(
            event_type,
            actor,
            reason,
            now,
            to=S.CANCELLED,
            data={
                **data,
                "refund_cents": sum(r.cents for r in made),
                "refund_ids": [r.refund_id for r in made],
            },
        )

    def _add_refund(self, refund: Refund) -> None:
        for index, payment in enumerate(self.payments):
            if payment.payment_intent == refund.payment_intent:
                if refund.refund_id in payment.refund_ids:
                    return  # recorded already
                updated = replace(
                    payment,
                    own_refunded_cents=payment.own_refunded_cents + refund.cents,
                    refund_ids=(*payment.refund_ids, refund.refund_id)
                    if refund.refund_id is not None
                    else payment.refund_ids,
                )
                self.payments = (*self.payments[:index], updated, *self.payments[index + 1 :])
                return
        raise ValueError("a refund for a payment this order does not have")

    # ------------------------------------------------------------------ production (P7)

    def _start_production(
        self,
        event_type: EventType,
        actor: str,
        reason: str,
        now: datetime,
        calendar: WorkingCalendar,
        data: dict[str, Any],
    ) -> None:
        self.ship_by = calendar.ship_by(now)
        self.ship_watch = _watch(self.ship_by, calendar)
        self.delay = None  # a fresh run (a remake) carries no earlier run's delay
        self._record(
            event_type,
            actor,
            reason,
            now,
            to=S.IN_PRODUCTION,
            data={**data, "ship_by": self.ship_by.isoformat()},
        )

    def record_delay(
        self, actor: str, reason: str, expected: date, now: datetime, calendar: WorkingCalendar
    ) -> None:
        """P7: a new expected ship date, a working day after today; it replaces any earlier
        delay, and from now on it is the date watched."""
        self.require_status(S.IN_PRODUCTION, action="delayed")
        today = calendar.local_date(now)
        if not calendar.is_valid_delay_date(expected, today):
            raise InvalidRequestError(
                "The expected ship date must be a working day after today "
                f"({today.isoformat()}, shop time): not a weekend, holiday or closure.",
                code="BAD_EXPECTED_SHIP_DATE",
                details={"earliest": calendar.next_working_day_after(today).isoformat()},
            )
        self.delay = Delay(reason, expected)
        self.ship_watch = _watch(expected, calendar)
        self._record(
            EventType.DELAY_RECORDED,
            actor,
            reason,
            now,
            data={"reason": reason, "expected_ship_date": expected.isoformat()},
        )

    def warn_ship_deadline(self, now: datetime) -> bool:
        """The working day before the watched date, staff hear of it once."""
        return self._announce(
            now, "warned", EventType.SHIP_DEADLINE_APPROACHING, "ships by the next working day"
        )

    def report_late(self, now: datetime) -> bool:
        """The watched date passed with no shipment and no newer delay: once."""
        return self._announce(
            now, "late", EventType.SHIP_DEADLINE_MISSED, "not shipped by the promised date"
        )

    def _announce(
        self, now: datetime, which: Literal["warned", "late"], event_type: EventType, reason: str
    ) -> bool:
        watch = self.ship_watch
        if self.status is not S.IN_PRODUCTION or watch is None or getattr(watch, which):
            return False
        if now < (watch.warn_at if which == "warned" else watch.late_at):
            return False
        if which == "warned":
            self.ship_watch = replace(watch, warned=True)
        else:
            self.ship_watch = replace(watch, late=True)
        self._record(
            event_type, "sla-watch", reason, now, data={"ship_date": watch.ship_date.isoformat()}
        )
        return True

    def ship(self, actor: str, carrier: str, tracking_number: str, now: datetime) -> None:
        """Ships the piece; a remake for an approved claim resolves that claim (P10)."""
        self.require_status(S.IN_PRODUCTION, action="shipped")
        self.shipment = Shipment(carrier, tracking_number, now)
        self.ship_watch = None
        resolved = [c.claim_id for c in self.claims if c.status is ClaimStatus.APPROVED]
        for claim_id in resolved:
            self._set_claim(claim_id, status=ClaimStatus.RESOLVED)
        self._record(
            EventType.ORDER_SHIPPED,
            actor,
            "shipped",
            now,
            to=S.SHIPPED,
            data={
                "carrier": carrier,
                "tracking_number": tracking_number,
                "resolved_claim_ids": resolved,
            },
        )

    def deliver(
        self, actor: str, delivered_at: datetime, now: datetime, calendar: WorkingCalendar
    ) -> None:
        self.require_status(S.SHIPPED, action="marked delivered")
        assert self.shipment is not None
        if delivered_at > now or delivered_at < self.shipment.shipped_at:
            raise InvalidRequestError(
                "delivered_at must be after the shipment and not in the future.",
                code="BAD_DELIVERY_TIME",
                details={"shipped_at": self.shipment.shipped_at.isoformat()},
            )
        self.shipment = replace(self.shipment, delivered_at=delivered_at)
        self.claim_deadline = calendar.claim_deadline(delivered_at)
        self._record(
            EventType.ORDER_DELIVERED,
            actor,
            "delivered",
            now,
            to=S.DELIVERED,
            data={
                "delivered_at": delivered_at.isoformat(),
                "claim_deadline": self.claim_deadline.isoformat(),
            },
        )

    # ------------------------------------------------------------------ claims (P9, P10)

    def claim(self, claim_id: str) -> Claim:
        found = next((c for c in self.claims if c.claim_id == claim_id), None)
        if found is None:
            from atelier.domain.errors import NotFoundError

            raise NotFoundError(f"There is no claim {claim_id!r} on this order.")
        return found

    def file_claim(
        self, claim_id: str, reason: str, description: str, actor: str, now: datetime
    ) -> Claim:
        """P9/P10: a quality claim on a delivered order, until its claim deadline, one at a time."""
        parsed = ClaimReason.parse(reason)
        self.require_status(S.DELIVERED, action="claimed (only a delivered order can be)")
        deadline = self.claim_deadline
        assert deadline is not None
        if now > deadline:
            raise InvalidRequestError(
                f"The claim window closed at {deadline.isoformat()}: quality claims are filed "
                "within 7 working days of delivery.",
                code="CLAIM_WINDOW_CLOSED",
                details={"claim_deadline": deadline.isoformat()},
            )
        if any(c.is_open for c in self.claims):
            raise ConflictError("This order already has an open claim.", code="CLAIM_OPEN")
        if len(self.claims) >= MAX_CLAIMS_PER_ORDER:
            raise ConflictError(
                f"An order takes at most {MAX_CLAIMS_PER_ORDER} quality claims, and this one "
                "has had them all. Write to us in the order's messages and we will help.",
                code="CLAIM_LIMIT_REACHED",
                details={"max_claims": MAX_CLAIMS_PER_ORDER},
            )
        claim = Claim(claim_id, ClaimStatus.AWAITING_EVIDENCE, parsed, description, now, deadline)
        self.claims += (claim,)
        self._record(
            EventType.CLAIM_FILED,
            actor,
            f"quality claim: {parsed}",
            now,
            data={"claim_id": claim_id, "reason": parsed.value},
        )
        return claim

    def add_evidence(self, claim_id: str, evidence: Evidence, now: datetime) -> None:
        """A ticket for one more file (the caller checked its declared type and size)."""
        claim = self._claim_accepting_evidence(claim_id, now)
        if len(claim.evidence) >= MAX_UPLOADS_PER_CLAIM:
            raise ConflictError(
                f"This claim has had {MAX_UPLOADS_PER_CLAIM} uploads, the most a claim takes "
                "(rejected uploads count too). Submit it with the files already verified, or "
                "write to us in the order's messages to send more.",
                code="EVIDENCE_UPLOADS_EXHAUSTED",
                details={"max_uploads": MAX_UPLOADS_PER_CLAIM, "uploads": len(claim.evidence)},
            )
        live = [e for e in claim.evidence if e.status is not EvidenceStatus.REJECTED]
        if len(live) >= MAX_EVIDENCE_FILES:
            raise InvalidRequestError(
                f"A claim takes at most {MAX_EVIDENCE_FILES} files.", code="TOO_MUCH_EVIDENCE"
            )
        self._set_claim(claim_id, evidence=(*claim.evidence, evidence))
        self.version += 1

    def settle_evidence(
        self,
        claim_id: str,
        evidence_id: str,
        *,
        version_id: str,
        rejection: str | None,
    ) -> bool:
        """The uploaded bytes were checked. False: nothing to change (already verified — a
        second upload to the same ticket never replaces verified bytes)."""
        claim = self.claim(claim_id)
        current = claim.evidence_by_id(evidence_id)
        if current is None or current.status is EvidenceStatus.VERIFIED:
            return False
        if rejection is None:
            settled = replace(
                current,
                status=EvidenceStatus.VERIFIED,
                version_id=version_id,
                rejection_reason=None,
            )
        else:
            settled = replace(current, status=EvidenceStatus.REJECTED, rejection_reason=rejection)
        evidence = tuple(settled if e.evidence_id == evidence_id else e for e in claim.evidence)
        self._set_claim(claim_id, evidence=evidence)
        self.version += 1
        return True

    def submit_claim(self, claim_id: str, actor: str, now: datetime) -> None:
        claim = self._claim_accepting_evidence(claim_id, now)
        if not claim.verified:
            raise ConflictError(
                "Upload at least one photo or video, and wait until it is verified, before "
                "submitting the claim.",
                code="NO_VERIFIED_EVIDENCE",
            )
        self._set_claim(claim_id, status=ClaimStatus.SUBMITTED)
        self._record(
            EventType.CLAIM_SUBMITTED, actor, "claim submitted", now, data={"claim_id": claim_id}
        )

    def lapse_claims(self, now: datetime) -> bool:
        """P10: a claim not submitted by the deadline lapses."""
        lapsed = [
            c.claim_id
            for c in self.claims
            if c.status is ClaimStatus.AWAITING_EVIDENCE and now > c.claim_deadline
        ]
        for claim_id in lapsed:
            self._set_claim(claim_id, status=ClaimStatus.LAPSED)
            self._record(
                EventType.CLAIM_LAPSED,
                "system",
                "not submitted by the deadline",
                now,
                data={"claim_id": claim_id},
            )
        return bool(lapsed)

    def approve_claim(
        self,
        claim_id: str,
        actor: str,
        kind: str,
        return_label: ReturnLabel,
        now: datetime,
        calendar: WorkingCalendar,
    ) -> None:
        """P10: the shop remakes or replaces the piece at its cost; it ships by a new ship_by
        counted from the approval."""
        self._require_submitted(claim_id)
        self._set_claim(
            claim_id,
            status=ClaimStatus.APPROVED,
            resolution=Resolution("APPROVE", kind, None, return_label),
        )
        self.shipment = None
        self._start_production(
            EventType.CLAIM_APPROVED,
            actor,
            f"quality claim approved: {kind.lower()}",
            now,
            calendar,
            {
                "claim_id": claim_id,
                "kind": kind,
                "return_label": {
                    "carrier": return_label.carrier,
                    "reference": return_label.reference,
                },
            },
        )

    def reject_claim(self, claim_id: str, actor: str, note: str, now: datetime) -> None:
        self._require_submitted(claim_id)
        self._set_claim(
            claim_id, status=ClaimStatus.REJECTED, resolution=Resolution("REJECT", None, note, None)
        )
        self._record(
            EventType.CLAIM_REJECTED,
            actor,
            "quality claim rejected",
            now,
            data={"claim_id": claim_id, "note": note},
        )

    def _require_submitted(self, claim_id: str) -> None:
        claim = self.claim(claim_id)
        if claim.status is not ClaimStatus.SUBMITTED:
            raise ConflictError(
                f"A claim that is {claim.status} cannot be decided.",
                code="CLAIM_NOT_SUBMITTED",
                details={"status": claim.status},
            )

    def _claim_accepting_evidence(self, claim_id: str, now: datetime) -> Claim:
        claim = self.claim(claim_id)
        if claim.status is not ClaimStatus.AWAITING_EVIDENCE:
            raise ConflictError(
                f"A claim that is {claim.status} takes no more evidence.",
                code="CLAIM_NOT_OPEN_FOR_EVIDENCE",
                details={"status": claim.status},
            )
        if now > claim.claim_deadline:
            raise InvalidRequestError(
                f"The claim window closed at {claim.claim_deadline.isoformat()}.",
                code="CLAIM_WINDOW_CLOSED",
                details={"claim_deadline": claim.claim_deadline.isoformat()},
            )
        return claim

    def _set_claim(self, claim_id: str, **changes: Any) -> None:
        self.claims = tuple(
            replace(c, **changes) if c.claim_id == claim_id else c for c in self.claims
        )

    # ------------------------------------------------------------------ personal data (P6)

    def erasable(self, now: datetime) -> bool:
        """Finished for good: delivered with its claim window closed and no open claim, or
        cancelled, or recorded as expired. Amounts and history stay for the books.

        An unpaid order is not until it is recorded as expired and PAYMENT_EVENT_HORIZON has
        passed since its deadline: P3 lets a payment made in time reinstate it whenever its
        event arrives, and the provider stops resending events after that horizon. (A payment
        event for an erased order, resent by hand later still, is refunded: `assess_payment`.)"""
        if self.status is S.DELIVERED:
            closed = self.claim_deadline is not None and now > self.claim_deadline
            return closed and not any(c.is_open for c in self.claims)
        if self.status is S.EXPIRED:
            return now > self.payment_due_at + PAYMENT_EVENT_HORIZON
        return self.status is S.CANCELLED

    @property
    def erased(self) -> bool:
        return self.contact.email == ERASED_EMAIL

    def erase_personal_data(self, actor: str, now: datetime) -> bool:
        """Replace the customer's name, email, phone, address, remarks and engraving text;
        False when already erased."""
        if self.erased:
            return False
        if not self.erasable(now):
            raise ConflictError(
                "This order is still open, inside its claim window, or an unpaid order whose "
                "payment made in time may still arrive (for 3 days after its deadline); its "
                "personal data is still needed.",
                code="ORDER_STILL_ACTIVE",
                details={"status": self.status},
            )
        self.contact = Contact(ERASED, ERASED_EMAIL, None)
        self.idempotency_key = None  # the caller purges what the key kept, before and after
        self.shipping_address = Address(ERASED, ERASED, ERASED, self.shipping_address.country)
        text_expression = not isinstance(self.product.customization.expression, ExpressionOptions)
        self.customization = replace(
            self.customization,
            remarks=ERASED if self.customization.remarks else None,
            expression=ERASED
            if text_expression and self.customization.expression
            else (self.customization.expression),
        )
        self._record(EventType.PERSONAL_DATA_ERASED, actor, "personal data erased", now)
        return True

    # ------------------------------------------------------------------ recording

    def _record(
        self,
        event_type: EventType,
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


def _watch(ship_date: date, calendar: WorkingCalendar) -> ShipWatch:
    """Warn at 09:00 shop time on the working day before; late from the next day's start."""
    warn_day = calendar.previous_working_day_before(ship_date)
    zone = calendar.zone
    return ShipWatch(
        ship_date=ship_date,
        warn_at=datetime.combine(warn_day, SHIP_WARNING_TIME, tzinfo=zone).astimezone(UTC),
        late_at=datetime.combine(ship_date + timedelta(days=1), time(0), tzinfo=zone).astimezone(
            UTC
        ),
    )


def _dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"
