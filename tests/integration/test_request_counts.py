"""How many DynamoDB requests the payment paths make (docs/payments.md quotes these), and
a warm order (docs/performance.md)."""

import json

import pytest

from atelier.adapters.stripe_signature import sign_payload
from tests.factories import order_body, ring, stripe_session_event
from tests.integration.conftest import WEBHOOK_SECRET, invoke_schedule


@pytest.fixture
def orders(api, container):
    container.products.save(ring())
    return [api.call("POST", "/orders", order_body()).json for _ in range(3)]


def test_one_paid_webhook_costs_two_reads_and_one_transaction(api, orders, clock, counted):
    order = orders[0]
    raw = json.dumps(stripe_session_event(order, created=int(clock.now().timestamp()))).encode()
    signature = sign_payload(raw, WEBHOOK_SECRET, int(clock.now().timestamp()))
    counted.clear()
    api.call(
        "POST", "/webhooks/payments", raw=raw, as_user=None, headers={"Stripe-Signature": signature}
    )
    # The order, and the events parked for its payment (none): Stripe does not order events, so
    # a refund or dispute that comes before its payment's event waits in PARKED#<payment intent>.
    assert counted == {"GetItem": 2, "TransactWriteItems": 1}
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


def send(api, event, now):
    raw = json.dumps(event).encode()
    return api.call(
        "POST",
        "/webhooks/payments",
        raw=raw,
        as_user=None,
        headers={"Stripe-Signature": sign_payload(raw, WEBHOOK_SECRET, now)},
    )


def charge_event(order, event_type, now, **fields):
    obj = {"payment_intent": f"pi_{order['order_id']}", "amount": 13900, "currency": "usd"}
    return {
        "id": f"evt_{event_type}",
        "type": event_type,
        "created": now,
        "data": {"object": {**obj, **fields}},
    }


@pytest.fixture
def paid(api, orders, clock):
    now = int(clock.now().timestamp())
    assert send(api, stripe_session_event(orders[0], created=now), now).status == 200
    return orders[0]


def test_a_refund_event_costs_one_read_and_one_transaction(api, paid, clock, counted):
    """The charge carries the order id (Stripe copies the payment intent's metadata)."""
    now = int(clock.now().timestamp())
    refunded = charge_event(
        paid,
        "charge.refunded",
        now,
        id="ch_1",
        object="charge",
        amount_refunded=2000,
        metadata={"order_id": paid["order_id"]},
    )
    counted.clear()
    assert send(api, refunded, now).json["outcome"] == "recorded"
    assert counted == {"GetItem": 1, "TransactWriteItems": 1}
    assert api.call("GET", f"/orders/{paid['order_id']}").json["amounts"]["refunded_cents"] == 2000


def test_a_refund_event_without_the_order_id_finds_it_through_the_payment(
    api, paid, clock, counted
):
    now = int(clock.now().timestamp())
    refunded = charge_event(paid, "charge.refunded", now, id="ch_1", amount_refunded=2000)
    counted.clear()
    assert send(api, refunded, now).json["outcome"] == "recorded"
    assert counted == {"GetItem": 2, "TransactWriteItems": 1}  # the pointer, then the order


def test_a_dispute_costs_two_reads_and_one_transaction(api, paid, clock, counted):
    """A dispute names no order (docs/performance.md): the payment's pointer, then the order."""
    now = int(clock.now().timestamp())
    dispute = charge_event(paid, "charge.dispute.created", now, id="du_1", object="dispute")
    dispute["data"]["object"]["charge"] = "ch_1"
    counted.clear()
    assert send(api, dispute, now).json["outcome"] == "recorded"
    assert counted == {"GetItem": 2, "TransactWriteItems": 1}
