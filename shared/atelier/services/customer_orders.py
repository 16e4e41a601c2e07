"""A customer's own orders: placing one (P1-P6), reading, cancelling while unpaid, a fresh
checkout, the consultation with the designers (P8) and the answer to a surcharge (P5).

Another customer's order is a 404, the same answer as a missing one: nothing to probe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.customization import agree_customization, require_some_customization
from atelier.domain.errors import ConflictError, NotFoundError
from atelier.domain.ids import keyed_order_id, new_order_id
from atelier.domain.messages import Message
from atelier.domain.order import PAYMENT_WINDOW, Order
from atelier.domain.pricing import price_order
from atelier.domain.terms import CURRENT_TERMS
from atelier.observability import logger
from atelier.ports import Clock, OrderRepository, Page, PaymentGateway, ProductRepository
from atelier.services.placing import (
    KEY_KEPT,
    PlaceOrder,
    check_size,
    orderable_product,
    require_current_terms,
)
from atelier.services.settlement import (
    Outcome,
    cancellation_refunds,
    close_checkout,
    save_with_parked_events,
)


def customer_order(orders: OrderRepository, customer_id: str, order_id: str) -> Order:
    """The customer's order, or NotFoundError (also for another customer's)."""
    order = orders.get(order_id)
    if order is None or order.customer_id != customer_id:
        raise NotFoundError(f"You have no order {order_id!r}.")
    return order


@dataclass(frozen=True)
class CustomerOrders:
    orders: OrderRepository
    products: ProductRepository
    gateway: PaymentGateway
    clock: Clock
    calendar: WorkingCalendar
    customization_fee_cents: int
    reminder_lead: timedelta = timedelta(hours=4)

    def place(self, command: PlaceOrder) -> Order:
        """One product with a customization request. The server prices it (P2); payment is
        due in 24 hours (P3); a request outside the range, or with remarks, goes to a designer
        (P4, P5). With an Idempotency-Key, a retry answers the order the key placed."""
        require_current_terms(command.accept_terms_version)
        product = orderable_product(self.products, command.product_id)
        check_size(product, command.size)
        require_some_customization(command.customization)
        agreed, reasons = agree_customization(product.customization, command.customization)
        price = price_order(product, self.customization_fee_cents)

        now = self.clock.now()
        key = command.idempotency_key
        order_id = keyed_order_id(command.customer_id, key) if key else new_order_id(now)
        checkout = self.gateway.create_checkout(
            order_id=order_id,
            amount_cents=price.total_cents,
            currency=price.currency,
            expires_at=now + PAYMENT_WINDOW,
            description=f"{product.name} (customized)",
        )
        order = Order.place(
            order_id=order_id,
            customer_id=command.customer_id,
            product=product,
            size=command.size,
            customization=agreed,
            reasons=reasons,
            contact=command.contact,
            shipping_address=command.shipping_address,
            price=price,
            terms_version=CURRENT_TERMS.version,
            checkout=checkout,
            now=now,
            reminder_lead=self.reminder_lead,
            idempotency_key=key,
        )
        try:
            self.orders.add(order)
        except ConflictError:
            existing = self.orders.get(order_id) if key else None
            if existing is None or existing.customer_id != command.customer_id:
                raise
            return self._placed_before(existing, now)
        logger.info(
            "order placed",
            order_id=order.order_id,
            product_id=product.product_id,
            total_cents=price.total_cents,
            review_required=order.review.required,
        )
        return order

    @staticmethod
    def _placed_before(existing: Order, now: datetime) -> Order:
        """The order the customer's Idempotency-Key placed, if the key still answers for it."""
        if existing.erased:
            # P6: the order's personal data is gone; neither it nor a twin is answered.
            raise ConflictError(
                "This Idempotency-Key placed an order that is closed and whose personal data "
                "was erased; use a new key to place a new order.",
                code="IDEMPOTENCY_KEY_REUSED",
            )
        if now - existing.created_at > KEY_KEPT:
            raise ConflictError(
                "This Idempotency-Key was used for an order more than 24 hours ago; use a new key.",
                code="IDEMPOTENCY_KEY_REUSED",
            )
        logger.info("keyed order already placed; answering it", order_id=existing.order_id)
        return existing

    def list_orders(self, customer_id: str, *, limit: int, cursor: str | None) -> Page[Order]:
        """The customer's orders, newest first."""
        return self.orders.list_for_customer(customer_id, limit=limit, cursor=cursor)

    def get(self, customer_id: str, order_id: str) -> Order:
        return customer_order(self.orders, customer_id, order_id)

    def cancel(self, customer_id: str, order_id: str) -> Order:
        """Cancel an unpaid order, closing its checkout first so it can no longer be paid. If
        the provider says it was paid meanwhile, the payment is applied instead and the cancel
        refused."""
        order = self.get(customer_id, order_id)
        now = self.clock.now()
        order.require_customer_can_cancel(now)  # before touching the provider
        if close_checkout(order, self.gateway, now, self.calendar) is Outcome.CONFIRMED:
            self._save(order, now)
            raise ConflictError(
                "This order has just been paid, so it can no longer be cancelled.",
                code="ORDER_NOT_CANCELLABLE",
                details={"status": order.status},
            )
        order.cancel_by_customer(now)
        self._save(order, now)
        logger.info("order cancelled by customer", order_id=order.order_id)
        return order

    def renew_checkout(self, customer_id: str, order_id: str) -> Order:
        """A fresh checkout for an unpaid order while at least 30 minutes of its window
        remain; the old session is closed first, so only one can ever be paid."""
        order = self.get(customer_id, order_id)
        now = self.clock.now()
        order.require_fresh_checkout_allowed(now)
        if close_checkout(order, self.gateway, now, self.calendar) is Outcome.CONFIRMED:
            self._save(order, now)  # it was paid meanwhile: nothing left to pay
            return order
        checkout = self.gateway.create_checkout(
            order_id=order.order_id,
            amount_cents=order.price.total_cents,
            currency=order.price.currency,
            expires_at=order.payment_due_at,
            description=f"{order.product.name} (customized)",
            attempt=f"renewal-v{order.version}",
        )
        order.replace_checkout(checkout, now)
        self._save(order, now)
        logger.info("checkout renewed", order_id=order.order_id)
        return order

    def messages(self, customer_id: str, order_id: str) -> list[Message]:
        """P8: the consultation about the order, oldest first."""
        details = self.orders.details(order_id)
        if details is None or details.order.customer_id != customer_id:
            raise NotFoundError(f"You have no order {order_id!r}.")
        return details.messages

    def post_message(self, customer_id: str, order_id: str, text: str) -> Message:
        """P8: a message to the designers about the order."""
        self.get(customer_id, order_id)
        message = Message.post(order_id, "customer", customer_id, text, self.clock.now())
        self.orders.add_message(message)
        logger.info("message posted", order_id=order_id, author="customer")
        return message

    def accept_surcharge(self, customer_id: str, order_id: str) -> Order:
        """P5: the customer agrees; they get a checkout for the surcharge, due by its
        deadline. Agreeing again answers the same checkout: a second one could be paid as
        well, and only the current one is closed before the surcharge lapses."""
        order = self.get(customer_id, order_id)
        now = self.clock.now()
        surcharge = order.require_surcharge_payable(now)
        if order.checkout is not None:
            return order
        checkout = self.gateway.create_checkout(
            order_id=order.order_id,
            amount_cents=surcharge.cents,
            currency=order.price.currency,
            expires_at=surcharge.due_at,
            description=f"{order.product.name}: agreed surcharge",
            attempt=f"surcharge-v{order.version}",
        )
        order.open_surcharge_checkout(checkout, now)
        self.orders.save(order)
        return order

    def decline_surcharge(self, customer_id: str, order_id: str) -> Order:
        """P5: the customer refuses the surcharge; the order is cancelled, fully refunded."""
        order = self.get(customer_id, order_id)
        now = self.clock.now()
        order.require_surcharge_payable(now)
        order.decline_surcharge(cancellation_refunds(order, self.gateway, None), now)
        self.orders.save(order)
        return order

    def _save(self, order: Order, now: datetime) -> None:
        save_with_parked_events(order, self.orders, self.gateway, now, self.calendar)
