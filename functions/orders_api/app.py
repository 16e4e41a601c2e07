"""orders_api: the public catalog and terms, and the customer's own orders."""

from __future__ import annotations

import json
from datetime import timedelta
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from atelier.api import auth
from atelier.api.openapi import documented, published_document
from atelier.api.resolver import new_resolver
from atelier.api.schemas.claims import ClaimIn, ClaimView, EvidenceIn, EvidenceTicketView
from atelier.api.schemas.customer import CreateOrderIn, MessagePage, OrderPage, ProductPage, Terms
from atelier.api.schemas.orders import MessageIn, MessageView, OrderView, ProductView
from atelier.bootstrap import get_container
from atelier.clock import isoformat_z
from atelier.domain.terms import CURRENT_TERMS
from atelier.domain.text import Shaped
from atelier.entry import lambda_entry
from atelier.services import catalog, customer_orders
from atelier.services.create_order import PlaceOrder, create_order

app = new_resolver()

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (1-100).")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="next_cursor of the previous page.")
]
OrderId = Annotated[str, Path(max_length=64)]
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


@app.get(
    "/products", summary="List the catalog", tags=["catalog"], **documented(200, ProductPage, 422)
)
def list_products(limit: Limit = 20, cursor: Cursor = None) -> ProductPage:
    """The products customers can order, with each one's price, sizes and customization
    range (P5), a page at a time."""
    page = catalog.list_products(get_container().products, limit=limit, cursor=cursor)
    return ProductPage(items=[ProductView.of(p) for p in page.items], next_cursor=page.next_cursor)


@app.get(
    "/products/<product_id>",
    summary="Read one product",
    tags=["catalog"],
    **documented(200, ProductView, 404, 422),
)
def get_product(product_id: Annotated[str, Path(max_length=64)]) -> ProductView:
    """A product with its price, sizes and customization range (P5); a retired or unknown
    one is a 404."""
    return ProductView.of(catalog.get_product(get_container().products, product_id))


@app.get("/terms", summary="Read the terms in force", tags=["catalog"], **documented(200, Terms))
def get_terms() -> Terms:
    """The terms an order accepts (P6): their version goes in `accept_terms_version`."""
    return Terms(version=CURRENT_TERMS.version, text=CURRENT_TERMS.text)


@app.get("/openapi.json", tags=["catalog"], include_in_schema=False)
def get_openapi() -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, published_document())


