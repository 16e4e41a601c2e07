"""orders_api: the customer's quality claims: filing, evidence upload tickets, submitting."""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from atelier.api import auth
from atelier.api.openapi import documented
from atelier.api.params import ClaimIdPath, OrderIdPath
from atelier.api.schemas.claims import ClaimIn, ClaimView, EvidenceIn, EvidenceTicketView
from atelier.bootstrap import get_container
from atelier.clock import isoformat_z

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # powertools' __init__ is untyped


@router.post(
    "/orders/<order_id>/claims",
    summary="File a quality claim",
    tags=["claims"],
    **documented(201, ClaimView, 401, 404, 409, 415, 422, 503),
)
def post_claim(order_id: OrderIdPath, body: ClaimIn) -> Response[str]:
    """P9/P10: a quality claim on a delivered order, within 7 working days of delivery."""
    claim = get_container().claims.file(
        auth.customer_id(router), order_id, body.reason, body.description
    )
    view = ClaimView.of(order_id, claim)
    return Response(HTTPStatus.CREATED, content_types.APPLICATION_JSON, view.model_dump_json())


@router.get(
    "/orders/<order_id>/claims/<claim_id>",
    summary="Read one of my claims",
    tags=["claims"],
    **documented(200, ClaimView, 401, 404, 422, 503),
)
def get_claim(order_id: OrderIdPath, claim_id: ClaimIdPath) -> ClaimView:
    """With each file's check status (a rejected file says why) and, once decided, the
    resolution."""
    claim = get_container().claims.read(auth.customer_id(router), order_id, claim_id)
    return ClaimView.of(order_id, claim)


@router.post(
    "/orders/<order_id>/claims/<claim_id>/evidence",
    summary="Get an upload ticket for a photo or video",
    tags=["claims"],
    **documented(201, EvidenceTicketView, 401, 404, 409, 415, 422, 503),
)
def post_evidence(order_id: OrderIdPath, claim_id: ClaimIdPath, body: EvidenceIn) -> Response[str]:
    """An upload ticket: a presigned S3 POST for one photo (JPEG, PNG, HEIC, WebP, 25 MB) or
    video (MP4, QuickTime, 200 MB), valid 15 minutes; at most 10 files per claim."""
    issued = get_container().claims.ticket(
        auth.customer_id(router),
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


@router.post(
    "/orders/<order_id>/claims/<claim_id>/submit",
    summary="Submit my claim for review",
    tags=["claims"],
    **documented(200, ClaimView, 401, 404, 409, 415, 422, 503),
)
def submit_claim(order_id: OrderIdPath, claim_id: ClaimIdPath) -> ClaimView:
    """With at least one verified file, before the claim deadline."""
    claim = get_container().claims.submit(auth.customer_id(router), order_id, claim_id)
    return ClaimView.of(order_id, claim)
