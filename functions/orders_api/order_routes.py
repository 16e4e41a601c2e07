"""orders_api: the customer's own orders: placing one, reading, cancelling, paying, the
consultation, and the answer to a surcharge."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from atelier.api import auth
from atelier.api.openapi import documented
from atelier.api.params import Cursor, Limit, OrderIdPath
from atelier.api.schemas.customer import CreateOrderIn, MessagePage, OrderPage
from atelier.api.schemas.orders import MessageIn, MessageView, OrderView
from atelier.bootstrap import get_container
from atelier.domain.text import Shaped
from atelier.services.placing import PlaceOrder

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # powertools' __init__ is untyped

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        max_length=255,
        description="Retry-safe creation: the same key within 24 h answers the first order.",
    ),
    Shaped(
        r"^[\x21-\x7e]+$",
        "1 to 255 printable ASCII characters without spaces, e.g. a UUID",
    ),
]


@router.post(
    "/orders",
    summary="Place an order",
    tags=["orders"],
    **documented(201, OrderView, 400, 401, 409, 415, 422, 503),
)
def post_order(body: CreateOrderIn, idempotency_key: IdempotencyKey = None) -> Response[Any]:
    """One catalog product with a customization request (P1). The server computes the price,
    the $10 fee and the total (P2); payment is due within 24 hours (P3) through the answer's
    `checkout`. A request outside the product's range, or with remarks, is accepted for a
    designer's review (P4, P5). Send `Idempotency-Key` to make a retry safe."""
    container = get_container()
    customer = auth.customer_id(router)

    def place() -> dict[str, Any]:
        order = container.customer_orders.place(
            PlaceOrder(
                customer_id=customer,
                product_id=body.product_id,
                size=body.size,
                customization=body.customization.to_domain(),
                contact=body.contact.to_domain(),
                shipping_address=body.shipping_address.to_domain(),
                accept_terms_version=body.accept_terms_version,
                idempotency_key=idempotency_key,
            )
        )
        return OrderView.of(order, container.clock.now()).model_dump(mode="json")

    if idempotency_key is None:
        view = place()
    else:
        view = container.idempotency_records.run_once(
            customer_id=customer,
            key=idempotency_key,
            body=body.model_dump(mode="json"),
            work=place,
            lambda_context=router.lambda_context,
        )
    return Response(
        HTTPStatus.CREATED,
        content_types.APPLICATION_JSON,
        json.dumps(view),
        headers={"Location": f"/orders/{view['order_id']}"},
    )


@router.get(
    "/orders",
    summary="List my orders",
    tags=["orders"],
    **documented(200, OrderPage, 401, 422, 503),
)
def list_orders(limit: Limit = 20, cursor: Cursor = None) -> OrderPage:
    """The caller's own orders, newest first."""
    container = get_container()
    page = container.customer_orders.list_orders(
        auth.customer_id(router), limit=limit, cursor=cursor
    )
    now = container.clock.now()
    return OrderPage(items=[OrderView.of(o, now) for o in page.items], next_cursor=page.next_cursor)


@router.get(
    "/orders/<order_id>",
    summary="Read one of my orders",
    tags=["orders"],
    **documented(200, OrderView, 401, 404, 422, 503),
)
def get_order(order_id: OrderIdPath) -> OrderView:
    """Another customer's order answers 404, like a missing one."""
    container = get_container()
    order = container.customer_orders.get(auth.customer_id(router), order_id)
    return OrderView.of(order, container.clock.now())


@router.post(
    "/orders/<order_id>/cancel",
    summary="Cancel my unpaid order",
    tags=["orders"],
    **documented(200, OrderView, 401, 404, 409, 415, 422, 503),
)
def post_cancel(order_id: OrderIdPath) -> OrderView:
    """Only while payment is pending (P3); a paid order is cancelled by the shop's staff."""
    c = get_container()
    order = c.customer_orders.cancel(auth.customer_id(router), order_id)
    return OrderView.of(order, c.clock.now())


@router.post(
    "/orders/<order_id>/checkout",
    summary="Get a fresh checkout",
    tags=["orders"],
    **documented(200, OrderView, 401, 404, 409, 415, 422, 503),
)
def post_checkout(order_id: OrderIdPath) -> OrderView:
    """A fresh checkout while at least 30 minutes of the payment window remain."""
    c = get_container()
    order = c.customer_orders.renew_checkout(auth.customer_id(router), order_id)
    return OrderView.of(order, c.clock.now())


@router.get(
    "/orders/<order_id>/messages",
    summary="Read the consultation",
    tags=["orders"],
    **documented(200, MessagePage, 401, 404, 422, 503),
)
def list_messages(order_id: OrderIdPath) -> MessagePage:
    """P8: the consultation with the designers about this order, oldest first."""
    messages = get_container().customer_orders.messages(auth.customer_id(router), order_id)
    return MessagePage(items=[MessageView.of(m) for m in messages], next_cursor=None)


@router.post(
    "/orders/<order_id>/messages",
    summary="Write to the designers",
    tags=["orders"],
    **documented(201, MessageView, 401, 404, 415, 422, 503),
)
def post_message(order_id: OrderIdPath, body: MessageIn) -> Response[str]:
    """P8: a message in the consultation about this order; staff are told it arrived."""
    message = get_container().customer_orders.post_message(
        auth.customer_id(router), order_id, body.text
    )
    return Response(201, content_types.APPLICATION_JSON, MessageView.of(message).model_dump_json())


@router.post(
    "/orders/<order_id>/surcharge/accept",
    summary="Accept the surcharge",
    tags=["orders"],
    **documented(200, OrderView, 401, 404, 409, 415, 422, 503),
)
def accept_surcharge(order_id: OrderIdPath) -> OrderView:
    """P5: agree to the surcharge; the order answers with a checkout for it, due in 24 h."""
    c = get_container()
    order = c.customer_orders.accept_surcharge(auth.customer_id(router), order_id)
    return OrderView.of(order, c.clock.now())


@router.post(
    "/orders/<order_id>/surcharge/decline",
    summary="Decline the surcharge",
    tags=["orders"],
    **documented(200, OrderView, 401, 404, 409, 415, 422, 503),
)
def decline_surcharge(order_id: OrderIdPath) -> OrderView:
    """P5: refuse the surcharge: the order is cancelled and fully refunded."""
    c = get_container()
    order = c.customer_orders.decline_surcharge(auth.customer_id(router), order_id)
    return OrderView.of(order, c.clock.now())
