"""staff_api: the catalog and each product's customization range, managed by staff (P5)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict

from atelier.api import auth
from atelier.api.openapi import documented
from atelier.api.params import Cursor, Limit, ProductIdPath
from atelier.api.schemas.orders import ProductView
from atelier.bootstrap import get_container
from atelier.domain.catalog import PRODUCT_EXAMPLE, Product, ProductDetails, ProductId

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # powertools' __init__ is untyped

IncludeInactive = Annotated[
    bool, Query(description="Also list retired products (active = false), after the active ones.")
]


class StaffProductView(ProductView):
    """A product as staff see it: whether customers can see and order it, too."""

    active: bool

    @classmethod
    def of(cls, product: Product) -> StaffProductView:
        return cls.model_validate(product.model_dump())


class StaffProductPage(BaseModel):
    items: list[StaffProductView]
    next_cursor: str | None


class ProductReplacement(ProductDetails):
    """The whole product, replacing the stored one; `product_id` may be left out, and if it is
    given it must be the one in the path."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {k: v for k, v in PRODUCT_EXAMPLE.items() if k != "product_id"}
                | {"price_cents": 9200}
            ]
        }
    )

    product_id: ProductId | None = None


@router.get(
    "/staff/products",
    summary="Staff: list the whole catalog",
    tags=["staff"],
    **documented(200, StaffProductPage, 401, 403, 422, 503),
)
def list_products(
    limit: Limit = 20, cursor: Cursor = None, include_inactive: IncludeInactive = True
) -> StaffProductPage:
    """Every product, retired ones included unless `include_inactive=false`."""
    auth.staff_id(router)
    page = get_container().catalog.everything(
        limit=limit, cursor=cursor, include_inactive=include_inactive
    )
    return StaffProductPage(
        items=[StaffProductView.of(p) for p in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/staff/products",
    summary="Staff: add a product",
    tags=["staff"],
    **documented(201, StaffProductView, 400, 401, 403, 409, 415, 422, 503),
)
def post_product(body: Product) -> Response[Any]:
    """Add a product to the catalog; an id already used (even by a retired one) is a 409."""
    actor = auth.staff_id(router)
    product = get_container().catalog.add(body, actor=actor)
    return Response(
        HTTPStatus.CREATED,
        content_types.APPLICATION_JSON,
        StaffProductView.of(product).model_dump_json(),
        headers={"Location": f"/staff/products/{product.product_id}"},
    )


@router.put(
    "/staff/products/<product_id>",
    summary="Staff: replace a product",
    tags=["staff"],
    **documented(200, StaffProductView, 400, 401, 403, 404, 415, 422, 503),
)
def put_product(product_id: ProductIdPath, body: ProductReplacement) -> StaffProductView:
    """Replace a product (fields left out take their defaults: `active` is true). Orders
    already placed keep the price and range they were placed with."""
    actor = auth.staff_id(router)
    product = get_container().catalog.replace(
        product_id,
        body,
        actor=actor,
        claimed_id=body.product_id,
    )
    return StaffProductView.of(product)
