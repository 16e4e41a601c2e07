"""A customer reads and cancels their own orders. Another customer's order is a 404."""

from __future__ import annotations

from atelier.domain.errors import NotFoundError
from atelier.domain.order import Order
from atelier.observability import logger
from atelier.ports import Clock, OrderRepository, Page


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


def cancel_order(orders: OrderRepository, clock: Clock, customer_id: str, order_id: str) -> Order:
    order = get_customer_order(orders, customer_id, order_id)
    order.cancel_by_customer(clock.now())
    orders.save(order)
    logger.info("order cancelled by customer", order_id=order.order_id)
    return order
