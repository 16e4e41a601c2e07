"""payment_webhook through the emulated API Gateway against moto (P3, P4)."""

import json

import pytest
from botocore.exceptions import ClientError

from atelier.adapters.stripe_signature import sign_payload
from tests.factories import order_body, ring, stripe_session_event
from tests.integration.conftest import OLD_WEBHOOK_SECRET, WEBHOOK_SECRET


@pytest.fixture
def order(api, container):
    container.products.save(ring())
    reply = api.call("POST", "/orders", order_body())
    assert reply.status == 201
    return reply.json


def now_unix(clock):
    return int(clock.now().timestamp())


def deliver(api, raw: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return api.call("POST", "/webhooks/payments", raw=raw, as_user=None, headers=headers)


def signed(raw: bytes, clock, secret=WEBHOOK_SECRET, skew=0):
    return sign_payload(raw, secret, now_unix(clock) + skew)


def status_of(api, order):
    return api.call("GET", f"/orders/{order['order_id']}").json["status"]


def history(container, order_id):
    answer = container.dynamodb.query(
        TableName=container.settings.table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
        ExpressionAttributeValues={":pk": {"S": f"ORDER#{order_id}"}, ":h": {"S": "HISTORY#"}},
    )
    return [item["event_type"]["S"] for item in answer["Items"]]


def test_P4_a_signed_paid_event_puts_the_order_in_production(api, order, clock):
    raw = json.dumps(stripe_session_event(order, created=now_unix(clock))).encode()
    reply = deliver(api, raw, signed(raw, clock))
    assert reply.status == 200, reply.raw
    assert reply.json == {"received": True, "outcome": "confirmed"}
    read = api.call("GET", f"/orders/{order['order_id']}").json
    assert read["status"] == "IN_PRODUCTION"
    assert read["ship_by"] == "2026-12-07"  # paid Monday 10:00 in New York
    assert read["paid_at"] == "2026-11-30T15:00:00Z"
    assert read["amounts"]["paid_cents"] == 13900
    assert read["checkout"] is None


def _flip_one_byte(raw: bytes) -> bytes:
    index = raw.index(b'"usd"') + 1
    return raw[:index] + b"U" + raw[index + 1 :]


SIGNATURES = {
    "one body byte flipped": lambda raw, clock: (_flip_one_byte(raw), signed(raw, clock)),
    "t 301 s old": lambda raw, clock: (raw, signed(raw, clock, skew=-301)),
    "t 301 s ahead": lambda raw, clock: (raw, signed(raw, clock, skew=301)),
    "only v0": lambda raw, clock: (raw, signed(raw, clock).replace("v1=", "v0=")),
    "missing header": lambda raw, clock: (raw, None),
    "unknown secret": lambda raw, clock: (raw, signed(raw, clock, secret="whsec_other")),
    "body re-serialised from parsed JSON": lambda raw, clock: (
        json.dumps(json.loads(raw), indent=2).encode(),
        signed(raw, clock),
    ),
}


@pytest.mark.parametrize("case", SIGNATURES, ids=list(SIGNATURES))
def test_P3_a_bad_or_stale_signature_is_a_400_and_changes_nothing(api, order, clock, case):
    raw = json.dumps(stripe_session_event(order, created=now_unix(clock))).encode()
    body, signature = SIGNATURES[case](raw, clock)
    reply = deliver(api, body, signature)
    assert reply.status == 400
    assert reply.json["error"]["code"] == "INVALID_SIGNATURE"
    assert status_of(api, order) == "PENDING_PAYMENT"


def test_P3_either_secret_verifies_during_a_rotation(api, order, clock):
    raw = json.dumps(stripe_session_event(order, created=now_unix(clock))).encode()
    t = now_unix(clock)
    old = sign_payload(raw, OLD_WEBHOOK_SECRET, t).split(",")[1]
    header = f"{sign_payload(raw, WEBHOOK_SECRET, t)},{old}"
    assert deliver(api, raw, header).status == 200
    assert status_of(api, order) == "IN_PRODUCTION"


def test_a_body_api_gateway_base64_encodes_is_verified_on_its_raw_bytes(api, order, clock):
    raw = b'{"id": "evt_bin", "note": "\xff"}'  # not UTF-8: the gateway sends it base64
    reply = deliver(api, raw, signed(raw, clock))
    assert reply.status == 400
    assert reply.json["error"]["code"] == "MALFORMED_EVENT"  # past the signature check


def test_the_same_event_delivered_20_times_is_one_transition(api, order, clock, container):
    raw = json.dumps(stripe_session_event(order, created=now_unix(clock))).encode()
    outcomes = [deliver(api, raw, signed(raw, clock)).json["outcome"] for _ in range(20)]
    assert outcomes[0] == "confirmed"
    assert set(outcomes[1:]) == {"duplicate"}
    assert history(container, order["order_id"]) == ["OrderPlaced", "PaymentConfirmed"]


def test_a_transient_failure_answers_500_and_the_retry_applies_it(
    api, order, clock, container, monkeypatch
):
    client = container.dynamodb
    real = client.transact_write_items
    calls = {"n": 0}

    def fail_once(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError(
                {"Error": {"Code": "InternalServerError", "Message": "try later"}},
                "TransactWriteItems",
            )
        return real(**kwargs)

    monkeypatch.setattr(client, "transact_write_items", fail_once)
    raw = json.dumps(stripe_session_event(order, created=now_unix(clock))).encode()
    first = deliver(api, raw, signed(raw, clock))
    assert first.status == 500
    assert status_of(api, order) == "PENDING_PAYMENT"
    retry = deliver(api, raw, signed(raw, clock))
    assert retry.status == 200 and retry.json["outcome"] == "confirmed"
    assert status_of(api, order) == "IN_PRODUCTION"


def test_P3_a_late_payment_after_the_sweep_is_refunded_and_the_order_stays_expired(
    api, order, clock, stack
):
    from tests.integration.conftest import invoke_schedule

    clock.advance(hours=25)
    report = invoke_schedule(stack, "expiry_sweep")
    assert report["expired"] == 1
    raw = json.dumps(stripe_session_event(order, created=now_unix(clock))).encode()
    reply = deliver(api, raw, signed(raw, clock))
    assert reply.json["outcome"] == "refunded"
    read = api.call("GET", f"/orders/{order['order_id']}").json
    assert read["status"] == "EXPIRED"
    assert read["amounts"]["refunded_cents"] == read["amounts"]["paid_cents"] == 13900


def test_an_event_for_an_unknown_order_or_type_is_acknowledged(api, order, clock):
    ghost = stripe_session_event(order, created=now_unix(clock), event_id="evt_ghost")
    ghost["data"]["object"]["client_reference_id"] = "ord_nobody"
    other = {"id": "evt_x", "type": "customer.created", "created": 1, "data": {"object": {}}}
    for event in (ghost, other):
        raw = json.dumps(event).encode()
        reply = deliver(api, raw, signed(raw, clock))
        assert reply.status == 200 and reply.json["outcome"] == "ignored"
    assert status_of(api, order) == "PENDING_PAYMENT"


def test_a_signed_body_that_is_not_an_event_is_a_400(api, order, clock):
    raw = b'{"hello": "world"}'
    reply = deliver(api, raw, signed(raw, clock))
    assert reply.status == 400 and reply.json["error"]["code"] == "MALFORMED_EVENT"


# ---------------------------------------------------------------------------- hostile input

LONG = "x" * 5000


def _with(event: dict, **changes) -> dict:
    """The event with envelope fields replaced; `object__<field>` replaces a data.object field."""
    event = json.loads(json.dumps(event))
    for name, value in changes.items():
        if name.startswith("object__"):
            event["data"]["object"][name.removeprefix("object__")] = value
        else:
            event[name] = value
    return event


HOSTILE_EVENTS = {
    "created 1e20": lambda e: _with(e, created=1e20),
    "created -1e12": lambda e: _with(e, created=-1e12),
    "created 10**20 as an integer": lambda e: _with(e, created=10**20),
    "created -10**12 as an integer": lambda e: _with(e, created=-(10**12)),
    "created a float with a fraction": lambda e: _with(e, created=1764514800.5),
    "created a whole float": lambda e: _with(e, created=1764514800.0),
    "created true": lambda e: _with(e, created=True),
    "event id of 5,000 characters": lambda e: _with(e, id="evt_" + LONG),
    "order id of 5,000 characters": lambda e: _with(e, object__client_reference_id=LONG),
    "payment intent of 5,000 characters": lambda e: _with(e, object__payment_intent="pi_" + LONG),
    "session id of 5,000 characters": lambda e: _with(e, object__id="cs_" + LONG),
    "amount of 10**40 cents": lambda e: _with(e, object__amount_total=10**40),
}


@pytest.mark.parametrize("case", HOSTILE_EVENTS, ids=list(HOSTILE_EVENTS))
def test_P3_a_signed_event_with_out_of_range_fields_is_a_400_and_changes_nothing(
    api, order, clock, container, case
):
    """Values that crashed the webhook (OverflowError, a DynamoDB key over its limit) answer 400
    with the error shape and a message naming the field."""
    event = HOSTILE_EVENTS[case](stripe_session_event(order, created=now_unix(clock)))
    raw = json.dumps(event).encode()
    reply = deliver(api, raw, signed(raw, clock))
    assert reply.status == 400, reply.raw
    error = reply.json["error"]
    assert error["code"] == "MALFORMED_EVENT"
    assert set(error) == {"code", "message", "details"}
    assert error["details"]["field"] in error["message"]
    assert status_of(api, order) == "PENDING_PAYMENT"
    assert history(container, order["order_id"]) == ["OrderPlaced"]


# ---------------------------------------------------------------------------- events out of order


def charge_refunded(order, now, refunded, event_id="evt_refund_1"):
    return {
        "id": event_id,
        "object": "event",
        "type": "charge.refunded",
        "created": now,
        "data": {
            "object": {
                "id": "ch_1",
                "object": "charge",
                "payment_intent": f"pi_{order['order_id']}",
                "amount": 13900,
                "amount_refunded": refunded,
                "currency": "usd",
                "metadata": {"order_id": order["order_id"]},
                "refunded": refunded == 13900,
            }
        },
    }


def refund_failed_event(order, now, refund_id, event_type="refund.failed", event_id="evt_rf_1"):
    """A Refund object as Stripe sends it in `refund.failed` and `charge.refund.updated`."""
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": now,
        "data": {
            "object": {
                "id": refund_id,
                "object": "refund",
                "amount": 13900,
                "charge": "ch_1",
                "created": now - 60,
                "currency": "usd",
                "failure_balance_transaction": "txn_2",
                "failure_reason": "expired_or_canceled_card",
                "metadata": {},
                "payment_intent": f"pi_{order['order_id']}",
                "reason": "requested_by_customer",
                "status": "failed",
            },
            "previous_attributes": {"status": "succeeded", "failure_reason": None},
        },
    }


def send_event(api, clock, event):
    raw = json.dumps(event).encode()
    return deliver(api, raw, signed(raw, clock))


def test_P3_a_refund_before_its_payment_is_parked_in_the_table_and_applied_with_it(
    api, order, clock, container
):
    """Events out of order, against the single table: the early `charge.refunded` is a 200
    `parked`, kept in `PARKED#<payment intent>`; the payment's event applies it and removes it."""
    now = now_unix(clock)
    refund = charge_refunded(order, now, 13900)
    first = send_event(api, clock, refund)
    assert first.status == 200 and first.json["outcome"] == "parked"
    assert send_event(api, clock, refund).json["outcome"] == "duplicate"
    key = {"pk": {"S": f"PARKED#pi_{order['order_id']}"}, "sk": {"S": "PARKED"}}
    table = container.settings.table_name
    item = container.dynamodb.get_item(TableName=table, Key=key)["Item"]
    assert item["parked_count"] == {"N": "1"} and "expires_at" in item
    assert status_of(api, order) == "PENDING_PAYMENT"

    paid = send_event(api, clock, stripe_session_event(order, created=now))
    assert paid.json["outcome"] == "confirmed"
    read = api.call("GET", f"/orders/{order['order_id']}").json
    assert read["status"] == "CANCELLED"
    assert read["amounts"]["refunded_cents"] == 13900
    assert history(container, order["order_id"]) == [
        "OrderPlaced",
        "PaymentConfirmed",
        "OrderCancelled",
    ]
    assert "Item" not in container.dynamodb.get_item(TableName=table, Key=key)
    assert send_event(api, clock, refund).json["outcome"] == "duplicate"


def test_P3_a_refund_parked_while_the_payment_commits_is_not_stranded(
    api, order, clock, container, monkeypatch
):
    """The payment's save read no parked event; one is parked before the save commits: the
    save fails (500, the provider retries) and the retry applies both."""
    from atelier.adapters.dynamodb import DynamoOrderRepository

    now = now_unix(clock)
    real = DynamoOrderRepository.parked_events
    sneaked = {"done": False}

    def park_meanwhile(self, payment_intent):
        seen = real(self, payment_intent)
        if not sneaked["done"]:
            sneaked["done"] = True
            assert send_event(api, clock, charge_refunded(order, now, 2000)).json["outcome"] == (
                "parked"
            )
        return seen

    monkeypatch.setattr(DynamoOrderRepository, "parked_events", park_meanwhile)
    paid = stripe_session_event(order, created=now)
    assert send_event(api, clock, paid).status == 500
    assert status_of(api, order) == "PENDING_PAYMENT"
    assert send_event(api, clock, paid).json["outcome"] == "confirmed"
    read = api.staff("GET", f"/staff/orders/{order['order_id']}").json
    assert read["amounts"]["refunded_cents"] == 2000
    assert read["flags"] == ["REFUNDED_AT_PROVIDER"]


@pytest.mark.parametrize("event_type", ["refund.failed", "charge.refund.updated"])
def test_P3_stripes_refund_failed_payload_flags_the_order_and_keeps_the_amounts_true(
    api, order, clock, container, event_type
):
    """A refund that fails later, with Stripe's Refund object as it is sent (status `failed`)."""
    clock.advance(hours=25)
    now = now_unix(clock)
    late = send_event(api, clock, stripe_session_event(order, created=now))
    assert late.json["outcome"] == "refunded"
    (refund_id,) = container.orders.get(order["order_id"]).payments[0].refund_ids
    reply = send_event(api, clock, refund_failed_event(order, now + 60, refund_id, event_type))
    assert reply.status == 200 and reply.json["outcome"] == "recorded"
    read = api.staff("GET", f"/staff/orders/{order['order_id']}").json
    assert read["amounts"]["refunded_cents"] == 0
    assert "REFUND_FAILED" in read["flags"]
    assert history(container, order["order_id"])[-1] == "RefundFailed"
    other = "charge.refund.updated" if event_type == "refund.failed" else "refund.failed"
    again = refund_failed_event(order, now + 61, refund_id, other, event_id="evt_rf_2")
    assert send_event(api, clock, again).json["outcome"] == "duplicate"
