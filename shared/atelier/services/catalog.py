"""Browsing the catalog."""

from __future__ import annotations

from atelier.domain.catalog import Product
from atelier.domain.errors import NotFoundError
from atelier.ports import Page, ProductRepository


def list_products(products: ProductRepository, *, limit: int, cursor: str | None) -> Page[Product]:
    return products.list(limit=limit, cursor=cursor)


def get_product(products: ProductRepository, product_id: str) -> Product:
    product = products.get(product_id)
    if product is None or not product.active:
        raise NotFoundError(f"There is no product {product_id!r} in the catalog.")
    return product
