"""Settling an order's money with the payment provider, shared by every flow that takes or
gives back money (payments, the customer's own orders, the workshop): taking a payment,
refunding one, closing a checkout, and saving an order with the events parked for its payments.

These are the steps use cases are made of, not use cases: each changes the order in memory and
leaves the commit to its caller, except `save_with_parked_events`, which is the commit.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.errors import PaymentProviderRefusedError
from atelier.domain.order import (
    MIN_CHECKOUT_WINDOW,
    IncomingPayment,
    Order,
    OrderStatus,
    PaymentVerdict,
    Refund,
)
from atelier.domain.payment_events import PaymentEvent, PaymentEventKind
from atelier.observability import logger
from atelier.ports import OrderRepository, PaymentGateway, SessionState

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
            outcome = apply_to_order(parked, order, gateway, now, calendar)
            logger.info(
                "parked payment event applied",
                event_id=parked.event_id,
                event_type=parked.provider_type,
                order_id=order.order_id,
                outcome=outcome,
            )
    orders.save(order, event_id=event_id, parked=absorbed)


def apply_to_order(
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


# What every cancellation refund tells the provider (see cancellation_refunds).
CANCELLATION_REFUND_REASON = "order cancelled"


def cancellation_refunds(order: Order, gateway: PaymentGateway, cents: int | None) -> list[Refund]:
    """Refund through the provider before the change commits, keyed on the cancellation of
    each payment (`Order.refund_key`), so a retried request never refunds twice. A payment
    the provider refuses for good is recorded as refused (the order is flagged for staff)
    while the refunds it did make are still recorded: the books match the provider's."""
    # One key per (order, payment) for every way an order is cancelled, so one request too:
    # the paths may race (a customer's decline and the lapse sweep). The path's own reason
    # goes to the history, not to the provider.
    return [
        Refund(
            payment_intent,
            amount,
            refund_unless_refused(
                gateway,
                order_id=order.order_id,
                payment_intent=payment_intent,
                amount_cents=amount,
                idempotency_key=order.refund_key(payment_intent),
                reason=CANCELLATION_REFUND_REASON,
            ),
        )
        for payment_intent, amount in order.refund_plan(cents)
    ]
