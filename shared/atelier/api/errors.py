"""The one place where errors become HTTP answers: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import traceback
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from atelier.api.schemas.error import ErrorResponse
from atelier.domain.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    ServiceUnavailableError,
    UnauthorizedError,
)
from atelier.observability import logger

STATUS_OF: dict[type[DomainError], HTTPStatus] = {
    InvalidRequestError: HTTPStatus.UNPROCESSABLE_ENTITY,
    NotFoundError: HTTPStatus.NOT_FOUND,
    ConflictError: HTTPStatus.CONFLICT,
    ForbiddenError: HTTPStatus.FORBIDDEN,
    UnauthorizedError: HTTPStatus.UNAUTHORIZED,
    ServiceUnavailableError: HTTPStatus.SERVICE_UNAVAILABLE,
}
RETRY_AFTER_SECONDS = "2"


def error_response(
    status: HTTPStatus, code: str, message: str, details: Any = None, **headers: str
) -> Response[Any]:
    body = ErrorResponse.model_validate(
        {"error": {"code": code, "message": message, "details": details}}
    )
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(),
        headers=headers or None,
    )


def proxy_error_response(
    status: HTTPStatus, code: str, message: str, details: Any = None
) -> dict[str, Any]:
    """An error in API Gateway's payload 2.0 response format, for answers given before the
    resolver routes the request."""
    body = ErrorResponse.model_validate(
        {"error": {"code": code, "message": message, "details": details}}
    )
    return {
        "statusCode": int(status),
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": body.model_dump_json(),
        "isBase64Encoded": False,
    }


def forbidden_response() -> dict[str, Any]:
    return proxy_error_response(
        HTTPStatus.FORBIDDEN, ForbiddenError.code, "This route is for the shop's staff."
    )


def status_of(error: DomainError) -> HTTPStatus:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return HTTPStatus.UNPROCESSABLE_ENTITY


def _validation_details(error: RequestValidationError) -> list[dict[str, Any]]:
    # Never echo the input back (it may be personal data); location, type and message only.
    return [
        {"loc": list(e.get("loc", ())), "type": e.get("type", ""), "msg": e.get("msg", "")}
        for e in error.errors()
    ]


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(DomainError)
    def domain_error(error: DomainError) -> Response[Any]:
        status = status_of(error)
        headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else {}
        if status >= 500:
            logger.warning("dependency unavailable", code=error.code, details=error.details)
        return error_response(status, error.code, error.message, error.details, **headers)

    @app.exception_handler(RequestValidationError)
    def validation_error(error: RequestValidationError) -> Response[Any]:
        details = _validation_details(error)
        if any(d["type"] == "json_invalid" for d in details):
            return error_response(
                HTTPStatus.BAD_REQUEST, "MALFORMED_JSON", "The request body is not valid JSON."
            )
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "VALIDATION_FAILED",
            "The request does not have the expected shape; see details for each field.",
            details,
        )

    @app.exception_handler(UnicodeDecodeError)
    def undecodable(_: UnicodeDecodeError) -> Response[Any]:
        return error_response(
            HTTPStatus.BAD_REQUEST, "MALFORMED_JSON", "The request body is not UTF-8 JSON."
        )

    @app.not_found
    def not_found(_: Exception) -> Response[Any]:
        return error_response(HTTPStatus.NOT_FOUND, "NOT_FOUND", "There is no such resource.")

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response[Any]:
        # The message may hold personal data (e.g. a pydantic error quoting input): log the
        # exception's type and stack only.
        logger.error(
            "unhandled error",
            error_type=type(error).__name__,
            stack="".join(traceback.format_tb(error.__traceback__)),
        )
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Something went wrong on our side. Quote the correlation id to support.",
            {"correlation_id": app.lambda_context.aws_request_id if app.lambda_context else None},
        )
