"""The HTTP resolver every API function uses: validation on, the project's error shape, and a
JSON reader that turns any unreadable body into a 400 rather than a crash."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from atelier.api.errors import register_error_handlers


def read_json(text: str) -> Any:
    """json.loads, except that bodies Python cannot parse safely (nesting deep enough to
    exhaust the stack, integers longer than Python converts) are reported as invalid JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except (RecursionError, ValueError) as exc:
        raise json.JSONDecodeError(f"unreadable JSON ({type(exc).__name__})", "", 0) from exc


def new_resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=read_json)
    register_error_handlers(app)
    return app
