"""The requests the bench sends: the tests' catalog piece and order body (tests/factories.py),
Stripe-format webhook events."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from atelier.adapters.stripe_signature import sign_payload
from atelier.domain.calendar import WorkingCalendar
from tests import factories
from tests.factories import ring

__all__ = ["ring"]

WEBHOOK_SECRET = "whsec_bench"  # noqa: S105 - the emulated stack's signing secret
START = factories.MONDAY_10AM
PRODUCT_ID = ring().product_id


def order_body(*, review: bool = False) -> dict[str, Any]:
    """A POST /orders body for the ring; with `review`, remarks a designer must read (P5)."""
    body = factories.order_body()
    if review:
        body["customization"] = {**body["customization"], "remarks": "a thinner band, please"}
    return body


def session_event(
    order: dict[str, Any],
    event_type: str,
    *,
    created: datetime,
    event_id: str,
    amount: int | None = None,
) -> dict[str, Any]:
    """A Stripe Checkout Session event for an order as the API answered it."""
    return factories.stripe_session_event(
        order,
        event_type=event_type,
        created=int(created.timestamp()),
        event_id=event_id,
        amount=amount,
    )


def charge_event(
    order: dict[str, Any], event_type: str, *, created: datetime, event_id: str
) -> dict[str, Any]:
    """`charge.refunded` (a partial refund made in the dashboard) or `charge.dispute.created`,
    with what Stripe puts in each: a charge carries the metadata its payment intent had (our
    order id), a dispute only its charge, payment intent and metadata of its own."""
    total = order["amounts"]["total_cents"]
    charge: dict[str, Any] = {
        "id": f"ch_{order['order_id']}",
        "object": "charge",
        "payment_intent": f"pi_{order['order_id']}",
        "amount": total,
        "currency": "usd",
        "metadata": {"order_id": order["order_id"]},
    }
    if event_type == "charge.refunded":
        charge["amount_refunded"] = 2000
    else:
        charge = {
            "id": f"du_{order['order_id']}",
            "object": "dispute",
            "charge": charge["id"],
            "payment_intent": charge["payment_intent"],
            "amount": total,
            "currency": "usd",
            "metadata": {},
        }
    return {
        "id": event_id,
        "type": event_type,
        "created": int(created.timestamp()),
        "data": {"object": charge},
    }


def signed(event: dict[str, Any], at: datetime) -> tuple[bytes, dict[str, str]]:
    """The raw body and the Stripe-Signature header a provider would send."""
    raw = json.dumps(event).encode()
    return raw, {"Stripe-Signature": sign_payload(raw, WEBHOOK_SECRET, int(at.timestamp()))}


def delay_date(calendar: WorkingCalendar, now: datetime) -> date:
    """A valid expected ship date for a delay: a working day a week or so after today."""
    return calendar.add_working_days(calendar.local_date(now), 7)
