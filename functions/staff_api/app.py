"""staff_api: the shop's designers and customer service (JWT with the `staff` group, checked
here: API Gateway only checks the token, so a customer's token gets a 403)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from catalog_routes import router as catalog_router

from atelier.api import auth
from atelier.api.errors import forbidden_response
from atelier.api.openapi import documented
from atelier.api.resolver import new_resolver
from atelier.api.schemas.claims import ClaimDecisionIn, ClaimPage, ClaimView
from atelier.api.schemas.orders import MessageIn, MessageView
from atelier.api.schemas.staff import (
    DelayIn,
    DeliverIn,
    DesignPage,
    DesignView,
    ErasureView,
    ReviewIn,
    ShipIn,
    StaffCancelIn,
    StaffOrderPage,
    StaffOrderSummary,
    StaffOrderView,
)
from atelier.bootstrap import get_container
from atelier.domain.claims import ClaimDecision, ClaimStatus, Remedy
from atelier.domain.order import OrderStatus
from atelier.entry import lambda_entry
from atelier.ports import OrderDetails
from atelier.services import privacy
from atelier.services.workshop import Decision

app = new_resolver()
app.include_router(catalog_router)

OrderId = Annotated[str, Path(max_length=64)]
STAFF = ["staff"]


def _view(details: OrderDetails) -> StaffOrderView:
    """The staff view of what a route read or changed (a transition answers from its own
    read and write: no second read)."""
    return StaffOrderView.of_details(details, get_container().clock.now())


@app.get(
    "/staff/orders",
    summary="Staff: an order queue by status",
    tags=STAFF,
    **documented(200, StaffOrderPage, 401, 403, 422, 503),
)
def list_orders(
    status: Annotated[OrderStatus, Query(description="The queue: orders in this status.")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> StaffOrderPage:
    """A queue, oldest first, with the date each order must ship by and working days left."""
    auth.staff_id(app)
    c = get_container()
    page = c.orders.list_by_status(status, limit=limit, cursor=cursor)
    now = c.clock.now()
    return StaffOrderPage(
        items=[StaffOrderSummary.of(o, now, c.calendar) for o in page.items],
        next_cursor=page.next_cursor,
    )


@app.get(
    "/staff/orders/<order_id>",
    summary="Staff: read an order in full",
    tags=STAFF,
    **documented(200, StaffOrderView, 401, 403, 404, 503),
)
def get_order(order_id: OrderId) -> StaffOrderView:
    """With the contact, shipping address, history, messages and claims."""
    auth.staff_id(app)
    return _view(get_container().workshop.details(order_id))


@app.post(
    "/staff/orders/<order_id>/review",
    summary="Staff: decide a request under review",
    tags=STAFF,
    **documented(200, StaffOrderView, 401, 403, 404, 409, 415, 422, 503),
)
def review(order_id: OrderId, body: ReviewIn) -> StaffOrderView:
    """ACCEPT (to production, ship_by from now), SURCHARGE (the customer pays it within 24 h)
    or DECLINE (cancelled with a full refund)."""
    actor = auth.staff_id(app)
    details = get_container().workshop.review(
        actor,
        order_id,
        Decision(body.decision),
        surcharge_cents=body.surcharge_cents,
        note=body.note,
    )
    return _view(details)


@app.post(
    "/staff/orders/<order_id>/cancel",
    summary="Staff: cancel a paid order",
    tags=STAFF,
    **documented(200, StaffOrderView, 401, 403, 404, 409, 415, 422, 503),
)
def cancel(order_id: OrderId, body: StaffCancelIn) -> StaffOrderView:
    """Cancel a paid order with a reason and a full (default) or partial refund."""
    actor = auth.staff_id(app)
    details = get_container().workshop.cancel(actor, order_id, body.reason, body.refund_cents)
    return _view(details)


@app.post(
    "/staff/orders/<order_id>/delay",
    summary="Staff: record a delay",
    tags=STAFF,
    **documented(200, StaffOrderView, 401, 403, 404, 409, 415, 422, 503),
)
def delay(order_id: OrderId, body: DelayIn) -> StaffOrderView:
    """P7: a reason and a new expected ship date; the customer is emailed both."""
    actor = auth.staff_id(app)
    details = get_container().workshop.delay(actor, order_id, body.reason, body.expected_ship_date)
    return _view(details)


@app.post(
    "/staff/orders/<order_id>/ship",
    summary="Staff: ship an order",
    tags=STAFF,
    **documented(200, StaffOrderView, 401, 403, 404, 409, 415, 422, 503),
)
def ship(order_id: OrderId, body: ShipIn) -> StaffOrderView:
    """P7, P11: record the carrier and tracking number; the customer is emailed both. A
    remake's shipment resolves its claim."""
    actor = auth.staff_id(app)
    details = get_container().workshop.ship(actor, order_id, body.carrier, body.tracking_number)
    return _view(details)


