"""Test data: products, order requests and clocks shared by the unit and integration tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from atelier.domain.catalog import Product

# A Monday morning in the shop's time zone (10:00 New York = 15:00 UTC).
MONDAY_10AM = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def ring(**overrides: Any) -> Product:
    data: dict[str, Any] = {
        "product_id": "signet-ring",
        "name": "Signet Ring",
        "description": "A polished signet ring with an engraved face.",
        "price_cents": 12900,
        "currency": "USD",
        "sizes": ["5", "6", "7", "8", "9"],
        "customization": {
            "style": {"options": ["classic", "oval", "cushion"]},
            "color": {"options": ["silver", "gold", "rose gold"]},
            "expression": {
                "kind": "text",
                "max_length": 12,
                "allowed_pattern": "^[A-Za-z0-9 .&'-]*$",
            },
            "fixed": {
                "structure": "solid band, flat face",
                "material": "sterling silver 925",
                "size": "US 5-9",
            },
        },
    }
    data.update(overrides)
    return Product.model_validate(data)


def charm(**overrides: Any) -> Product:
    data: dict[str, Any] = {
        "product_id": "bear-charm",
        "name": "Little Bear Charm",
        "description": "A bear figure whose face you choose.",
        "price_cents": 4500,
        "sizes": [],
        "customization": {
            "style": {"options": ["sitting", "standing"]},
            "color": {"options": ["silver", "gold"]},
            "expression": {"kind": "options", "options": ["smiling", "winking", "sleepy"]},
            "fixed": {
                "structure": "3D figure, 12 mm",
                "material": "sterling silver",
                "size": "one",
            },
        },
    }
    data.update(overrides)
    return Product.model_validate(data)


def order_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /orders body for the ring."""
    body: dict[str, Any] = {
        "product_id": "signet-ring",
        "size": "7",
        "customization": {"style": "oval", "color": "gold", "expression": "A & J"},
        "contact": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+1 555 0100"},
        "shipping_address": {
            "line1": "1 Main St",
            "city": "Springfield",
            "region": "IL",
            "postal_code": "62701",
            "country": "US",
        },
        "accept_terms_version": "2026-11-01",
    }
    body.update(overrides)
    return body


def stripe_session_event(
    order: dict[str, Any],
    *,
    event_type: str = "checkout.session.completed",
    created: int,
    event_id: str = "evt_1",
    amount: int | None = None,
    currency: str = "usd",
    payment_intent: str | None = None,
) -> dict[str, Any]:
    """A Stripe Checkout Session event for an order as the API answered it: paid for
    `checkout.session.completed`, else unpaid and expired."""
    paid = event_type == "checkout.session.completed"
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": created,
        "livemode": False,
        "data": {
            "object": {
                "id": order["checkout"]["session_id"],
                "object": "checkout.session",
                "client_reference_id": order["order_id"],
                "payment_intent": payment_intent or f"pi_{order['order_id']}",
                "amount_total": order["amounts"]["total_cents"] if amount is None else amount,
                "currency": currency,
                "payment_status": "paid" if paid else "unpaid",
                "status": "complete" if paid else "expired",
            }
        },
    }
