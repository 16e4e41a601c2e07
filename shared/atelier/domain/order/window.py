"""The payment window (P3, P11): checkouts, the customer's cancellation, the reminder and the
expiry of an order left unpaid."""

from __future__ import annotations

from datetime import datetime, timedelta

from atelier.domain.errors import ConflictError
from atelier.domain.events import EventType
from atelier.domain.order.state import OrderState, S
from atelier.domain.order.values import Checkout

PAYMENT_WINDOW = timedelta(hours=24)
# A fresh checkout is only worth giving while this much of the payment window is left.
MIN_CHECKOUT_WINDOW = timedelta(minutes=30)


class PaymentWindow(OrderState):
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
        self._next_version()

    def offer_checkout(self, checkout: Checkout) -> None:
        """A fresh checkout for what is still due, after a refused payment used up the last
        one (a paid session cannot be paid again); the caller checked the window."""
        if self.amount_due() is None:
            raise ConflictError("This order has nothing to pay.", code="NOTHING_TO_PAY")
        self.checkout = checkout

    def record_payment_failure(self, now: datetime) -> bool:
        """An asynchronous payment failed; the order stays payable. False: nothing to record."""
        if self.effective_status(now) is not S.PENDING_PAYMENT:
            return False
        self._record(EventType.PAYMENT_FAILED, "payment-provider", "the payment failed", now)
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
