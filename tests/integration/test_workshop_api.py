"""The workshop through the emulated API Gateway against moto (P4, P5, P7, P8)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from atelier.adapters.stripe_signature import sign_payload
from tests.factories import order_body, ring, stripe_session_event
from tests.integration.conftest import WEBHOOK_SECRET, invoke_schedule


@pytest.fixture
def shop(api, container):
    container.products.save(ring())
    return container


def place(api, **changes):
    reply = api.call("POST", "/orders", order_body(**changes))
    assert reply.status == 201, reply.raw
    return reply.json


def pay(api, clock, order, amount=None, event_id=None, payment_intent=None):
    now = int(clock.now().timestamp())
    event_id = event_id or f"evt_{order['order_id']}"
    event = stripe_session_event(
        order, created=now, event_id=event_id, amount=amount, payment_intent=payment_intent
    )
    if order["checkout"]:
        event["data"]["object"]["id"] = order["checkout"]["session_id"]
    raw = json.dumps(event).encode()
    reply = api.call(
        "POST",
        "/webhooks/payments",
        raw=raw,
        as_user=None,
        headers={"Stripe-Signature": sign_payload(raw, WEBHOOK_SECRET, now)},
    )
    assert reply.status == 200, reply.raw
    return reply.json["outcome"]


def in_review(api, clock):
    order = place(api, customization={"style": "heart", "remarks": "thinner band please"})
    assert pay(api, clock, order) == "confirmed"
    return order


def in_production(api, clock):
    order = place(api)
    assert pay(api, clock, order) == "confirmed"
    return order


STAFF_ROUTES = [
    ("GET", "/staff/orders?status=IN_REVIEW", None),
    ("GET", "/staff/orders/{id}", None),
    ("POST", "/staff/orders/{id}/review", {"decision": "ACCEPT"}),
    ("POST", "/staff/orders/{id}/cancel", {"reason": "no silver"}),
    ("POST", "/staff/orders/{id}/delay", {"reason": "x", "expected_ship_date": "2026-12-10"}),
    ("POST", "/staff/orders/{id}/ship", {"carrier": "UPS", "tracking_number": "1Z"}),
    ("POST", "/staff/orders/{id}/deliver", {"delivered_at": "2026-12-01T10:00:00Z"}),
    ("POST", "/staff/orders/{id}/messages", {"text": "hello"}),
    ("GET", "/staff/products", None),
    ("POST", "/staff/products", {}),
    ("PUT", "/staff/products/signet-ring", {}),
]


@pytest.mark.parametrize(
    "method, path, body", STAFF_ROUTES, ids=[f"{m} {p}" for m, p, _ in STAFF_ROUTES]
)
def test_every_staff_route_refuses_customers_403_and_anonymous_401(
    api, shop, clock, method, path, body
):
    order = in_review(api, clock)
    target = path.replace("{id}", order["order_id"])
    customer = api.call(method, target, body)
    assert customer.status == 403, customer.raw
    assert customer.json["error"]["code"] == "FORBIDDEN"
    anonymous = api.call(method, target, body, as_user=None)
    assert anonymous.status == 401 and anonymous.json == {"message": "Unauthorized"}
    assert api.call("GET", f"/orders/{order['order_id']}").json["status"] == "IN_REVIEW"


def test_P4_accept_puts_the_order_in_production_with_ship_by_from_the_decision(api, shop, clock):
    order = in_review(api, clock)
    clock.advance(days=1, hours=3)  # Tuesday 13:00 New York
    reply = api.staff("POST", f"/staff/orders/{order['order_id']}/review", {"decision": "ACCEPT"})
    assert reply.status == 200, reply.raw
    view = reply.json
    assert view["status"] == "IN_PRODUCTION"
    assert view["ship_by"] == "2026-12-08"  # 5 working days after Tuesday Dec 1
    assert [h["event_type"] for h in view["history"]] == [
        "OrderPlaced",
        "PaymentConfirmed",
        "ReviewAccepted",
    ]
    assert view["history"][-1]["actor"] == "staff:designer-1"
    assert view["contact"]["email"] == "ada@example.com"


def test_P5_surcharge_paid_goes_to_production(api, shop, clock):
    order = in_review(api, clock)
    oid = order["order_id"]
    asked = api.staff(
        "POST",
        f"/staff/orders/{oid}/review",
        {"decision": "SURCHARGE", "surcharge_cents": 2500, "note": "Heart style needs a new mold"},
    )
    assert asked.status == 200, asked.raw
    assert asked.json["review"]["surcharge"]["cents"] == 2500
    accepted = api.call("POST", f"/orders/{oid}/surcharge/accept")
    assert accepted.status == 200, accepted.raw
    assert accepted.json["checkout"] is not None
    clock.advance(hours=2)
    surcharge_paid = pay(
        api, clock, accepted.json, amount=2500, event_id="evt_surcharge", payment_intent="pi_s"
    )
    assert surcharge_paid == "confirmed"
    read = api.call("GET", f"/orders/{oid}").json
    assert read["status"] == "IN_PRODUCTION"
    assert read["amounts"]["surcharge_cents"] == 2500
    assert read["amounts"]["total_cents"] == 13900 + 2500
    assert read["amounts"]["paid_cents"] == 13900 + 2500
    assert read["ship_by"] is not None


def test_P5_surcharge_declined_cancels_with_a_full_refund(api, shop, clock):
    order = in_review(api, clock)
    oid = order["order_id"]
    api.staff(
        "POST",
        f"/staff/orders/{oid}/review",
        {"decision": "SURCHARGE", "surcharge_cents": 2500, "note": "New mold"},
    )
    declined = api.call("POST", f"/orders/{oid}/surcharge/decline")
    assert declined.status == 200, declined.raw
    assert declined.json["status"] == "CANCELLED"
    assert declined.json["amounts"]["refunded_cents"] == 13900
    again = api.call("POST", f"/orders/{oid}/surcharge/decline")
    assert again.status == 409


def test_P5_surcharge_lapses_after_24_hours_and_the_order_is_cancelled_and_refunded(
    api, shop, clock, stack
):
    order = in_review(api, clock)
    oid = order["order_id"]
    api.staff(
        "POST",
        f"/staff/orders/{oid}/review",
        {"decision": "SURCHARGE", "surcharge_cents": 2500, "note": "New mold"},
    )
    clock.advance(hours=23, minutes=59)
    assert invoke_schedule(stack, "expiry_sweep")["lapsed"] == 0
    clock.advance(minutes=2)
    assert invoke_schedule(stack, "expiry_sweep")["lapsed"] == 1
    assert invoke_schedule(stack, "expiry_sweep")["lapsed"] == 0
    read = api.call("GET", f"/orders/{oid}").json
    assert read["status"] == "CANCELLED"
    assert read["amounts"]["refunded_cents"] == 13900


def test_P5_decline_cancels_and_refunds_exactly_once(api, shop, clock):
    order = in_review(api, clock)
    oid = order["order_id"]
    body = {"decision": "DECLINE", "note": "We cannot make a heart signet"}
    declined = api.staff("POST", f"/staff/orders/{oid}/review", body)
    assert declined.status == 200, declined.raw
    assert declined.json["status"] == "CANCELLED"
    assert declined.json["amounts"]["refunded_cents"] == 13900
    again = api.staff("POST", f"/staff/orders/{oid}/review", body)
    assert again.status == 409
    assert api.staff("GET", f"/staff/orders/{oid}").json["amounts"]["refunded_cents"] == 13900


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "SURCHARGE", "note": "missing amount"},
        {"decision": "SURCHARGE", "surcharge_cents": 0, "note": "zero"},
        {"decision": "DECLINE"},
        {"decision": "MAYBE"},
        {"decision": "ACCEPT", "surcharge_cents": 100},
    ],
)
def test_malformed_review_decisions_are_422_and_change_nothing(api, shop, clock, body):
    order = in_review(api, clock)
    reply = api.staff("POST", f"/staff/orders/{order['order_id']}/review", body)
    assert reply.status == 422
    assert api.call("GET", f"/orders/{order['order_id']}").json["status"] == "IN_REVIEW"


def test_staff_cancel_with_a_partial_refund(api, shop, clock):
    order = in_production(api, clock)
    oid = order["order_id"]
    too_much = api.staff(
        "POST", f"/staff/orders/{oid}/cancel", {"reason": "x", "refund_cents": 99999}
    )
    assert too_much.status == 422
    reply = api.staff(
        "POST",
        f"/staff/orders/{oid}/cancel",
        {"reason": "Materials unavailable", "refund_cents": 5000},
    )
    assert reply.status == 200, reply.raw
    assert reply.json["status"] == "CANCELLED"
    assert reply.json["amounts"]["refunded_cents"] == 5000


def test_P7_delay_needs_a_working_day_after_today(api, shop, clock):
    order = in_production(api, clock)  # Monday 2026-11-30
    oid = order["order_id"]
    for bad in (
        "2026-12-05",
        "2026-12-25",
        "2026-11-30",
        "2026-11-27",
    ):  # Sat, Christmas, today, past
        reply = api.staff(
            "POST",
            f"/staff/orders/{oid}/delay",
            {"reason": "Stone late", "expected_ship_date": bad},
        )
        assert reply.status == 422, bad
        assert reply.json["error"]["code"] == "BAD_EXPECTED_SHIP_DATE"
    good = api.staff(
        "POST",
        f"/staff/orders/{oid}/delay",
        {"reason": "Stone late", "expected_ship_date": "2026-12-14"},
    )
    assert good.status == 200, good.raw
    assert good.json["delay"] == {"reason": "Stone late", "expected_ship_date": "2026-12-14"}
    queue = api.staff("GET", "/staff/orders?status=IN_PRODUCTION").json["items"]
    assert [(o["delayed"], o["ship_by"]) for o in queue if o["order_id"] == oid] == [
        (True, "2026-12-14")
    ]


def test_ship_then_deliver_with_time_checks(api, shop, clock):
    order = in_production(api, clock)
    oid = order["order_id"]
    shipped = api.staff(
        "POST", f"/staff/orders/{oid}/ship", {"carrier": "UPS", "tracking_number": "1Z999"}
    )
    assert shipped.status == 200 and shipped.json["status"] == "SHIPPED"
    future = (clock.now() + timedelta(hours=1)).isoformat()
    before = (clock.now() - timedelta(hours=1)).isoformat()
    for bad in (future, before):
        reply = api.staff("POST", f"/staff/orders/{oid}/deliver", {"delivered_at": bad})
        assert reply.status == 422
    clock.advance(days=2)
    delivered_at = clock.now().isoformat()
    reply = api.staff("POST", f"/staff/orders/{oid}/deliver", {"delivered_at": delivered_at})
    assert reply.status == 200, reply.raw
    assert reply.json["status"] == "DELIVERED"
    assert reply.json["shipment"]["carrier"] == "UPS"
    assert reply.json["claim_deadline"] is not None


def test_P8_messages_both_ways_and_another_customer_sees_none(api, shop, clock):
    order = in_review(api, clock)
    oid = order["order_id"]
    staff = api.staff("POST", f"/staff/orders/{oid}/messages", {"text": "Which heart size?"})
    assert staff.status == 201, staff.raw
    clock.advance(seconds=1)
    mine = api.call("POST", f"/orders/{oid}/messages", {"text": "Small,\nplease"})
    assert mine.status == 201
    listed = api.call("GET", f"/orders/{oid}/messages").json["items"]
    assert [(m["author"], m["text"]) for m in listed] == [
        ("staff", "Which heart size?"),
        ("customer", "Small,\nplease"),
    ]
    assert api.call("GET", f"/orders/{oid}/messages", as_user="cust-b").status == 404
    assert (
        api.call("POST", f"/orders/{oid}/messages", {"text": "hi"}, as_user="cust-b").status == 404
    )
    too_long = api.call("POST", f"/orders/{oid}/messages", {"text": "x" * 4001})
    assert too_long.status == 422
    view = api.staff("GET", f"/staff/orders/{oid}").json
    assert len(view["messages"]) == 2


def test_staff_queues_oldest_first_with_working_days_left(api, shop, clock):
    first = in_production(api, clock)
    clock.advance(minutes=5)
    second = in_production(api, clock)
    queue = api.staff("GET", "/staff/orders?status=IN_PRODUCTION").json["items"]
    assert [o["order_id"] for o in queue] == [first["order_id"], second["order_id"]]
    assert queue[0]["ship_by"] == "2026-12-07"
    assert queue[0]["working_days_left"] == 5
    assert api.staff("GET", "/staff/orders?status=NOPE").status == 422


def test_P7_sla_watch_warns_the_working_day_before_and_reports_late_once(api, shop, clock, stack):
    order = in_production(api, clock)  # ship by Monday Dec 7
    oid = order["order_id"]
    clock.set(datetime(2026, 12, 4, 13, 59, tzinfo=UTC))  # Friday 08:59 New York
    assert invoke_schedule(stack, "sla_watch")["warned"] == 0
    clock.set(datetime(2026, 12, 4, 14, 0, tzinfo=UTC))
    assert invoke_schedule(stack, "sla_watch")["warned"] == 1
    assert invoke_schedule(stack, "sla_watch")["warned"] == 0
    clock.set(datetime(2026, 12, 8, 4, 59, tzinfo=UTC))  # still Monday in New York
    assert invoke_schedule(stack, "sla_watch")["late"] == 0
    clock.set(datetime(2026, 12, 8, 5, 0, tzinfo=UTC))
    assert invoke_schedule(stack, "sla_watch")["late"] == 1
    assert invoke_schedule(stack, "sla_watch")["late"] == 0
    events = [h["event_type"] for h in api.staff("GET", f"/staff/orders/{oid}").json["history"]]
    assert events.count("ShipDeadlineApproaching") == events.count("ShipDeadlineMissed") == 1


def test_P7_no_late_notice_for_a_shipped_order_or_before_the_delay_date(api, shop, clock, stack):
    shipped = in_production(api, clock)
    api.staff(
        "POST",
        f"/staff/orders/{shipped['order_id']}/ship",
        {"carrier": "UPS", "tracking_number": "1Z"},
    )
    delayed = in_production(api, clock)
    reply = api.staff(
        "POST",
        f"/staff/orders/{delayed['order_id']}/delay",
        {"reason": "Stone late", "expected_ship_date": "2026-12-14"},
    )
    assert reply.status == 200
    clock.set(
        datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
    )  # past the first ship_by, before the delay date
    report = invoke_schedule(stack, "sla_watch")
    assert report["late"] == 0
    clock.set(datetime(2026, 12, 15, 6, 0, tzinfo=UTC))
    assert invoke_schedule(stack, "sla_watch")["late"] == 1


# ---------------------------------------------------------------------------- one read each

TRANSITIONS = [
    ("review accept", in_review, "review", {"decision": "ACCEPT"}),
    (
        "review surcharge",
        in_review,
        "review",
        {"decision": "SURCHARGE", "surcharge_cents": 2500, "note": "A new mold."},
    ),
    ("review decline", in_review, "review", {"decision": "DECLINE", "note": "Cannot make it."}),
    ("delay", in_production, "delay", {"reason": "Stone late", "expected_ship_date": "2026-12-10"}),
    ("ship", in_production, "ship", {"carrier": "UPS", "tracking_number": "1Z"}),
    ("staff cancel", in_production, "cancel", {"reason": "No silver", "refund_cents": 5000}),
]


@pytest.mark.parametrize(
    "name, prepare, action, body", TRANSITIONS, ids=[t[0] for t in TRANSITIONS]
)
def test_a_staff_transition_reads_the_order_once_and_answers_what_a_read_would(
    api, shop, clock, counted, name, prepare, action, body
):
    """The transition budget (docs/performance.md): one consistent query of the order's
    partition and one transaction; the answer is built from them, and equals what
    GET /staff/orders/{id} then shows."""
    order = prepare(api, clock)
    api.staff("POST", f"/staff/orders/{order['order_id']}/messages", {"text": "How thin?"})
    clock.advance(minutes=5)
    counted.clear()
    reply = api.staff("POST", f"/staff/orders/{order['order_id']}/{action}", body)
    assert reply.status == 200, reply.raw
    assert counted == {"Query": 1, "TransactWriteItems": 1}
    assert reply.json == api.staff("GET", f"/staff/orders/{order['order_id']}").json
    assert [m["text"] for m in reply.json["messages"]] == ["How thin?"]


def test_delivery_reads_the_order_once_and_answers_what_a_read_would(api, shop, clock, counted):
    order = in_production(api, clock)
    api.staff(
        "POST",
        f"/staff/orders/{order['order_id']}/ship",
        {"carrier": "UPS", "tracking_number": "1Z"},
    )
    clock.advance(hours=2)
    counted.clear()
    reply = api.staff(
        "POST",
        f"/staff/orders/{order['order_id']}/deliver",
        {"delivered_at": clock.now().isoformat()},
    )
    assert reply.status == 200, reply.raw
    assert counted == {"Query": 1, "TransactWriteItems": 1}
    assert reply.json == api.staff("GET", f"/staff/orders/{order['order_id']}").json
    assert [h["to_status"] for h in reply.json["history"]][-2:] == ["SHIPPED", "DELIVERED"]
