"""How many DynamoDB requests the payment paths make (docs/payments.md quotes these), and
a warm order (docs/performance.md)."""

import json

import pytest

from atelier.domain.webhook_signature import sign_payload
from tests.factories import order_body, ring, stripe_session_event
from tests.integration.conftest import WEBHOOK_SECRET, invoke_schedule


@pytest.fixture
def orders(api, container):
    container.products.save(ring())
    return [api.call("POST", "/orders", order_body()).json for _ in range(3)]


def test_one_paid_webhook_costs_one_read_and_one_transaction(api, orders, clock, counted):
    order = orders[0]
    raw = json.dumps(stripe_session_event(order, created=int(clock.now().timestamp()))).encode()
    signature = sign_payload(raw, WEBHOOK_SECRET, int(clock.now().timestamp()))
    counted.clear()
    api.call(
        "POST", "/webhooks/payments", raw=raw, as_user=None, headers={"Stripe-Signature": signature}
    )
    assert counted == {"GetItem": 1, "TransactWriteItems": 1}
    counted.clear()
    api.call(
        "POST", "/webhooks/payments", raw=raw, as_user=None, headers={"Stripe-Signature": signature}
    )
    assert counted == {"GetItem": 1}  # a repeat reads the order, sees the payment, writes nothing


def test_a_warm_container_places_an_order_without_reading_the_catalog(api, orders, counted):
    counted.clear()
    assert api.call("POST", "/orders", order_body()).status == 201
    assert counted == {"TransactWriteItems": 1}


def test_the_sweep_costs_one_read_and_one_transaction_per_expired_order(
    orders, clock, stack, counted
):
    clock.advance(hours=25)
    counted.clear()
    report = invoke_schedule(stack, "expiry_sweep")
    assert report["expired"] == 3
    # One due-index query each for payments, reminders and surcharges (a single page here),
    # then per order: read it, and commit the expiry with its history in one transaction.
    assert counted == {"Query": 3, "GetItem": 3, "TransactWriteItems": 3}


def test_a_refund_event_costs_two_reads_and_one_transaction(api, orders, clock, counted):
    order = orders[0]
    now = int(clock.now().timestamp())
    paid = json.dumps(stripe_session_event(order, created=now)).encode()
    api.call(
        "POST",
        "/webhooks/payments",
        raw=paid,
        as_user=None,
        headers={"Stripe-Signature": sign_payload(paid, WEBHOOK_SECRET, now)},
    )
    refunded = json.dumps(
        {
            "id": "evt_refund",
            "type": "charge.refunded",
            "created": now,
            "data": {
                "object": {
                    "id": "ch_1",
                    "payment_intent": f"pi_{order['order_id']}",
                    "amount": 13900,
                    "amount_refunded": 2000,
                    "currency": "usd",
                }
            },
        }
    ).encode()
    counted.clear()
    reply = api.call(
        "POST",
        "/webhooks/payments",
        raw=refunded,
        as_user=None,
        headers={"Stripe-Signature": sign_payload(refunded, WEBHOOK_SECRET, now)},
    )
    assert reply.json["outcome"] == "recorded"
    assert counted == {"GetItem": 2, "TransactWriteItems": 1}
    assert api.call("GET", f"/orders/{order['order_id']}").json["amounts"]["refunded_cents"] == 2000
