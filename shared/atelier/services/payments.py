"""Payments (P3, P4): applying the provider's events, and expiring unpaid orders."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import partial

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.due import DueKind
from atelier.domain.errors import DuplicateEventError, PaymentProviderRefusedError
from atelier.domain.order import (
    MIN_CHECKOUT_WINDOW,
    IncomingPayment,
    Order,
    OrderStatus,
    PaymentVerdict,
)
from atelier.domain.payment_events import PaymentEvent, PaymentEventKind
from atelier.observability import logger
from atelier.ports import Clock, OrderRepository, PaymentGateway, SessionState
from atelier.services.sweep import SweepReport, change_each_due, for_each_due

# What a refused payment's refund tells the provider, whatever the verdict (see take_payment).
PROVIDER_REFUND_REASON = "payment not accepted for the order"


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"
    RECORDED = "recorded"
    EXPIRED = "expired"
    DUPLICATE = "duplicate"
    PARKED = "parked"
    IGNORED = "ignored"


# Events about a payment that may arrive before the payment itself (Stripe does not order
# events): kept under the payment intent until the payment is recorded, never dropped.
PARKABLE = frozenset(
    {PaymentEventKind.REFUNDED, PaymentEventKind.DISPUTED, PaymentEventKind.REFUND_FAILED}
)


def apply_payment_event(
    event: PaymentEvent,
    *,
    orders: OrderRepository,
    gateway: PaymentGateway,
    clock: Clock,
    calendar: WorkingCalendar,
) -> Outcome:
    """Apply one provider event as one conditional write that also records the event id.

    An event about a payment not recorded yet (a refund, dispute or failed refund that came
    before the payment's own event) is parked under the payment intent and applied when the
    payment is recorded. Unknown orders, unknown event types and events that no longer fit the
    order are acknowledged and change nothing. A lost race raises ConflictError: the webhook
    answers 500 and the provider's retry applies the event to the new state.
    """
    order = _order_for(event, orders)
    if order is None and event.kind in PARKABLE and event.payment_intent:
        return _park(event, orders)
    if order is None:
        logger.info(
            "payment event for no known order",
            event_id=event.event_id,
            event_type=event.provider_type,
        )
        return Outcome.IGNORED
    now = clock.now()
    outcome = _decide(event, order, gateway, now, calendar)
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
        save_with_parked_events(order, orders, gateway, now, calendar, event_id=event.event_id)
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


def _park(event: PaymentEvent, orders: OrderRepository) -> Outcome:
    assert event.payment_intent is not None
    kept = orders.park_event(event.payment_intent, event.event_id, event.as_record())
    logger.info(
        "payment event parked until its payment is recorded" if kept else "already parked",
        event_id=event.event_id,
        event_type=event.provider_type,
    )
    return Outcome.PARKED if kept else Outcome.DUPLICATE


def save_with_parked_events(
    order: Order,
    orders: OrderRepository,
    gateway: PaymentGateway,
    now: datetime,
    calendar: WorkingCalendar,
    *,
    event_id: str | None = None,
) -> None:
    """Save `order`; the events parked for any payment it records since it was read are
    applied to it first and committed with it (the store refuses a new payment while events
    parked for it are left out). Every path that records a payment saves through here."""
    absorbed: dict[str, tuple[str, ...]] = {}
    for payment in orders.new_payments(order):
        records = orders.parked_events(payment.payment_intent)
        absorbed[payment.payment_intent] = tuple(str(r["event_id"]) for r in records)
        for record in records:
            parked = PaymentEvent.from_record(record)
            outcome = _decide(parked, order, gateway, now, calendar)
            logger.info(
                "parked payment event applied",
                event_id=parked.event_id,
                event_type=parked.provider_type,
                order_id=order.order_id,
                outcome=outcome,
            )
    orders.save(order, event_id=event_id, parked=absorbed)


def _order_for(event: PaymentEvent, orders: OrderRepository) -> Order | None:
    if event.kind in PARKABLE:
        if not event.payment_intent:
            return None
        # An order id the event names (Stripe's charges copy it from the payment intent's
        # metadata) is used when that order has the payment: one read. Otherwise (a dispute,
        # or metadata edited in the dashboard) the payment intent's pointer finds the order.
        named = orders.get(event.order_id) if event.order_id else None
        if named is not None and any(
            p.payment_intent == event.payment_intent for p in named.payments
        ):
            return named
        return orders.find_by_payment_intent(event.payment_intent)
    if event.kind is PaymentEventKind.IGNORED or not event.order_id:
        return None
    return orders.get(event.order_id)


def _decide(
    event: PaymentEvent,
    order: Order,
    gateway: PaymentGateway,
    now: datetime,
    calendar: WorkingCalendar,
) -> Outcome:
    """Change `order` in memory as the event says; the caller commits it."""
    if event.kind is PaymentEventKind.PAID:
        if event.payment_intent is None or event.amount_cents is None or event.currency is None:
            return Outcome.IGNORED
        incoming = IncomingPayment(
            event.payment_intent,
            event.amount_cents,
            event.currency.upper(),
            event.created,
            event.session_id,
        )
        outcome = take_payment(order, incoming, gateway, now, calendar)
        if outcome in (Outcome.REFUNDED, Outcome.REFUND_FAILED):
            _offer_fresh_checkout(order, gateway, now, after=incoming.payment_intent)
        return outcome
    if event.kind is PaymentEventKind.FAILED:
        return Outcome.RECORDED if order.record_payment_failure(now) else Outcome.IGNORED
    if event.kind is PaymentEventKind.SESSION_EXPIRED:
        current = order.checkout is not None and order.checkout.session_id == event.session_id
        if current and order.expire(now, actor="payment-provider"):
            return Outcome.EXPIRED
        return Outcome.IGNORED
    if event.kind is PaymentEventKind.REFUNDED and event.payment_intent is not None:
        recorded = order.record_provider_refund(
            event.payment_intent, event.refunded_total_cents or 0, now, event.created
        )
        if recorded and order.status is OrderStatus.CANCELLED:
            logger.warning(
                "order cancelled: refunded in full at the provider", order_id=order.order_id
            )
        return Outcome.RECORDED if recorded else Outcome.DUPLICATE
    if event.kind is PaymentEventKind.REFUND_FAILED:
        if event.payment_intent is None or event.refund_id is None or event.amount_cents is None:
            return Outcome.IGNORED
        failed = order.record_refund_failure(
            event.payment_intent,
            event.refund_id,
            event.amount_cents,
            made_at=event.refund_created,
            failed_at=event.created,
            failure_reason=event.failure_reason,
            now=now,
        )
        if failed:
            logger.warning("a refund failed at the provider", order_id=order.order_id)
        return Outcome.RECORDED if failed else Outcome.DUPLICATE
    if event.kind is PaymentEventKind.DISPUTED and event.payment_intent is not None:
        if order.flag_dispute(event.payment_intent, now):
            logger.warning("payment disputed", order_id=order.order_id, event_id=event.event_id)
            return Outcome.RECORDED
        return Outcome.DUPLICATE
    return Outcome.IGNORED


def take_payment(
    order: Order,
    incoming: IncomingPayment,
    gateway: PaymentGateway,
    now: datetime,
    calendar: WorkingCalendar,
) -> Outcome:
    """P3: a payment made in time for the amount due confirms the order; any other is
    refunded (once: the refund's idempotency key is the event's) and the order keeps its state."""
    verdict = order.assess_payment(incoming)
    if verdict is PaymentVerdict.DUPLICATE:
        return Outcome.DUPLICATE
    if verdict is PaymentVerdict.CONFIRM:
        order.confirm_payment(incoming, now, calendar)
        return Outcome.CONFIRMED
    # Keyed on the payment: every path that refuses it (webhook, sweep, cancel) shares one
    # refund at the provider. The request must be the same on every path (a provider answers a
    # key reused with other parameters with an error, not the refund), and the paths may judge
    # the payment differently (late for one, wrong amount for another): so one reason for the
    # provider; the order's history keeps the verdict.
    refund_id = refund_unless_refused(
        gateway,
        order_id=order.order_id,
        payment_intent=incoming.payment_intent,
        amount_cents=incoming.amount_cents,
        idempotency_key=f"refund-{incoming.payment_intent}",
        reason=PROVIDER_REFUND_REASON,
    )
    order.refuse_payment(incoming, verdict, refund_id, now)
    if verdict is PaymentVerdict.WRONG_AMOUNT:
        logger.warning("payment of the wrong amount refunded", order_id=order.order_id)
    return Outcome.REFUNDED if refund_id else Outcome.REFUND_FAILED


def _offer_fresh_checkout(
    order: Order, gateway: PaymentGateway, now: datetime, *, after: str
) -> None:
    """After a refused payment (of the wrong amount) that used up the order's checkout, a new
    one for what is still due, so the refund email can say where to pay.
    Only from the webhook: the sweep and a cancel close the order's checkout on purpose."""
    due = order.amount_due()
    if order.checkout is not None or due is None:
        return
    cents, deadline = due
    if deadline - now < MIN_CHECKOUT_WINDOW:
        return
    checkout = gateway.create_checkout(
        order_id=order.order_id,
        amount_cents=cents,
        currency=order.price.currency,
        expires_at=deadline,
        description=f"{order.product.name} (customized)",
        attempt=f"after-{after}",  # a retried webhook gets the same session
    )
    order.offer_checkout(checkout)
    logger.info("fresh checkout after a refused payment", order_id=order.order_id)


def refund_unless_refused(
    gateway: PaymentGateway,
    *,
    order_id: str,
    payment_intent: str,
    amount_cents: int,
    idempotency_key: str,
    reason: str,
) -> str | None:
    """The provider's refund id; None when it refuses for good (already refunded in its
    dashboard, disputed, ...), where retrying cannot help and staff must settle it."""
    try:
        return gateway.refund(
            payment_intent=payment_intent,
            amount_cents=amount_cents,
            idempotency_key=idempotency_key,
            reason=reason,
        )
    except PaymentProviderRefusedError:
        logger.warning("provider refused the refund", order_id=order_id)
        return None


def close_checkout(
    order: Order, gateway: PaymentGateway, now: datetime, calendar: WorkingCalendar
) -> Outcome | None:
    """Close the order's open session at the provider, so it can no longer be paid. If the
    provider says it was paid meanwhile, that payment is taken on `order` (the caller saves)
    and its outcome returned; None when there was nothing to take."""
    if order.checkout is None:
        return None
    session = gateway.expire_checkout(order.checkout.session_id)
    if session.state is not SessionState.COMPLETE or session.payment_intent is None:
        return None
    incoming = IncomingPayment(
        session.payment_intent,
        session.amount_cents or 0,
        (session.currency or "").upper(),
        session.paid_at or now,
        session.session_id,
    )
    return take_payment(order, incoming, gateway, now, calendar)


# ---------------------------------------------------------------------------- the sweep


def expire_overdue_orders(
    *,
    orders: OrderRepository,
    gateway: PaymentGateway,
    clock: Clock,
    calendar: WorkingCalendar,
    report: SweepReport | None = None,
) -> SweepReport:
    """P3: every order whose payment deadline has passed, from the due index (never a Scan).

    The provider's session is closed first; if it says the session was paid, that payment is
    applied instead. One order failing does not stop the others; a second run writes nothing.
    """
    report = report or SweepReport()
    now = clock.now()
    work = partial(_expire_one, orders=orders, gateway=gateway, now=now, calendar=calendar)
    for_each_due(orders, DueKind.PAYMENT, now, report, work)
    return report


def _expire_one(
    order_id: str,
    *,
    orders: OrderRepository,
    gateway: PaymentGateway,
    now: datetime,
    calendar: WorkingCalendar,
) -> str:
    order = orders.get(order_id)
    if (
        order is None
        or order.status is not OrderStatus.PENDING_PAYMENT
        or now <= order.payment_due_at
    ):
        # Not due yet (same second), or an entry left behind: the order is not ours to touch.
        return "skipped"
    outcome = close_checkout(order, gateway, now, calendar)
    if outcome is not Outcome.CONFIRMED:
        order.expire(now, actor="expiry-sweep")
    save_with_parked_events(order, orders, gateway, now, calendar)
    return "paid" if outcome is Outcome.CONFIRMED else "expired"


def send_payment_reminders(
    *, orders: OrderRepository, clock: Clock, report: SweepReport | None = None
) -> SweepReport:
    """P11: one reminder per unpaid order, `PAYMENT_REMINDER_LEAD_HOURS` before its deadline."""
    report = report or SweepReport()
    now = clock.now()
    change_each_due(
        orders, DueKind.REMINDER, now, report, lambda o: o.send_payment_reminder(now), "reminded"
    )
    return report
