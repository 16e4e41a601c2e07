"""Personal data (P6): when an order may be erased, and the erasure."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from atelier.domain.catalog import ExpressionOptions
from atelier.domain.errors import ConflictError
from atelier.domain.events import EventType
from atelier.domain.order.state import ERASED_EMAIL, OrderState, S
from atelier.domain.order.values import Address, Contact

ERASED = "[erased]"
# Stripe resends an event its webhook endpoint did not acknowledge for up to three days
# (docs.stripe.com/webhooks/process-undelivered-events): after that, no event for a payment
# made before an order's deadline can still reinstate it.
PAYMENT_EVENT_HORIZON = timedelta(days=3)


class Privacy(OrderState):
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
