"""Stripe's charge events reduced to PaymentEvents: which of them name our order."""

import json

import pytest
import stripe

from atelier.adapters.stripe_events import parse_stripe_event
from atelier.domain.payment_events import PaymentEventKind

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


def refund_object(status: str) -> dict:
    """A Refund object with the fields Stripe's API reference gives it."""
    return {
        "id": "re_1",
        "object": "refund",
        "amount": 13900,
        "balance_transaction": "txn_1",
        "charge": "ch_1",
        "created": 1764514700,
        "currency": "usd",
        "failure_balance_transaction": "txn_2" if status == "failed" else None,
        "failure_reason": "lost_or_stolen_card" if status == "failed" else None,
        "metadata": {"reason": "payment not accepted for the order"},
        "payment_intent": "pi_1",
        "reason": "requested_by_customer",
        "receipt_number": None,
        "status": status,
    }


@pytest.mark.parametrize("event_type", ["refund.failed", "charge.refund.updated"])
def test_P3_a_failed_refund_parses_to_refund_failed_with_its_id_amount_and_times(
    event_type: str,
) -> None:
    event = parse_stripe_event(charge_event(event_type, refund_object("failed")))
    assert event.kind is PaymentEventKind.REFUND_FAILED
    assert (event.payment_intent, event.refund_id, event.amount_cents) == ("pi_1", "re_1", 13900)
    assert event.refund_created is not None and event.refund_created.timestamp() == 1764514700
    assert event.failure_reason == "lost_or_stolen_card"
    assert event.order_id is None  # a refund's metadata is its own


@pytest.mark.parametrize("status", ["succeeded", "pending", "requires_action"])
def test_a_refund_update_that_is_not_a_failure_is_ignored(status: str) -> None:
    event = parse_stripe_event(charge_event("charge.refund.updated", refund_object(status)))
    assert event.kind is PaymentEventKind.IGNORED


def test_the_stripe_sdk_reads_our_refund_failed_fixture_as_a_refund_event() -> None:
    """The fixture has the shape Stripe's own SDK builds events from."""
    raw = charge_event("refund.failed", refund_object("failed"))
    constructed = stripe.Event.construct_from(json.loads(raw), "sk_test")
    refund = constructed.data.object
    assert (constructed.type, refund.object, refund.status) == ("refund.failed", "refund", "failed")
    assert parse_stripe_event(raw).refund_id == refund.id
