"""Who is calling, from the JWT claims API Gateway's authorizer put in the request context."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from atelier.domain.errors import UnauthorizedError


def claims(app: APIGatewayHttpResolver) -> dict[str, str]:
    authorizer = app.current_event.request_context.authorizer
    found = authorizer.jwt_claim if authorizer is not None else None
    return dict(found or {})


def customer_id(app: APIGatewayHttpResolver) -> str:
    """The caller's id: the token's `sub`, never a body field."""
    sub = claims(app).get("sub")
    if not sub:
        raise UnauthorizedError("Sign in to use this route.")
    return sub


def groups(app: APIGatewayHttpResolver) -> frozenset[str]:
    """`cognito:groups` as API Gateway writes it: the string "[staff admin]" (or a list)."""
    raw: object = claims(app).get("cognito:groups", "")
    if isinstance(raw, list):
        return frozenset(str(g) for g in raw)
    text = str(raw).strip().removeprefix("[").removesuffix("]")
    return frozenset(part for part in text.replace(",", " ").split() if part)
