"""The payment provider's webhook: trust the signature, then apply the event (P3)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.errors import InvalidSignatureError
from atelier.domain.webhook_signature import SignatureError, verify_signature
from atelier.observability import logger
from atelier.ports import Clock, OrderRepository, PaymentGateway
from atelier.services.payments import Outcome, PaymentEvent, apply_payment_event


def receive_payment_webhook(
    raw_body: bytes,
    signature_header: str | None,
    *,
    secrets: Sequence[str],
    parse: Callable[[bytes], PaymentEvent],
    orders: OrderRepository,
    gateway: PaymentGateway,
    clock: Clock,
    calendar: WorkingCalendar,
) -> Outcome:
    """Verify the raw body's signature against every current secret (rotation), within 300 s
    of this clock, before reading anything in it."""
    try:
        verify_signature(raw_body, signature_header, secrets, now=int(clock.now().timestamp()))
    except SignatureError as exc:
        logger.warning("webhook signature rejected", reason=exc.reason)
        raise InvalidSignatureError(
            f"The Stripe-Signature header does not verify ({exc.reason})."
        ) from exc
    event = parse(raw_body)
    return apply_payment_event(
        event, orders=orders, gateway=gateway, clock=clock, calendar=calendar
    )
