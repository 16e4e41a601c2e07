"""Who is calling, from the JWT claims API Gateway's authorizer put in the request context."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from atelier.domain.errors import ForbiddenError, UnauthorizedError

# A function's resolver, or a Router included in it (its current_event is the resolver's).
HttpApp = APIGatewayHttpResolver | APIGatewayHttpRouter


def claims(app: HttpApp) -> dict[str, str]:
    authorizer = app.current_event.request_context.authorizer
    found = authorizer.jwt_claim if authorizer is not None else None
    return dict(found or {})


# A customer id is the token's `sub` and becomes part of table keys: 1-128 printable ASCII
# characters. Cognito's is a 36-character UUID; OpenID Connect allows up to 255 ASCII
# characters; 128 is what `POST /staff/customers/{customer_id}/erase` takes, so every customer
# the API serves can be erased. docs/decisions.md says why this is a 401.
_CUSTOMER_ID = re.compile(r"[\x21-\x7e]{1,128}")


def customer_id(app: HttpApp) -> str:
    """The caller's id: the token's `sub`, never a body field. A `sub` that cannot be a
    customer id is refused before anything is read or written under it."""
    sub = claims(app).get("sub")
    if not sub:
        raise UnauthorizedError("Sign in to use this route.")
    if not isinstance(sub, str) or _CUSTOMER_ID.fullmatch(sub) is None:
        raise UnauthorizedError(
            "This sign-in cannot be used here: its user id is not one this shop's sign-in "
            "issues. Sign in again through the shop; if it happens again, contact the shop."
        )
    return sub


def groups(app: HttpApp) -> frozenset[str]:
    return groups_in(claims(app))


def event_claims(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The JWT claims of a raw HTTP API (payload 2.0) event, before any parsing."""
    context = event.get("requestContext") or {}
    jwt = (context.get("authorizer") or {}).get("jwt") or {}
    found = jwt.get("claims") or {}
    return found if isinstance(found, Mapping) else {}


def groups_in(found: Mapping[str, Any]) -> frozenset[str]:
    """`cognito:groups` exactly as API Gateway HTTP API's JWT authorizer writes an array claim:
    one string, the names between `[` and `]`, separated by single spaces (`"[staff admin]"`).
    Cognito group names may hold commas and brackets but never white space, so a space is the
    only separator: `"[x,staff]"` is the one group `x,staff`. A real JSON list (another
    authorizer, a hand-made event) counts its items as they are; a plain string is one name."""
    raw: object = found.get("cognito:groups")
    if raw is None:
        return frozenset()
    if isinstance(raw, list):
        return frozenset(str(g) for g in raw)
    text = str(raw)
    if len(text) >= 2 and text.startswith("[") and text.endswith("]"):
        return frozenset(part for part in text[1:-1].split(" ") if part)
    return frozenset({text}) if text else frozenset()


STAFF_GROUP = "staff"


def staff_id(app: HttpApp) -> str:
    """The caller's id, if the token's `cognito:groups` holds `staff`. API Gateway only checks
    the token, so the group is checked here: a valid customer token is a 403."""
    if STAFF_GROUP not in groups(app):
        raise ForbiddenError("This route is for the shop's staff.")
    return f"staff:{customer_id(app)}"