@app.post(
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
    customer = auth.customer_id(app)

    def place() -> dict[str, Any]:
        order = create_order(
            PlaceOrder(
                customer_id=customer,
                product_id=body.product_id,
                size=body.size,
                customization=body.customization.to_domain(),
                contact=body.contact.to_domain(),
                shipping_address=body.shipping_address.to_domain(),
                accept_terms_version=body.accept_terms_version,
                idempotency_key=idempotency_key,
            ),
            products=container.products,
            orders=container.orders,
            gateway=container.gateway,
            clock=container.clock,
            customization_fee_cents=container.settings.customization_fee_cents,
            reminder_lead=timedelta(hours=container.settings.payment_reminder_lead_hours),
        )
        return OrderView.of(order, container.clock.now()).model_dump(mode="json")

    if idempotency_key is None:
        view = place()
    else:
        view = container.idempotency_records().run_once(
            customer_id=customer,
            key=idempotency_key,
            body=body.model_dump(mode="json"),
            work=place,
            lambda_context=app.lambda_context,
        )
    return Response(
        HTTPStatus.CREATED,
        content_types.APPLICATION_JSON,
        json.dumps(view),
        headers={"Location": f"/orders/{view['order_id']}"},
    )


@app.get(
    "/orders",
    summary="List my orders",
    tags=["orders"],
    **documented(200, OrderPage, 401, 422, 503),
)
def list_orders(limit: Limit = 20, cursor: Cursor = None) -> OrderPage:
    """The caller's own orders, newest first."""
    container = get_container()
    page = customer_orders.list_customer_orders(
        container.orders, auth.customer_id(app), limit=limit, cursor=cursor
    )
    now = container.clock.now()
    return OrderPage(items=[OrderView.of(o, now) for o in page.items], next_cursor=page.next_cursor)


@app.get(
    "/orders/<order_id>",
    summary="Read one of my orders",
    tags=["orders"],
    **documented(200, OrderView, 401, 404, 422, 503),
)
def get_order(order_id: OrderId) -> OrderView:
    """Another customer's order answers 404, like a missing one."""
    container = get_container()
    order = customer_orders.get_customer_order(container.orders, auth.customer_id(app), order_id)
    return OrderView.of(order, container.clock.now())


@app.post(
    "/orders/<order_id>/cancel",
    summary="Cancel my unpaid order",
    tags=["orders"],
    **documented(200, OrderView, 401, 404, 409, 415, 422, 503),
)
def post_cancel(order_id: OrderId) -> OrderView:
    """Only while payment is pending (P3); a paid order is cancelled by the shop's staff."""
    c = get_container()
    order = customer_orders.cancel_order(
        c.orders, c.gateway, c.clock, c.calendar, auth.customer_id(app), order_id
    )
    return OrderView.of(order, c.clock.now())


@app.post(
    "/orders/<order_id>/checkout",
    summary="Get a fresh checkout",
    tags=["orders"],
    **documented(200, OrderView, 401, 404, 409, 415, 422, 503),
)
def post_checkout(order_id: OrderId) -> OrderView:
    """A fresh checkout while at least 30 minutes of the payment window remain."""
    c = get_container()
    order = customer_orders.renew_checkout(
        c.orders, c.gateway, c.clock, c.calendar, auth.customer_id(app), order_id
    )
    return OrderView.of(order, c.clock.now())


@app.get(
    "/orders/<order_id>/messages",
    summary="Read the consultation",
    tags=["orders"],
    **documented(200, MessagePage, 401, 404, 422, 503),
)
def list_messages(order_id: OrderId) -> MessagePage:
    """P8: the consultation with the designers about this order, oldest first."""
    messages = get_container().workshop.customer_messages(auth.customer_id(app), order_id)
    return MessagePage(items=[MessageView.of(m) for m in messages], next_cursor=None)


@app.post(
    "/orders/<order_id>/messages",
    summary="Write to the designers",
    tags=["orders"],
    **documented(201, MessageView, 401, 404, 415, 422, 503),
)
def post_message(order_id: OrderId, body: MessageIn) -> Response[str]:
    """P8: a message in the consultation about this order; staff are told it arrived."""
    message = get_container().workshop.customer_posts(auth.customer_id(app), order_id, body.text)
    return Response(201, content_types.APPLICATION_JSON, MessageView.of(message).model_dump_json())


@app.post(
    "/orders/<order_id>/surcharge/accept",
    summary="Accept the surcharge",
    tags=["orders"],
    **documented(200, OrderView, 401, 404, 409, 415, 422, 503),
)
def accept_surcharge(order_id: OrderId) -> OrderView:
    """P5: agree to the surcharge; the order answers with a checkout for it, due in 24 h."""
    c = get_container()
    order = c.workshop.accept_surcharge(auth.customer_id(app), order_id)
    return OrderView.of(order, c.clock.now())


@app.post(
    "/orders/<order_id>/surcharge/decline",
    summary="Decline the surcharge",
    tags=["orders"],
    **documented(200, OrderView, 401, 404, 409, 415, 422, 503),
)
def decline_surcharge(order_id: OrderId) -> OrderView:
    """P5: refuse the surcharge: the order is cancelled and fully refunded."""
    c = get_container()
    order = c.workshop.decline_surcharge(auth.customer_id(app), order_id)
    return OrderView.of(order, c.clock.now())


ClaimId = Annotated[str, Path(max_length=64)]


@app.post(
    "/orders/<order_id>/claims",
    summary="File a quality claim",
    tags=["claims"],
    **documented(201, ClaimView, 401, 404, 409, 415, 422, 503),
)
def post_claim(order_id: OrderId, body: ClaimIn) -> Response[str]:
    """P9/P10: a quality claim on a delivered order, within 7 working days of delivery."""
    claim = get_container().claims.file(
        auth.customer_id(app), order_id, body.reason, body.description
    )
    view = ClaimView.of(order_id, claim)
    return Response(HTTPStatus.CREATED, content_types.APPLICATION_JSON, view.model_dump_json())


@app.get(
    "/orders/<order_id>/claims/<claim_id>",
    summary="Read one of my claims",
    tags=["claims"],
    **documented(200, ClaimView, 401, 404, 422, 503),
)
def get_claim(order_id: OrderId, claim_id: ClaimId) -> ClaimView:
    """With each file's check status (a rejected file says why) and, once decided, the
    resolution."""
    claim = get_container().claims.read(auth.customer_id(app), order_id, claim_id)
    return ClaimView.of(order_id, claim)


@app.post(
    "/orders/<order_id>/claims/<claim_id>/evidence",
    summary="Get an upload ticket for a photo or video",
    tags=["claims"],
    **documented(201, EvidenceTicketView, 401, 404, 409, 415, 422, 503),
)
def post_evidence(order_id: OrderId, claim_id: ClaimId, body: EvidenceIn) -> Response[str]:
    """An upload ticket: a presigned S3 POST for one photo (JPEG, PNG, HEIC, WebP, 25 MB) or
    video (MP4, QuickTime, 200 MB), valid 15 minutes; at most 10 files per claim."""
    issued = get_container().claims.ticket(
        auth.customer_id(app),
        order_id,
        claim_id,
        body.filename,
        body.content_type,
        body.size_bytes,
    )
    view = EvidenceTicketView(
        evidence_id=issued.evidence_id,
        url=issued.ticket.url,
        fields=issued.ticket.fields,
        expires_at=isoformat_z(issued.ticket.expires_at),
    )
    return Response(HTTPStatus.CREATED, content_types.APPLICATION_JSON, view.model_dump_json())


@app.post(
    "/orders/<order_id>/claims/<claim_id>/submit",
    summary="Submit my claim for review",
    tags=["claims"],
    **documented(200, ClaimView, 401, 404, 409, 415, 422, 503),
)
def submit_claim(order_id: OrderId, claim_id: ClaimId) -> ClaimView:
    """With at least one verified file, before the claim deadline."""
    claim = get_container().claims.submit(auth.customer_id(app), order_id, claim_id)
    return ClaimView.of(order_id, claim)


@lambda_entry(
    needs=("idempotency_table_name", "evidence_bucket"),
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP,
)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
