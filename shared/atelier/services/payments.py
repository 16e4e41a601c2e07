"""Payments (P3, P4, P11): the provider's webhook, and the sweep that expires unpaid orders and
sends their reminders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.due import DueKind
from atelier.domain.errors import DuplicateEventError
from atelier.domain.order import Order, OrderStatus
from atelier.domain.payment_events import PaymentEvent, PaymentEventKind
from atelier.observability import logger
from atelier.ports import Clock, OrderRepository, PaymentEventReader, PaymentGateway
from atelier.services.settlement import (
    PARKABLE,
    Outcome,
    apply_to_order,
    close_checkout,
    save_with_parked_events,
)
from atelier.services.sweep import SweepReport, change_each_due, for_each_due


@dataclass(frozen=True)
class Payments:
    """The payment flow. `events` builds the webhook's reader on first use: only the webhook
    reads signed events, and the sweep should not pay for the reader's imports."""

    orders: OrderRepository
    gateway: PaymentGateway
    clock: Clock
    calendar: WorkingCalendar
    events: Callable[[], PaymentEventReader]

    def receive_webhook(self, raw_body: bytes, signature_header: str | None) -> Outcome:
        """The body's signature is verified (against every current secret, within the
        provider's tolerance of this clock) before anything in it is read."""
        return self.apply(self.events().read(raw_body, signature_header, self.clock.now()))

    def apply(self, event: PaymentEvent) -> Outcome:
        """Apply one provider event as one conditional write that also records the event id.

        An event about a payment not recorded yet (a refund, dispute or failed refund that
        came before the payment's own event) is parked under the payment intent and applied
        when the payment is recorded. Unknown orders, unknown event types and events that no
        longer fit the order are acknowledged and change nothing. A lost race raises
        ConflictError: the webhook answers 500 and the provider's retry applies the event to
        the new state.
        """
        orders = self.orders
        order = self._order_for(event)
        if order is None and event.kind in PARKABLE and event.payment_intent:
            return self._park(event)
        if order is None:
            logger.info(
                "payment event for no known order",
                event_id=event.event_id,
                event_type=event.provider_type,
            )
            return Outcome.IGNORED
        now = self.clock.now()
        outcome = apply_to_order(event, order, self.gateway, now, self.calendar)
        if outcome in (Outcome.IGNORED, Outcome.DUPLICATE):
            logger.info(
                "payment event changes nothing",
                event_id=event.event_id,
                event_type=event.provider_type,
                order_id=order.order_id,
                status=order.status,
                outcome=outcome,
            )
            return outcome
        try:
            save_with_parked_events(
                order, orders, self.gateway, now, self.calendar, event_id=event.event_id
            )
        except DuplicateEventError:
            logger.info("payment event already applied", event_id=event.event_id)
            return Outcome.DUPLICATE
        logger.info(
            "payment event applied",
            event_id=event.event_id,
            event_type=event.provider_type,
            order_id=order.order_id,
            status=order.status,
            outcome=outcome,
        )
        return outcome

    def expire_overdue(self, report: SweepReport | None = None) -> SweepReport:
        """P3: every order whose payment deadline has passed, from the due index (never a
        Scan). The provider's session is closed first; if it says the session was paid, that
        payment is applied instead. One order failing does not stop the others; a second run
        writes nothing."""
        report = report or SweepReport()
        now = self.clock.now()
        for_each_due(self.orders, DueKind.PAYMENT, now, report, partial(self._expire_one, now=now))
        return report

    def send_reminders(self, report: SweepReport | None = None) -> SweepReport:
        """P11: one reminder per unpaid order, `PAYMENT_REMINDER_LEAD_HOURS` before its
        deadline."""
        report = report or SweepReport()
        now = self.clock.now()
        change_each_due(
            self.orders,
            DueKind.REMINDER,
            now,
            report,
            lambda o: o.send_payment_reminder(now),
            "reminded",
        )
        return report

    # ------------------------------------------------------------------------- steps

    def _park(self, event: PaymentEvent) -> Outcome:
        assert event.payment_intent is not None
        kept = self.orders.park_event(event.payment_intent, event.event_id, event.as_record())
        logger.info(
            "payment event parked until its payment is recorded" if kept else "already parked",
            event_id=event.event_id,
            event_type=event.provider_type,
        )
        return Outcome.PARKED if kept else Outcome.DUPLICATE

    def _order_for(self, event: PaymentEvent) -> Order | None:
        orders = self.orders
        if event.kind in PARKABLE:
            if not event.payment_intent:
                return None
            # An order id the event names (Stripe's charges copy it from the payment intent's
            # metadata) is used when that order has the payment: one read. Otherwise (a
            # dispute, or metadata edited in the dashboard) the payment intent's pointer finds
            # the order.
            named = orders.get(event.order_id) if event.order_id else None
            if named is not None and any(
                p.payment_intent == event.payment_intent for p in named.payments
            ):
                return named
            return orders.find_by_payment_intent(event.payment_intent)
        if event.kind is PaymentEventKind.IGNORED or not event.order_id:
            return None
        return orders.get(event.order_id)

    def _expire_one(self, order_id: str, *, now: datetime) -> str:
        order = self.orders.get(order_id)
        if (
            order is None
            or order.status is not OrderStatus.PENDING_PAYMENT
            or now <= order.payment_due_at
        ):
            # Not due yet (same second), or an entry left behind: not ours to touch.
            return "skipped"
        outcome = close_checkout(order, self.gateway, now, self.calendar)
        if outcome is not Outcome.CONFIRMED:
            order.expire(now, actor="expiry-sweep")
        save_with_parked_events(order, self.orders, self.gateway, now, self.calendar)
        return "paid" if outcome is Outcome.CONFIRMED else "expired"
