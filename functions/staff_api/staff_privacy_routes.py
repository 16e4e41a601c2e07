"""staff_api: P6's design export and a customer's erasure."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from atelier.api import auth
from atelier.api.openapi import documented
from atelier.api.params import QueueCursor, QueueLimit
from atelier.api.schemas.staff import DesignPage, DesignView, ErasureView
from atelier.bootstrap import get_container
from atelier.domain.order import OrderStatus

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # powertools' __init__ is untyped
STAFF = ["staff"]


@router.get(
    "/staff/designs",
    summary="Staff: export designs for reuse",
    tags=STAFF,
    **documented(200, DesignPage, 401, 403, 422, 503),
)
def list_designs(
    status: Annotated[OrderStatus, Query()] = OrderStatus.DELIVERED,
    product_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: QueueLimit = 20,
    cursor: QueueCursor = None,
) -> DesignPage:
    """P6: agreed designs for internal reference and promotion, without personal data."""
    auth.staff_id(router)
    page = get_container().privacy.export_designs(
        status, product_id=product_id, limit=limit, cursor=cursor
    )
    return DesignPage(
        items=[DesignView(**vars(d)) for d in page.items],
        next_cursor=page.next_cursor,
    )


@router.post(
    "/staff/customers/<customer_id>/erase",
    summary="Staff: erase a customer's personal data",
    tags=STAFF,
    **documented(200, ErasureView, 401, 403, 415, 422, 503),
)
def erase_customer(customer_id: Annotated[str, Path(max_length=128)]) -> ErasureView:
    """P6: anonymize the customer's personal data in their finished orders (past the claim
    window, cancelled, or expired unpaid for more than 3 days); amounts and history stay for
    the books."""
    actor = auth.staff_id(router)
    report = get_container().privacy.erase_customer(actor, customer_id)
    return ErasureView(
        erased_order_ids=report.erased,
        already_erased=report.already_erased,
        still_active_order_ids=report.still_active,
    )
