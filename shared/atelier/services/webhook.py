"""The payment provider's webhook: trust the signature, then apply the event (P3)."""

from __future__ import annotations

from atelier.domain.calendar import WorkingCalendar
from atelier.ports import Clock, OrderRepository, PaymentEventReader, PaymentGateway
from atelier.services.payments import Outcome, apply_payment_event


def receive_payment_webhook(
    raw_body: bytes,
    signature_header: str | None,
    *,
    events: PaymentEventReader,
    orders: OrderRepository,
    gateway: PaymentGateway,
    clock: Clock,
    calendar: WorkingCalendar,
) -> Outcome:
    """The body's signature is verified (against every current secret, within the provider's
    tolerance of this clock) before anything in it is read."""
    event = events.read(raw_body, signature_header, clock.now())
    return apply_payment_event(
        event, orders=orders, gateway=gateway, clock=clock, calendar=calendar
    )
