"""A customer reads, cancels and re-opens checkout for their own orders. Another customer's
order is a 404."""

from __future__ import annotations

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.errors import ConflictError, NotFoundError
from atelier.domain.order import Order
from atelier.observability import logger
from atelier.ports import Clock, OrderRepository, Page, PaymentGateway
from atelier.services.payments import Outcome, close_checkout, save_with_parked_events


def get_customer_order(orders: OrderRepository, customer_id: str, order_id: str) -> Order:
    order = orders.get(order_id)
    if order is None or order.customer_id != customer_id:
        # The same answer whether it is missing or someone else's: nothing to probe.
        raise NotFoundError(f"You have no order {order_id!r}.")
    return order


def list_customer_orders(
    orders: OrderRepository, customer_id: str, *, limit: int, cursor: str | None
) -> Page[Order]:
    return orders.list_for_customer(customer_id, limit=limit, cursor=cursor)


def cancel_order(
    orders: OrderRepository,
    gateway: PaymentGateway,
    clock: Clock,
    calendar: WorkingCalendar,
    customer_id: str,
    order_id: str,
) -> Order:
    """Cancel an unpaid order, closing its checkout first so it can no longer be paid. If the
    provider says it was paid meanwhile, the payment is applied instead and the cancel refused."""
    order = get_customer_order(orders, customer_id, order_id)
    now = clock.now()
    order.require_customer_can_cancel(now)  # before touching the provider
    if close_checkout(order, gateway, now, calendar) is Outcome.CONFIRMED:
        save_with_parked_events(order, orders, gateway, now, calendar)
        raise ConflictError(
            "This order has just been paid, so it can no longer be cancelled.",
            code="ORDER_NOT_CANCELLABLE",
            details={"status": order.status},
        )
    order.cancel_by_customer(now)
    save_with_parked_events(order, orders, gateway, now, calendar)
    logger.info("order cancelled by customer", order_id=order.order_id)
    return order


def renew_checkout(
    orders: OrderRepository,
    gateway: PaymentGateway,
    clock: Clock,
    calendar: WorkingCalendar,
    customer_id: str,
    order_id: str,
) -> Order:
    """A fresh checkout for an unpaid order while at least 30 minutes of its window remain;
    the old session is closed first, so only one can ever be paid."""
    order = get_customer_order(orders, customer_id, order_id)
    now = clock.now()
    order.require_fresh_checkout_allowed(now)
    if close_checkout(order, gateway, now, calendar) is Outcome.CONFIRMED:
        # it was paid meanwhile: nothing left to pay
        save_with_parked_events(order, orders, gateway, now, calendar)
        return order
    checkout = gateway.create_checkout(
        order_id=order.order_id,
        amount_cents=order.price.total_cents,
        currency=order.price.currency,
        expires_at=order.payment_due_at,
        description=f"{order.product.name} (customized)",
        attempt=f"renewal-v{order.version}",
    )
    order.replace_checkout(checkout, now)
    save_with_parked_events(order, orders, gateway, now, calendar)
    logger.info("checkout renewed", order_id=order.order_id)
    return order
