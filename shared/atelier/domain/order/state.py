"""What an order is (its fields) and what every concern reads of it; the one place a change
is recorded and the version raised."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from atelier.domain.claims import Claim, ClaimStatus
from atelier.domain.customization import Customization
from atelier.domain.due import DueKind
from atelier.domain.errors import ConflictError, IllegalTransitionError
from atelier.domain.events import EventType
from atelier.domain.ids import new_event_id
from atelier.domain.order.status import TRANSITIONS, OrderStatus
from atelier.domain.order.values import (
    Address,
    Checkout,
    Contact,
    Delay,
    HistoryEntry,
    Payment,
    ProductSnapshot,
    Review,
    Shipment,
    ShipWatch,
    Surcharge,
)
from atelier.domain.pricing import Price

S = OrderStatus
ERASED_EMAIL = "erased@invalid"


@dataclass
class OrderState:
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

    @property
    def is_paid(self) -> bool:
        return any(p.accepted for p in self.payments)

    def amount_due(self) -> tuple[int, datetime] | None:
        """What is owed now and by when: the order itself, or an agreed surcharge."""
        if self.status in (S.PENDING_PAYMENT, S.EXPIRED) and not self.is_paid:
            return self.price.total_cents, self.payment_due_at
        surcharge = self.surcharge_due()
        if surcharge is not None:
            return surcharge.cents, surcharge.due_at
        return None

    @property
    def erased(self) -> bool:
        return self.contact.email == ERASED_EMAIL

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

    def require_status(self, *allowed: OrderStatus, action: str) -> None:
        if self.status not in allowed:
            raise ConflictError(
                f"An order that is {self.status} cannot be {action}.",
                code="ILLEGAL_TRANSITION",
                details={"status": self.status},
            )

    def _flag(self, flag: str) -> None:
        if flag not in self.flags:
            self.flags += (flag,)

    def _set_claim(self, claim_id: str, **changes: Any) -> None:
        self.claims = tuple(
            replace(c, **changes) if c.claim_id == claim_id else c for c in self.claims
        )

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
        self.new_history.append(
            HistoryEntry(
                self._next_version(),
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

    def _next_version(self) -> int:
        """Every change of the order goes through here, recorded or not."""
        self.version += 1
        return self.version
