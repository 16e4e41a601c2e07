"""payment_webhook: Stripe-format events at POST /webhooks/payments (no JWT; signed)."""

from __future__ import annotations

import base64
import binascii
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from atelier.api.errors import error_response
from atelier.api.openapi import documented
from atelier.api.resolver import new_resolver
from atelier.bootstrap import get_container
from atelier.domain.errors import (
    ConflictError,
    InvalidRequestError,
    InvalidSignatureError,
    ServiceUnavailableError,
)
from atelier.entry import lambda_entry
from atelier.observability import logger, metrics

app = new_resolver()


class WebhookAck(BaseModel):
    received: bool
    outcome: str


@app.exception_handler(ConflictError)
@app.exception_handler(ServiceUnavailableError)
def retry_later(error: ConflictError | ServiceUnavailableError) -> Response[Any]:
    # Any 5xx makes the provider retry; the retry finds the state as it now is.
    logger.warning("webhook not applied; the provider will retry", code=error.code)
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, error.code, error.message)


@app.exception_handler(InvalidRequestError)
def bad_request(error: InvalidRequestError) -> Response[Any]:
    if isinstance(error, InvalidSignatureError):
        metrics.add_metric(name="WebhookSignatureRejected", unit=MetricUnit.Count, value=1)
    return error_response(HTTPStatus.BAD_REQUEST, error.code, error.message, error.details)


@app.post(
    "/webhooks/payments",
    summary="Receive a payment provider event",
    tags=["payments"],
    **documented(200, WebhookAck, 400, 415, 500),
)
def receive() -> WebhookAck:
    """Stripe's webhook format, verified by its `Stripe-Signature` header (docs/payments.md)."""
    event = app.current_event
    outcome = get_container().payments.receive_webhook(
        _raw_body(event.body, bool(event.is_base64_encoded)),
        event.headers.get("stripe-signature"),
    )
    metrics.add_metric(name=f"PaymentEvent_{outcome}", unit=MetricUnit.Count, value=1)
    return WebhookAck(received=True, outcome=outcome)


def _raw_body(body: str | None, is_base64: bool) -> bytes:
    """The bytes the provider signed: API Gateway base64-encodes bodies it deems binary."""
    if body is None:
        return b""
    if not is_base64:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequestError("The body is not valid base64.", code="MALFORMED_EVENT") from exc


@lambda_entry(
    needs=(("webhook_secret_parameter", "webhook_secrets"),),
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP,
)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
