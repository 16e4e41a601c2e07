"""The HTTP resolver every API function uses: validation on, the project's error shape, a
JSON reader that turns any unreadable body into a 400 rather than a crash, 415 for a body
sent as anything but JSON, and 422 for a JSON body that is not an object."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.types import EventHandlerInstance
from aws_lambda_powertools.utilities.typing import LambdaContext

from atelier.api.errors import proxy_error_response, register_error_handlers

# Methods whose requests carry a body; every body this API takes is JSON.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def read_json(text: str) -> Any:
    """json.loads, except that bodies Python cannot parse safely (nesting deep enough to
    exhaust the stack, integers longer than Python converts) are reported as invalid JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except (RecursionError, ValueError) as exc:
        raise json.JSONDecodeError(f"unreadable JSON ({type(exc).__name__})", "", 0) from exc


def is_json_media_type(content_type: str) -> bool:
    """`application/json`, with or without parameters (`; charset=utf-8`), in any case; an
    absent Content-Type counts as JSON, as powertools reads it."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in ("", "application/json")


NOT_AN_OBJECT = "The body must be a JSON object ({...}), not an array or a single value."


class ObjectBodyValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, except that a route's body must be a JSON object.

    Powertools hands a list to a non-list body model as its first element (`value[0]`), so
    `[{order}, {order}]` placed the first order. Every body this API takes is an object: any
    other JSON value is a 422 at `("body",)`, before the handler runs. An absent body keeps
    powertools' answer (the body is missing)."""

    def _get_body(self, app: EventHandlerInstance) -> dict[str, Any]:
        body = super()._get_body(app)
        if body is not None and not isinstance(body, dict):
            raise RequestValidationError(
                [{"type": "dict_type", "loc": ("body",), "msg": NOT_AN_OBJECT, "input": {}}]
            )
        return body


class JsonApiResolver(APIGatewayHttpResolver):
    """Refuses a request body (a non-empty one) in another media type with 415 before routing
    and validation.

    Powertools' validation would parse a form or multipart body as fields (and raises on a
    multipart type without a boundary, or on text/plain, before any handler): this API takes
    JSON only, and says so in the project's error shape. Media types are case-insensitive
    (RFC 9110) but powertools compares them as written, so the header reaches it in lower case."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self._enable_validation:
            # powertools keeps the middleware it runs first here; its __init__ is untyped
            self._request_validation_middleware = ObjectBodyValidation()  # type: ignore[no-untyped-call]

    def route(
        self,
        rule: str,
        method: Any,
        cors: bool | None = None,
        compress: bool = False,
        cache_control: str | None = None,
        summary: str | None = None,
        description: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Callable[[Any], Any]:
        """A route's OpenAPI `description` is its handler's docstring unless one is given (the
        `summary` each route names itself: Swagger UI shows it beside the path)."""

        def register(func: Any) -> Any:
            text = description if description is not None else inspect.getdoc(func)
            return super(JsonApiResolver, self).route(
                rule, method, cors, compress, cache_control, summary, text, *args, **kwargs
            )(func)

        return register

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        method = str(event.get("requestContext", {}).get("http", {}).get("method", "")).upper()
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        content_type = headers.get("content-type", "")
        if not is_json_media_type(content_type):
            # A body-less POST (cancel, checkout, …) may carry any Content-Type, as HTML forms
            # and some HTTP clients send one on an empty body.
            if method in _BODY_METHODS and event.get("body"):
                return proxy_error_response(
                    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                    "UNSUPPORTED_MEDIA_TYPE",
                    "The request body must be JSON, sent with Content-Type: application/json.",
                    {"content_type": content_type[:100]},
                )
        elif content_type != content_type.lower():
            event = {**event, "headers": {**headers, "content-type": content_type.lower()}}
        return super().resolve(event, context)


def new_resolver() -> APIGatewayHttpResolver:
    app = JsonApiResolver(enable_validation=True, json_body_deserializer=read_json)
    register_error_handlers(app)
    return app
