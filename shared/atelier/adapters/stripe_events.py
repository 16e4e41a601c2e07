"""Stripe webhook events (`POST /webhooks/payments`) reduced to the domain's PaymentEvent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from atelier.domain.errors import InvalidRequestError
from atelier.services.payments import PaymentEvent, PaymentEventKind

_SESSION_KINDS = {
    "checkout.session.completed": PaymentEventKind.PAID,
    "checkout.session.async_payment_succeeded": PaymentEventKind.PAID,
    "checkout.session.async_payment_failed": PaymentEventKind.FAILED,
    "checkout.session.expired": PaymentEventKind.SESSION_EXPIRED,
}


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    type: str
    created: int
    data: dict[str, Any]


def parse_stripe_event(raw: bytes) -> PaymentEvent:
    """The event as the rules see it. Malformed JSON or a missing envelope field is a 400-class
    error; an event type we do not use parses to IGNORED."""
    try:
        envelope = _Envelope.model_validate(json.loads(raw))
        obj: dict[str, Any] = envelope.data["object"]
        if not isinstance(obj, dict):
            raise TypeError("data.object is not an object")
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        raise InvalidRequestError(
            "The webhook body is not a Stripe event.", code="MALFORMED_EVENT"
        ) from exc

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
            order_id=_text(obj.get("client_reference_id")),
            session_id=_text(obj.get("id")),
            payment_intent=_intent(obj.get("payment_intent")),
            amount_cents=_int(obj.get("amount_total")),
            currency=_upper(obj.get("currency")),
            **base,
        )
    if envelope.type == "charge.refunded":
        # Stripe copies the PaymentIntent's metadata (our checkout sets `order_id` there) onto
        # the charge it creates; the service checks it against the order's payments.
        metadata = obj.get("metadata")
        return PaymentEvent(
            kind=PaymentEventKind.REFUNDED,
            order_id=_text(metadata.get("order_id")) if isinstance(metadata, dict) else None,
            payment_intent=_intent(obj.get("payment_intent")),
            amount_cents=_int(obj.get("amount")),
            currency=_upper(obj.get("currency")),
            refunded_total_cents=_int(obj.get("amount_refunded")),
            **base,
        )
    if envelope.type == "charge.dispute.created":
        # A dispute carries its charge and payment intent, and only its own metadata: no order
        # id (the service finds the order through the payment intent).
        return PaymentEvent(
            kind=PaymentEventKind.DISPUTED,
            payment_intent=_intent(obj.get("payment_intent")),
            amount_cents=_int(obj.get("amount")),
            currency=_upper(obj.get("currency")),
            **base,
        )
    return PaymentEvent(kind=PaymentEventKind.IGNORED, **base)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _intent(value: Any) -> str | None:
    # Expanded objects carry the id inside.
    if isinstance(value, dict):
        value = value.get("id")
    return _text(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _upper(value: Any) -> str | None:
    return value.upper() if isinstance(value, str) else None
