"""The catalog (P5): customers browse the products on sale; staff list every product, add one
and replace one.

A product's price and customization range are copied onto each order when it is placed (P2), so
nothing here reaches an order already placed.
"""

from __future__ import annotations

from dataclasses import dataclass

from atelier.domain.catalog import Product, ProductDetails
from atelier.domain.errors import InvalidRequestError, NotFoundError
from atelier.observability import logger
from atelier.ports import Page, ProductRepository


@dataclass(frozen=True)
class Catalog:
    products: ProductRepository

    # ---------------------------------------------------------------- customer

    def on_sale(self, *, limit: int, cursor: str | None) -> Page[Product]:
        """The products customers can order, by id."""
        return self.products.list(limit=limit, cursor=cursor)

    def product(self, product_id: str) -> Product:
        """A product on sale; a retired or unknown one is NotFoundError."""
        product = self.products.get(product_id)
        if product is None or not product.active:
            raise NotFoundError(f"There is no product {product_id!r} in the catalog.")
        return product

    # ---------------------------------------------------------------- staff

    def everything(
        self, *, limit: int, cursor: str | None, include_inactive: bool = True
    ) -> Page[Product]:
        """Active products first, then (unless left out) the retired ones, each by id."""
        return self.products.list(limit=limit, cursor=cursor, include_inactive=include_inactive)

    def add(self, product: Product, *, actor: str) -> Product:
        """Add a product; an id already in the catalog is a ConflictError (`PRODUCT_EXISTS`)."""
        self.products.add(product)
        logger.info(
            "product created",
            product_id=product.product_id,
            price_cents=product.price_cents,
            active=product.active,
            actor=actor,
        )
        return product

    def replace(
        self,
        product_id: str,
        details: ProductDetails,
        *,
        actor: str,
        claimed_id: str | None = None,
    ) -> Product:
        """Replace every field of an existing product. `claimed_id` is the id the body names,
        if it names one: it must be the one addressed, since an id never changes."""
        if claimed_id is not None and claimed_id != product_id:
            raise InvalidRequestError(
                "The body names a different product than the path; a product's id never changes.",
                code="PRODUCT_ID_MISMATCH",
                details={"path": product_id, "body": claimed_id},
            )
        previous = self.products.get(product_id)
        if previous is None:
            raise NotFoundError(f"There is no product {product_id!r} in the catalog.")
        product = details.with_id(product_id)
        self.products.save(product)
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
