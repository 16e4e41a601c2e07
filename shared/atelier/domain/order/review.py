"""A designer's review of an out-of-range request (P4, P5): accept, accept on condition of a
surcharge the customer pays or declines within 24 hours, or decline."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.errors import ConflictError, InvalidRequestError
from atelier.domain.events import EventType
from atelier.domain.order.ledger import PaymentLedger
from atelier.domain.order.state import S
from atelier.domain.order.values import Checkout, Refund, Surcharge

SURCHARGE_WINDOW = timedelta(hours=24)


class ReviewDesk(PaymentLedger):
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
        self._next_version()

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
