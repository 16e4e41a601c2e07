"""What placing an order checks and builds from (P1, P5, P6): the customer's command, the
terms, the product, the size. `CustomerOrders.place` is the use case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from atelier.domain.catalog import Product
from atelier.domain.customization import Customization
from atelier.domain.errors import InvalidRequestError
from atelier.domain.order import Address, Contact
from atelier.domain.terms import CURRENT_TERMS
from atelier.ports import ProductRepository

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


def require_current_terms(accepted_version: str | None) -> None:
    """P6: the order records acceptance of the terms in force; anything else is refused."""
    if accepted_version != CURRENT_TERMS.version:
        raise InvalidRequestError(
            f"Accept the current terms (version {CURRENT_TERMS.version}, see GET /terms) "
            "to place an order.",
            code="TERMS_NOT_ACCEPTED",
            details={"current_version": CURRENT_TERMS.version},
        )


def orderable_product(products: ProductRepository, product_id: str) -> Product:
    product = products.get(product_id)
    if product is None or not product.active:
        raise InvalidRequestError(
            f"There is no product {product_id!r} to order; pick one from GET /products.",
            code="UNKNOWN_PRODUCT",
        )
    return product


def check_size(product: Product, size: str | None) -> None:
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
