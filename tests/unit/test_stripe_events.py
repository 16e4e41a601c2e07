"""Stripe's charge events reduced to PaymentEvents: which of them name our order."""

import json

import pytest

from atelier.adapters.stripe_events import parse_stripe_event
from atelier.services.payments import PaymentEventKind

pytestmark = pytest.mark.unit


def charge_event(event_type: str, obj: dict) -> bytes:
    return json.dumps(
        {"id": "evt_1", "type": event_type, "created": 1764514800, "data": {"object": obj}}
    ).encode()


def test_a_refunded_charge_names_the_order_its_payment_intents_metadata_carried() -> None:
    # Stripe copies the PaymentIntent's metadata onto the charge it creates; our checkout
    # sessions put the order id there (payment_intent_data[metadata][order_id]).
    raw = charge_event(
        "charge.refunded",
        {
            "id": "ch_1",
            "object": "charge",
            "payment_intent": "pi_1",
            "amount": 13900,
            "amount_refunded": 2000,
            "currency": "usd",
            "metadata": {"order_id": "ord_01KABC"},
        },
    )
    event = parse_stripe_event(raw)
    assert event.kind is PaymentEventKind.REFUNDED
    assert (event.order_id, event.payment_intent, event.refunded_total_cents) == (
        "ord_01KABC",
        "pi_1",
        2000,
    )


@pytest.mark.parametrize("metadata", [{}, None, [], {"order_id": 7}, {"order_id": ""}])
def test_a_refunded_charge_without_an_order_id_names_none(metadata: object) -> None:
    raw = charge_event(
        "charge.refunded",
        {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 1, "metadata": metadata},
    )
    event = parse_stripe_event(raw)
    assert event.order_id is None and event.payment_intent == "pi_1"


def test_a_dispute_names_no_order_even_with_metadata_of_its_own() -> None:
    raw = charge_event(
        "charge.dispute.created",
        {
            "id": "du_1",
            "object": "dispute",
            "charge": "ch_1",
            "payment_intent": "pi_1",
            "amount": 13900,
            "currency": "usd",
            "metadata": {"order_id": "ord_01KABC"},
        },
    )
    event = parse_stripe_event(raw)
    assert event.kind is PaymentEventKind.DISPUTED
    assert event.order_id is None and event.payment_intent == "pi_1"
