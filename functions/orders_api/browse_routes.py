"""orders_api: what anyone may read before ordering: the catalog, the terms, the API document."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from atelier.api.openapi import documented, published_document
from atelier.api.params import Cursor, Limit, ProductIdPath
from atelier.api.schemas.customer import ProductPage, Terms
from atelier.api.schemas.orders import ProductView
from atelier.bootstrap import get_container
from atelier.domain.terms import CURRENT_TERMS

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # powertools' __init__ is untyped


@router.get(
    "/products", summary="List the catalog", tags=["catalog"], **documented(200, ProductPage, 422)
)
def list_products(limit: Limit = 20, cursor: Cursor = None) -> ProductPage:
    """The products customers can order, with each one's price, sizes and customization
    range (P5), a page at a time."""
    page = get_container().catalog.on_sale(limit=limit, cursor=cursor)
    return ProductPage(items=[ProductView.of(p) for p in page.items], next_cursor=page.next_cursor)


@router.get(
    "/products/<product_id>",
    summary="Read one product",
    tags=["catalog"],
    **documented(200, ProductView, 404, 422),
)
def get_product(product_id: ProductIdPath) -> ProductView:
    """A product with its price, sizes and customization range (P5); a retired or unknown
    one is a 404."""
    return ProductView.of(get_container().catalog.product(product_id))


@router.get("/terms", summary="Read the terms in force", tags=["catalog"], **documented(200, Terms))
def get_terms() -> Terms:
    """The terms an order accepts (P6): their version goes in `accept_terms_version`."""
    return Terms(version=CURRENT_TERMS.version, text=CURRENT_TERMS.text)


@router.get("/openapi.json", tags=["catalog"], include_in_schema=False)
def get_openapi() -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, published_document())
