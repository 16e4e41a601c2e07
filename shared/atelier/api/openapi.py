"""OpenAPI: the responses each route documents, and the one published document.

`openapi.json` beside this file is generated from every function's resolver by
`python -m infra.openapi` (a test fails when it is stale) and served by GET /openapi.json.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import BaseModel

from atelier.api.schemas.error import ErrorResponse

_ERRORS = {
    400: "The body is not valid JSON.",
    401: 'No valid token (answered by API Gateway as `{"message": "Unauthorized"}`, or by '
    "the function in the error shape).",
    403: "The token is valid but lacks the staff group.",
    404: "Not found, or not yours.",
    409: "Conflicts with the current state, lost a race, or an Idempotency-Key was reused.",
    422: "The request breaks a rule or fails validation; `details` says where.",
    500: "Not handled (for the payment webhook: not applied, so the provider retries).",
    415: "The body is not sent as JSON: `Content-Type` must be `application/json`.",
    503: "A dependency is busy; retry after the `Retry-After` header's seconds.",
}


def documented(status: int, model: type[BaseModel], *errors: int) -> dict[str, Any]:
    """`responses=` for a route: its success body and the error bodies it may answer."""
    responses: dict[int, Any] = {
        status: {"description": "Success", "content": {"application/json": {"model": model}}}
    }
    for code in sorted({*errors, 422}):
        responses[code] = {
            "description": _ERRORS[code],
            "content": {"application/json": {"model": ErrorResponse}},
        }
    return {"responses": responses}


@lru_cache(maxsize=1)
def published_document() -> str:
    return resources.files("atelier.api").joinpath("openapi.json").read_text(encoding="utf-8")
