"""staff_api: the claim queues and the shop's decision on a claim."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from atelier.api import auth
from atelier.api.openapi import documented
from atelier.api.params import ClaimIdPath, QueueCursor, QueueLimit
from atelier.api.schemas.claims import ClaimDecisionIn, ClaimPage, ClaimView
from atelier.bootstrap import get_container
from atelier.domain.claims import ClaimDecision, ClaimStatus, Remedy

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # powertools' __init__ is untyped
STAFF = ["staff"]


@router.get(
    "/staff/claims",
    summary="Staff: a claim queue by status",
    tags=STAFF,
    **documented(200, ClaimPage, 401, 403, 422, 503),
)
def list_claims(
    status: Annotated[ClaimStatus, Query(description="Claims in this status, oldest first.")],
    limit: QueueLimit = 20,
    cursor: QueueCursor = None,
) -> ClaimPage:
    """With presigned links (5 minutes) to each verified photo or video."""
    auth.staff_id(router)
    claims = get_container().claims
    page = claims.staff_list(status, limit=limit, cursor=cursor)
    return ClaimPage(
        items=[ClaimView.of(o.order_id, c, claims.evidence_urls(c)) for o, c in page.items],
        next_cursor=page.next_cursor,
    )


@router.post(
    "/staff/claims/<claim_id>/decision",
    summary="Staff: decide a claim",
    tags=STAFF,
    **documented(200, ClaimView, 401, 403, 404, 409, 415, 422, 503),
)
def decide_claim(claim_id: ClaimIdPath, body: ClaimDecisionIn) -> ClaimView:
    """APPROVE (REMAKE or REPLACE: a prepaid return label, back to production with a new
    ship_by) or REJECT with a note the customer sees."""
    actor = auth.staff_id(router)
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
