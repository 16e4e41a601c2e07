"""A customer places a customized order (P1, P2, P3's deadline, P4's agreement rule, P5, P6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from atelier.domain.catalog import Product
from atelier.domain.customization import (
    Customization,
    agree_customization,
    require_some_customization,
)
from atelier.domain.errors import ConflictError, InvalidRequestError
from atelier.domain.ids import keyed_order_id, new_order_id
from atelier.domain.order import PAYMENT_WINDOW, Address, Contact, Order
from atelier.domain.pricing import price_order
from atelier.domain.terms import CURRENT_TERMS
from atelier.observability import logger
from atelier.ports import Clock, OrderRepository, PaymentGateway, ProductRepository

# How long an Idempotency-Key answers its first order (docs/design.md, §6).
KEY_KEPT = timedelta(hours=24)


@dataclass(frozen=True)
class PlaceOrder:
    customer_id: str
    product_id: str
    size: str | None
    customization: Customization
    contact: Contact
    shipping_address: Address
    accept_terms_version: str | None
    # The customer's Idempotency-Key, when given: the order id is derived from it, so a retry
    # of a creation that committed but whose answer was lost finds the order, not a twin.
    idempotency_key: str | None = None


def create_order(
    command: PlaceOrder,
    *,
    products: ProductRepository,
    orders: OrderRepository,
    gateway: PaymentGateway,
    clock: Clock,
    customization_fee_cents: int,
    reminder_lead: timedelta = timedelta(hours=4),
) -> Order:
    require_current_terms(command.accept_terms_version)
    product = _orderable_product(products, command.product_id)
    _check_size(product, command.size)
    require_some_customization(command.customization)
    agreed, reasons = agree_customization(product.customization, command.customization)
    price = price_order(product, customization_fee_cents)

    now = clock.now()
    keyed = command.idempotency_key is not None
    order_id = (
        keyed_order_id(command.customer_id, command.idempotency_key)
        if command.idempotency_key is not None
        else new_order_id(now)
    )
    checkout = gateway.create_checkout(
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
        reminder_lead=reminder_lead,
        idempotency_key=command.idempotency_key,
    )
    try:
        orders.add(order)
    except ConflictError:
        existing = orders.get(order_id) if keyed else None
        if existing is None or existing.customer_id != command.customer_id:
            raise
        if existing.erased:
            # P6: the order's personal data is gone; neither it nor a twin is answered.
            raise ConflictError(
                "This Idempotency-Key placed an order that is closed and whose personal data "
                "was erased; use a new key to place a new order.",
                code="IDEMPOTENCY_KEY_REUSED",
            ) from None
        if now - existing.created_at > KEY_KEPT:
            raise ConflictError(
                "This Idempotency-Key was used for an order more than 24 hours ago; use a new key.",
                code="IDEMPOTENCY_KEY_REUSED",
            ) from None
        logger.info("keyed order already placed; answering it", order_id=order_id)
        return existing
    logger.info(
        "order placed",
        order_id=order.order_id,
        product_id=product.product_id,
        total_cents=price.total_cents,
        review_required=order.review.required,
    )
    return order


def require_current_terms(accepted_version: str | None) -> None:
    """P6: the order records acceptance of the terms in force; anything else is refused."""
    if accepted_version != CURRENT_TERMS.version:
        raise InvalidRequestError(
            f"Accept the current terms (version {CURRENT_TERMS.version}, see GET /terms) "
            "to place an order.",
            code="TERMS_NOT_ACCEPTED",
            details={"current_version": CURRENT_TERMS.version},
        )


def _orderable_product(products: ProductRepository, product_id: str) -> Product:
    product = products.get(product_id)
    if product is None or not product.active:
        raise InvalidRequestError(
            f"There is no product {product_id!r} to order; pick one from GET /products.",
            code="UNKNOWN_PRODUCT",
        )
    return product


def _check_size(product: Product, size: str | None) -> None:
    """P1: a size from the product's list when it has one, and none when it has not."""
    if product.sizes and size is None:
        raise InvalidRequestError(
            f"Choose a size for this piece: {', '.join(product.sizes)}.",
            code="SIZE_REQUIRED",
            details={"sizes": list(product.sizes)},
        )
    if product.sizes and size not in product.sizes:
        raise InvalidRequestError(
            f"This piece comes in sizes {', '.join(product.sizes)}.",
            code="SIZE_NOT_OFFERED",
            details={"sizes": list(product.sizes)},
        )
    if not product.sizes and size is not None:
        raise InvalidRequestError(
            "This piece has no sizes; leave size out.", code="SIZE_NOT_APPLICABLE"
        )
