"""staff_api: the order queues and one order's actions: review, cancel, delay, ship, deliver,
and messages to the customer."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from atelier.api import auth
from atelier.api.openapi import documented
from atelier.api.params import OrderIdPath, QueueCursor, QueueLimit
from atelier.api.schemas.orders import MessageIn, MessageView
from atelier.api.schemas.staff import (
    DelayIn,
    DeliverIn,
    ReviewIn,
    ShipIn,
    StaffCancelIn,
    StaffOrderPage,
    StaffOrderSummary,
    StaffOrderView,
)
from atelier.bootstrap import get_container
from atelier.domain.order import OrderStatus
from atelier.ports import OrderDetails
from atelier.services.workshop import Decision

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # powertools' __init__ is untyped
STAFF = ["staff"]


def _view(details: OrderDetails) -> StaffOrderView:
    """The staff view of what a route read or changed (a transition answers from its own
    read and write: no second read)."""
    return StaffOrderView.of_details(details, get_container().clock.now())


@router.get(
    "/staff/orders",
    summary="Staff: an order queue by status",
    tags=STAFF,
    **documented(200, StaffOrderPage, 401, 403, 422, 503),
)
def list_orders(
    status: Annotated[OrderStatus, Query(description="The queue: orders in this status.")],
    limit: QueueLimit = 20,
    cursor: QueueCursor = None,
) -> StaffOrderPage:
    """A queue, oldest first, with the date each order must ship by and working days left."""
    auth.staff_id(router)
    c = get_container()
    page = c.workshop.queue(status, limit=limit, cursor=cursor)
    now = c.clock.now()
    return StaffOrderPage(
        items=[StaffOrderSummary.of(o, now, c.calendar) for o in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/staff/orders/<order_id>",
    summary="Staff: read an order in full",
    tags=STAFF,
    **documented(200, StaffOrderView, 401, 403, 404, 503),
)
def get_order(order_id: OrderIdPath) -> StaffOrderView:
    """With the contact, shipping address, history, messages and claims."""
    auth.staff_id(router)
    return _view(get_container().workshop.details(order_id))


@router.post(
    "/staff/orders/<order_id>/review",
    summary="Staff: decide a request under review",
    tags=STAFF,
    **documented(200, StaffOrderView, 401, 403, 404, 409, 415, 422, 503),
)
def review(order_id: OrderIdPath, body: ReviewIn) -> StaffOrderView:
    """ACCEPT (to production, ship_by from now), SURCHARGE (the customer pays it within 24 h)
    or DECLINE (cancelled with a full refund)."""
    actor = auth.staff_id(router)
    details = get_container().workshop.review(
        actor,
        order_id,
        Decision(body.decision),
        surcharge_cents=body.surcharge_cents,
        note=body.note,
    )
    return _view(details)


@router.post(
    "/staff/orders/<order_id>/cancel",
    summary="Staff: cancel a paid order",
    tags=STAFF,
    **documented(200, StaffOrderView, 401, 403, 404, 409, 415, 422, 503),
)
def cancel(order_id: OrderIdPath, body: StaffCancelIn) -> StaffOrderView:
    """Cancel a paid order with a reason and a full (default) or partial refund."""
    actor = auth.staff_id(router)
    details = get_container().workshop.cancel(actor, order_id, body.reason, body.refund_cents)
    return _view(details)


@router.post(
    "/staff/orders/<order_id>/delay",
    summary="Staff: record a delay",
    tags=STAFF,
    **documented(200, StaffOrderView, 401, 403, 404, 409, 415, 422, 503),
)
def delay(order_id: OrderIdPath, body: DelayIn) -> StaffOrderView:
    """P7: a reason and a new expected ship date; the customer is emailed both."""
    actor = auth.staff_id(router)
    details = get_container().workshop.delay(actor, order_id, body.reason, body.expected_ship_date)
    return _view(details)


@router.post(
    "/staff/orders/<order_id>/ship",
    summary="Staff: ship an order",
    tags=STAFF,
    **documented(200, StaffOrderView, 401, 403, 404, 409, 415, 422, 503),
)
def ship(order_id: OrderIdPath, body: ShipIn) -> StaffOrderView:
    """P7, P11: record the carrier and tracking number; the customer is emailed both. A
    remake's shipment resolves its claim."""
    actor = auth.staff_id(router)
    details = get_container().workshop.ship(actor, order_id, body.carrier, body.tracking_number)
    return _view(details)


@router.post(
    "/staff/orders/<order_id>/deliver",
    summary="Staff: record delivery",
    tags=STAFF,
    **documented(200, StaffOrderView, 401, 403, 404, 409, 415, 422, 503),
)
def deliver(order_id: OrderIdPath, body: DeliverIn) -> StaffOrderView:
    """Starts the 7-working-day claim window (P10). `delivered_at` defaults to now; an
    earlier time (a carrier's scan entered later) may be given, never before the shipment or
    in the future."""
    actor = auth.staff_id(router)
    details = get_container().workshop.deliver(actor, order_id, body.delivered_at)
    return _view(details)


@router.post(
    "/staff/orders/<order_id>/messages",
    summary="Staff: write to the customer",
    tags=STAFF,
    **documented(201, MessageView, 401, 403, 404, 415, 422, 503),
)
def post_message(order_id: OrderIdPath, body: MessageIn) -> Response[str]:
    """P8: a consultation message to the customer, who is emailed that it arrived."""
    actor = auth.staff_id(router)
    message = get_container().workshop.post_message(actor, order_id, body.text)
    return Response(201, content_types.APPLICATION_JSON, MessageView.of(message).model_dump_json())
