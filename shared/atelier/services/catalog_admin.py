"""Staff manage the catalog: list every product, add one, replace one (P5).

A product's price and customization range are copied onto each order when it is placed (P2), so
nothing here reaches an order already placed.
"""

from __future__ import annotations

from atelier.domain.catalog import Product, ProductDetails
from atelier.domain.errors import InvalidRequestError, NotFoundError
from atelier.observability import logger
from atelier.ports import Page, ProductRepository


def list_catalog(
    products: ProductRepository, *, limit: int, cursor: str | None, include_inactive: bool = True
) -> Page[Product]:
    """Active products first, then (unless left out) the retired ones, each by id."""
    return products.list(limit=limit, cursor=cursor, include_inactive=include_inactive)


def create_product(products: ProductRepository, product: Product, *, actor: str) -> Product:
    """Add a product; an id already in the catalog is a ConflictError (`PRODUCT_EXISTS`)."""
    products.add(product)
    logger.info(
        "product created",
        product_id=product.product_id,
        price_cents=product.price_cents,
        active=product.active,
        actor=actor,
    )
    return product


def replace_product(
    products: ProductRepository,
    product_id: str,
    details: ProductDetails,
    *,
    actor: str,
    claimed_id: str | None = None,
) -> Product:
    """Replace every field of an existing product. `claimed_id` is the id the body names, if
    it names one: it must be the one addressed, since an id never changes."""
    if claimed_id is not None and claimed_id != product_id:
        raise InvalidRequestError(
            "The body names a different product than the path; a product's id never changes.",
            code="PRODUCT_ID_MISMATCH",
            details={"path": product_id, "body": claimed_id},
        )
    previous = products.get(product_id)
    if previous is None:
        raise NotFoundError(f"There is no product {product_id!r} in the catalog.")
    product = details.with_id(product_id)
    products.save(product)
    logger.info(
        "product replaced",
        product_id=product_id,
        price_cents=product.price_cents,
        previous_price_cents=previous.price_cents,
        range_changed=product.customization != previous.customization,
        active=product.active,
        actor=actor,
    )
    return product
