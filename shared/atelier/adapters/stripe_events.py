"""Stripe webhook events (`POST /webhooks/payments`) reduced to the domain's PaymentEvent."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from atelier.adapters.stripe_signature import SignatureError, verify_signature
from atelier.domain.errors import InvalidRequestError, InvalidSignatureError
from atelier.domain.payment_events import PaymentEvent, PaymentEventKind
from atelier.observability import logger

_SESSION_KINDS = {
    "checkout.session.completed": PaymentEventKind.PAID,
    "checkout.session.async_payment_succeeded": PaymentEventKind.PAID,
    "checkout.session.async_payment_failed": PaymentEventKind.FAILED,
    "checkout.session.expired": PaymentEventKind.SESSION_EXPIRED,
}
# Events whose object is a Refund: a refund that failed (or was canceled) after Stripe took it.
_REFUND_EVENTS = frozenset({"refund.failed", "charge.refund.updated", "refund.updated"})
_REFUND_NOT_MADE = frozenset({"failed", "canceled"})

# Stripe's ids are at most 255 characters; anything longer cannot be one of ours and would
# exceed what a DynamoDB key holds once prefixed.
MAX_ID_LENGTH = 255
# `created` is Unix seconds; this bound keeps it a date every part of the system can hold.
MAX_CREATED = 4102444800  # 2100-01-01T00:00:00Z
MAX_CENTS = 10**12

_FIELD_RULES = {
    "id": f"must be a Stripe id: 1 to {MAX_ID_LENGTH} printable ASCII characters, no spaces",
    "type": f"must be an event type of at most {MAX_ID_LENGTH} characters",
    "created": "must be a whole number of seconds since 1970 (an integer, before the year 2100)",
    "data": "must be an object holding the event's `object`",
}


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"^[!-~]+$")]
    type: Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH)]
    created: Annotated[StrictInt, Field(ge=0, lt=MAX_CREATED)]
    data: dict[str, Any]


def _malformed(field: str, rule: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"The webhook body is not a Stripe event: `{field}` {rule}.",
        code="MALFORMED_EVENT",
        details={"field": field},
    )


class StripeWebhookEvents:
    """The PaymentEventReader port for Stripe: its signature scheme, then its event format.
    `secrets` is asked on every read, so a rotated secret is picked up where it is cached."""

    def __init__(self, secrets: Callable[[], Sequence[str]]) -> None:
        self._secrets = secrets

    def read(self, raw_body: bytes, signature_header: str | None, now: datetime) -> PaymentEvent:
        try:
            verify_signature(raw_body, signature_header, self._secrets(), now=int(now.timestamp()))
        except SignatureError as exc:
            logger.warning("webhook signature rejected", reason=exc.reason)
            raise InvalidSignatureError(
                f"The Stripe-Signature header does not verify ({exc.reason})."
            ) from exc
        return parse_stripe_event(raw_body)


def parse_stripe_event(raw: bytes) -> PaymentEvent:
    """The event as the rules see it. Malformed JSON, a missing or out-of-range envelope field,
    or an id too long to be Stripe's is a 400-class error naming the field; an event type we
    do not use parses to IGNORED."""
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise _malformed("body", "must be JSON") from exc
    if not isinstance(body, dict):
        raise _malformed("body", "must be a JSON object")
    try:
        envelope = _Envelope.model_validate(body)
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else "body"
        raise _malformed(field, _FIELD_RULES.get(field, "is missing or invalid")) from exc
    obj = envelope.data.get("object")
    if not isinstance(obj, dict):
        raise _malformed("data.object", "must be an object")

    base: dict[str, Any] = {
        "event_id": f"stripe:{envelope.id}",
        "created": datetime.fromtimestamp(envelope.created, UTC),
        "provider_type": envelope.type,
    }
    kind = _SESSION_KINDS.get(envelope.type)
    if kind is not None:
        if kind is PaymentEventKind.PAID and obj.get("payment_status") != "paid":
            # A delayed method: completed but not paid yet; async_payment_* follows.
            kind = PaymentEventKind.IGNORED
        return PaymentEvent(
            kind=kind,
            order_id=_id(obj, "client_reference_id"),
            session_id=_id(obj, "id"),
            payment_intent=_id(obj, "payment_intent"),
            amount_cents=_cents(obj, "amount_total"),
            currency=_upper(obj.get("currency")),
            **base,
        )
    if envelope.type == "charge.refunded":
        # Stripe copies the PaymentIntent's metadata (our checkout sets `order_id` there) onto
        # the charge it creates; the service checks it against the order's payments.
        metadata = obj.get("metadata")
        named = (
            _id(metadata, "order_id", "data.object.metadata")
            if isinstance(metadata, dict)
            else None
        )
        return PaymentEvent(
            kind=PaymentEventKind.REFUNDED,
            order_id=named,
            payment_intent=_id(obj, "payment_intent"),
            amount_cents=_cents(obj, "amount"),
            currency=_upper(obj.get("currency")),
            refunded_total_cents=_cents(obj, "amount_refunded"),
            **base,
        )
    if envelope.type == "charge.dispute.created":
        # A dispute carries its charge and payment intent, and only its own metadata: no order
        # id (the service finds the order through the payment intent).
        return PaymentEvent(
            kind=PaymentEventKind.DISPUTED,
            payment_intent=_id(obj, "payment_intent"),
            amount_cents=_cents(obj, "amount"),
            currency=_upper(obj.get("currency")),
            **base,
        )
    if envelope.type in _REFUND_EVENTS and obj.get("status") in _REFUND_NOT_MADE:
        # A Refund object (`object: "refund"`): its own id, amount, payment intent and the
        # time it was made; its metadata is the refund's own (no order id).
        created = _int(obj.get("created"))
        return PaymentEvent(
            kind=PaymentEventKind.REFUND_FAILED,
            payment_intent=_id(obj, "payment_intent"),
            amount_cents=_cents(obj, "amount"),
            currency=_upper(obj.get("currency")),
            refund_id=_id(obj, "id"),
            refund_created=(
                datetime.fromtimestamp(created, UTC)
                if created is not None and 0 <= created < MAX_CREATED
                else None
            ),
            failure_reason=_text(obj.get("failure_reason")) or _text(obj.get("status")),
            **base,
        )
    return PaymentEvent(kind=PaymentEventKind.IGNORED, **base)


def _text(value: Any) -> str | None:
    return value[:MAX_ID_LENGTH] if isinstance(value, str) and value else None


def _id(obj: dict[str, Any], name: str, within: str = "data.object") -> str | None:
    """An id field: None when absent or not text; a 400 when longer than any Stripe id.
    Expanded objects carry the id inside."""
    value = obj.get(name)
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or not value:
        return None
    if len(value) > MAX_ID_LENGTH:
        raise _malformed(f"{within}.{name}", f"must be at most {MAX_ID_LENGTH} characters")
    return value


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _cents(obj: dict[str, Any], name: str) -> int | None:
    """An amount in cents: None when absent or not an integer; a 400 when out of any real
    payment's range (storage holds at most 38 digits)."""
    value = _int(obj.get(name))
    if value is not None and not 0 <= value <= MAX_CENTS:
        raise _malformed(f"data.object.{name}", f"must be between 0 and {MAX_CENTS} cents")
    return value


def _upper(value: Any) -> str | None:
    return value.upper() if isinstance(value, str) else None