@app.post(
    "/staff/orders/<order_id>/deliver",
    summary="Staff: record delivery",
    tags=STAFF,
    **documented(200, StaffOrderView, 401, 403, 404, 409, 415, 422, 503),
)
def deliver(order_id: OrderId, body: DeliverIn) -> StaffOrderView:
    """Starts the 7-working-day claim window (P10). `delivered_at` defaults to now; an
    earlier time (a carrier's scan entered later) may be given, never before the shipment or
    in the future."""
    actor = auth.staff_id(app)
    details = get_container().workshop.deliver(actor, order_id, body.delivered_at)
    return _view(details)


@app.post(
    "/staff/orders/<order_id>/messages",
    summary="Staff: write to the customer",
    tags=STAFF,
    **documented(201, MessageView, 401, 403, 404, 415, 422, 503),
)
def post_message(order_id: OrderId, body: MessageIn) -> Response[str]:
    """P8: a consultation message to the customer, who is emailed that it arrived."""
    actor = auth.staff_id(app)
    message = get_container().workshop.post_message("staff", actor, order_id, body.text)
    return Response(201, content_types.APPLICATION_JSON, MessageView.of(message).model_dump_json())


@app.get(
    "/staff/claims",
    summary="Staff: a claim queue by status",
    tags=STAFF,
    **documented(200, ClaimPage, 401, 403, 422, 503),
)
def list_claims(
    status: Annotated[ClaimStatus, Query(description="Claims in this status, oldest first.")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> ClaimPage:
    """With presigned links (5 minutes) to each verified photo or video."""
    auth.staff_id(app)
    claims = get_container().claims
    page = claims.staff_list(status, limit=limit, cursor=cursor)
    return ClaimPage(
        items=[ClaimView.of(o.order_id, c, claims.evidence_urls(c)) for o, c in page.items],
        next_cursor=page.next_cursor,
    )


@app.post(
    "/staff/claims/<claim_id>/decision",
    summary="Staff: decide a claim",
    tags=STAFF,
    **documented(200, ClaimView, 401, 403, 404, 409, 415, 422, 503),
)
def decide_claim(claim_id: Annotated[str, Path(max_length=64)], body: ClaimDecisionIn) -> ClaimView:
    """APPROVE (REMAKE or REPLACE: a prepaid return label, back to production with a new
    ship_by) or REJECT with a note the customer sees."""
    actor = auth.staff_id(app)
    order, claim = get_container().claims.decide(
        actor,
        claim_id,
        ClaimDecision(body.decision),
        kind=Remedy(body.resolution) if body.resolution else None,
        note=body.note,
        return_carrier=body.return_carrier,
        shipping_cost_cents=body.shipping_cost_cents,
    )
    return ClaimView.of(order.order_id, claim)


@app.get(
    "/staff/designs",
    summary="Staff: export designs for reuse",
    tags=STAFF,
    **documented(200, DesignPage, 401, 403, 422, 503),
)
def list_designs(
    status: Annotated[OrderStatus, Query()] = OrderStatus.DELIVERED,
    product_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> DesignPage:
    """P6: agreed designs for internal reference and promotion, without personal data."""
    auth.staff_id(app)
    page = privacy.export_designs(
        get_container().orders, status, product_id=product_id, limit=limit, cursor=cursor
    )
    return DesignPage(
        items=[DesignView(**vars(d)) for d in page.items],
        next_cursor=page.next_cursor,
    )


@app.post(
    "/staff/customers/<customer_id>/erase",
    summary="Staff: erase a customer's personal data",
    tags=STAFF,
    **documented(200, ErasureView, 401, 403, 415, 422, 503),
)
def erase_customer(customer_id: Annotated[str, Path(max_length=128)]) -> ErasureView:
    """P6: anonymize the customer's personal data in their finished orders (past the claim
    window, cancelled, or expired unpaid for more than 3 days); amounts and history stay for
    the books."""
    actor = auth.staff_id(app)
    c = get_container()
    report = privacy.erase_customer(
        c.orders, c.clock, actor, customer_id, idempotency=c.idempotency_records()
    )
    return ErasureView(
        erased_order_ids=report.erased,
        already_erased=report.already_erased,
        still_active_order_ids=report.still_active,
    )


@lambda_entry(
    needs=("idempotency_table_name", "evidence_bucket"),
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP,
)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Every route here is staff-only: refuse before the body is even validated, so a customer
    # learns nothing from this API but "forbidden". (Each route checks again.)
    if auth.STAFF_GROUP not in auth.groups_in(auth.event_claims(event)):
        return forbidden_response()
    return app.resolve(event, context)
