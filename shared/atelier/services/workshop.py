"""The workshop's day (P4, P5, P7, P8), the staff's side: the queues, review decisions and
surcharges, cancellations with refunds, delays, shipping, delivery, messages to the customer;
and its schedules: unpaid surcharges lapsing and the ship-by watch."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from functools import partial

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.due import DueKind
from atelier.domain.errors import NotFoundError
from atelier.domain.messages import Message
from atelier.domain.order import Order, OrderStatus
from atelier.observability import logger
from atelier.ports import Clock, OrderDetails, OrderRepository, Page, PaymentGateway
from atelier.services.settlement import (
    Outcome,
    cancellation_refunds,
    close_checkout,
    save_with_parked_events,
)
from atelier.services.sweep import SweepReport, change_each_due, for_each_due


class Decision(StrEnum):
    ACCEPT = "ACCEPT"
    SURCHARGE = "SURCHARGE"
    DECLINE = "DECLINE"


@dataclass(frozen=True)
class Workshop:
    """What every staff action needs; built once per container."""

    orders: OrderRepository
    gateway: PaymentGateway
    clock: Clock
    calendar: WorkingCalendar

    def _order(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise NotFoundError(f"There is no order {order_id!r}.")
        return order

    # ---------------------------------------------------------------- staff

    def queue(self, status: OrderStatus, *, limit: int, cursor: str | None) -> Page[Order]:
        """The orders in one status, oldest first: the review, production, shipped... queues."""
        return self.orders.list_by_status(status, limit=limit, cursor=cursor)

    def details(self, order_id: str) -> OrderDetails:
        found = self.orders.details(order_id)
        if found is None:
            raise NotFoundError(f"There is no order {order_id!r}.")
        return found

    def _save(self, found: OrderDetails) -> OrderDetails:
        """Commit the order's change and answer its details as they now are: what was read
        (one consistent query) and the history the change added, without reading again."""
        added = list(found.order.new_history)
        self.orders.save(found.order)
        return replace(found, history=[*found.history, *added])

    def review(
        self,
        actor: str,
        order_id: str,
        decision: Decision,
        *,
        surcharge_cents: int | None = None,
        note: str | None = None,
    ) -> OrderDetails:
        found = self.details(order_id)
        order = found.order
        now = self.clock.now()
        if decision is Decision.ACCEPT:
            order.accept_review(actor, now, self.calendar)
        elif decision is Decision.SURCHARGE:
            order.request_surcharge(actor, surcharge_cents or 0, note or "", now)
        else:
            order.require_status(OrderStatus.IN_REVIEW, action="declined")
            order.decline(actor, note or "", cancellation_refunds(order, self.gateway, None), now)
        saved = self._save(found)
        logger.info("review decided", order_id=order_id, decision=decision, status=order.status)
        return saved

    def cancel(
        self, actor: str, order_id: str, reason: str, refund_cents: int | None
    ) -> OrderDetails:
        found = self.details(order_id)
        order = found.order
        order.require_status(OrderStatus.IN_REVIEW, OrderStatus.IN_PRODUCTION, action="cancelled")
        refunds = cancellation_refunds(order, self.gateway, refund_cents)
        order.cancel_by_staff(actor, reason, refunds, self.clock.now())
        saved = self._save(found)
        logger.info("order cancelled by staff", order_id=order_id, refund_cents=refund_cents)
        return saved

    def delay(self, actor: str, order_id: str, reason: str, expected: date) -> OrderDetails:
        found = self.details(order_id)
        order = found.order
        order.record_delay(actor, reason, expected, self.clock.now(), self.calendar)
        return self._save(found)

    def ship(self, actor: str, order_id: str, carrier: str, tracking_number: str) -> OrderDetails:
        found = self.details(order_id)
        order = found.order
        order.ship(actor, carrier, tracking_number, self.clock.now())
        return self._save(found)

    def deliver(self, actor: str, order_id: str, delivered_at: datetime | None) -> OrderDetails:
        """`delivered_at` left out is now: staff record a delivery as they learn of it."""
        found = self.details(order_id)
        order = found.order
        now = self.clock.now()
        order.deliver(actor, delivered_at or now, now, self.calendar)
        return self._save(found)

    def post_message(self, actor: str, order_id: str, text: str) -> Message:
        """P8: a message to the customer about their order."""
        self._order(order_id)
        message = Message.post(order_id, "staff", actor, text, self.clock.now())
        self.orders.add_message(message)
        logger.info("message posted", order_id=order_id, author="staff")
        return message

    # ---------------------------------------------------------------- schedules

    def lapse_surcharges(self, report: SweepReport) -> SweepReport:
        """P5: a surcharge unpaid after 24 h cancels the order with a full refund."""
        now = self.clock.now()
        for_each_due(self.orders, DueKind.SURCHARGE, now, report, partial(self._lapse_one, now=now))
        return report

    def _lapse_one(self, order_id: str, *, now: datetime) -> str:
        order = self._order(order_id)
        if not order.surcharge_lapsed(now):
            return "skipped"
        # P5 as P3: close the surcharge checkout first; a surcharge paid in time whose webhook
        # has not arrived yet is taken, not lapsed.
        if close_checkout(order, self.gateway, now, self.calendar) is Outcome.CONFIRMED:
            save_with_parked_events(order, self.orders, self.gateway, now, self.calendar)
            return "paid"
        order.lapse_surcharge(cancellation_refunds(order, self.gateway, None), now)
        save_with_parked_events(order, self.orders, self.gateway, now, self.calendar)
        return "lapsed"

    def watch_ship_deadlines(self, report: SweepReport) -> SweepReport:
        """P7: the warning the working day before, and the late notice once it has passed."""
        now = self.clock.now()
        orders = self.orders
        change_each_due(
            orders, DueKind.SHIP_WARNING, now, report, lambda o: o.warn_ship_deadline(now), "warned"
        )
        change_each_due(
            orders, DueKind.SHIP_LATE, now, report, lambda o: o.report_late(now), "late"
        )
        return report
