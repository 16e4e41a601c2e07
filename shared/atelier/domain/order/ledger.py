"""The payment ledger (P3, P4): payments confirmed or refused, refunds made by us or reported by
the provider, failed refunds, disputes, and cancellation with its refunds."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.errors import ConflictError, InvalidRequestError
from atelier.domain.events import EventType
from atelier.domain.order.production import ProductionWatch
from atelier.domain.order.state import S
from atelier.domain.order.values import FailedRefund, IncomingPayment, Payment, Refund


class PaymentVerdict(StrEnum):
    CONFIRM = "confirm"
    DUPLICATE = "duplicate"  # this payment is already recorded
    LATE = "late"  # made after the deadline (P3): refunded
    NOT_PAYABLE = "not_payable"  # cancelled, or already paid: refunded
    WRONG_AMOUNT = "wrong_amount"  # not the amount due: flagged and refunded


# Why an order is cancelled when its payment was refunded in full in the provider's dashboard.
REFUNDED_AT_PROVIDER = "refunded at the provider"

REFUND_REASONS = {
    PaymentVerdict.LATE: "payment made after the payment deadline",
    PaymentVerdict.NOT_PAYABLE: "payment for an order that is not awaiting payment",
    PaymentVerdict.WRONG_AMOUNT: "payment amount or currency differs from the amount due",
}


class PaymentLedger(ProductionWatch):
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


def _dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"
