"""P6: the design export carries no personal data; erasure anonymizes finished orders only."""

import hashlib
import json
from datetime import UTC, datetime

import pytest

from atelier.adapters.stripe_signature import sign_payload
from tests.factories import charm, order_body, ring, stripe_session_event
from tests.integration.conftest import WEBHOOK_SECRET

CANARIES = ("Canary Lovelace", "canary@example.com", "555-0199", "42 Canary Row", "CANARY")


@pytest.fixture
def shop(container):
    container.products.save(ring())
    container.products.save(charm())
    return container


def delivered_order(api, clock, **changes):
    body = order_body(
        contact={"name": "Canary Lovelace", "email": "canary@example.com", "phone": "555-0199"},
        shipping_address={
            "line1": "42 Canary Row",
            "city": "Monterey",
            "postal_code": "93940",
            "country": "US",
        },
        **changes,
    )
    order = api.call("POST", "/orders", body).json
    oid = order["order_id"]
    now = int(clock.now().timestamp())
    raw = json.dumps(stripe_session_event(order, created=now, event_id=f"evt_{oid}")).encode()
    api.call(
        "POST",
        "/webhooks/payments",
        raw=raw,
        as_user=None,
        headers={"Stripe-Signature": sign_payload(raw, WEBHOOK_SECRET, now)},
    )
    if api.call("GET", f"/orders/{oid}").json["status"] == "IN_REVIEW":
        api.staff("POST", f"/staff/orders/{oid}/review", {"decision": "ACCEPT"})
    api.staff("POST", f"/staff/orders/{oid}/ship", {"carrier": "UPS", "tracking_number": "1Z"})
    reply = api.staff(
        "POST", f"/staff/orders/{oid}/deliver", {"delivered_at": clock.now().isoformat()}
    )
    assert reply.status == 200, reply.raw
    return reply.json


def test_P6_the_design_export_has_no_personal_data(api, shop, clock):
    engraved = delivered_order(
        api, clock, customization={"style": "oval", "expression": "CANARY", "remarks": "CANARY"}
    )
    face = delivered_order(
        api,
        clock,
        product_id="bear-charm",
        size=None,
        customization={"style": "sitting", "expression": "winking"},
    )
    reply = api.staff("GET", "/staff/designs?status=DELIVERED")
    assert reply.status == 200, reply.raw
    designs = reply.json["items"]
    assert len(designs) == 2
    by_product = {d["product_id"]: d for d in designs}
    assert by_product["signet-ring"]["style"] == "oval"
    assert by_product["signet-ring"]["expression"] is None  # engraving text is personal data
    assert by_product["bear-charm"]["expression"] == "winking"  # a chosen face is not
    text = reply.raw.decode()
    for canary in CANARIES:
        assert canary not in text
    for order in (engraved, face):
        assert order["order_id"] not in text
    assert api.call("GET", "/staff/designs").status == 403


def test_P6_erasure_waits_for_the_claim_window_then_keeps_only_the_books(api, shop, clock):
    order = delivered_order(
        api, clock, customization={"style": "oval", "expression": "CANARY", "remarks": "CANARY"}
    )
    oid = order["order_id"]
    api.call("POST", f"/orders/{oid}/messages", {"text": "CANARY message"})
    early = api.staff("POST", "/staff/customers/cust-a/erase")
    assert early.status == 200, early.raw
    assert early.json["still_active_order_ids"] == [oid]
    assert api.staff("GET", f"/staff/orders/{oid}").json["contact"]["name"] == "Canary Lovelace"

    clock.set(datetime(2026, 12, 31, tzinfo=UTC))  # past the 7-working-day claim window
    erased = api.staff("POST", "/staff/customers/cust-a/erase")
    assert erased.json["erased_order_ids"] == [oid]
    view = api.staff("GET", f"/staff/orders/{oid}")
    text = view.raw.decode()
    for canary in CANARIES:
        assert canary not in text
    books = view.json
    assert books["amounts"]["paid_cents"] == 13900  # amounts stay for the books
    assert books["history"][-1]["event_type"] == "PersonalDataErased"
    assert [m["text"] for m in books["messages"]] == ["[erased]"]
    assert books["customization"]["style"] == "oval"
    again = api.staff("POST", "/staff/customers/cust-a/erase")
    assert again.json["already_erased"] == 1 and again.json["erased_order_ids"] == []
    assert api.call("POST", "/staff/customers/cust-a/erase").status == 403


def test_P6_a_design_export_of_a_real_order_with_a_claim_photo_cannot_lead_back(
    api, shop, clock, stack, container
):
    """A ring with a free-text style, an engraving and remarks (reviewed and accepted), and a
    charm with a chosen face and a free-text color, each paid, shipped and delivered through
    the handlers; the ring's claim has a verified photo. Nothing in the export names an order,
    a claim, a file or the customer, and no text the customer typed is in it."""
    from tests.integration.test_claims_api import JPEG, upload_and_check

    ring_order = delivered_order(
        api,
        clock,
        customization={
            "style": "Canary twist",
            "color": "gold",
            "expression": "CANARY",
            "remarks": "CANARY remarks",
        },
    )
    charm_order = delivered_order(
        api,
        clock,
        product_id="bear-charm",
        size=None,
        customization={"color": "Canary blue", "expression": "winking"},
    )
    oid = ring_order["order_id"]
    claim = api.call(
        "POST", f"/orders/{oid}/claims", {"reason": "DAMAGED", "description": "CANARY claim"}
    ).json
    ticket = api.call(
        "POST",
        f"/orders/{oid}/claims/{claim['claim_id']}/evidence",
        {"filename": "canary-ring.jpg", "content_type": "image/jpeg", "size_bytes": len(JPEG)},
    ).json
    assert upload_and_check(stack, container, ticket["fields"]["key"], JPEG) == "verified"
    assert api.call("POST", f"/orders/{oid}/claims/{claim['claim_id']}/submit").status == 200
    rejected = api.staff(
        "POST",
        f"/staff/claims/{claim['claim_id']}/decision",
        {"decision": "REJECT", "note": "Wear from use."},
    )
    assert rejected.status == 200, rejected.raw

    reply = api.staff("GET", "/staff/designs?status=DELIVERED")

    assert reply.status == 200, reply.raw
    designs = {d["product_id"]: d for d in reply.json["items"]}
    assert designs["signet-ring"] == {
        "design_id": designs["signet-ring"]["design_id"],
        "product_id": "signet-ring",
        "product_name": "Signet Ring",
        "style": None,  # typed by the customer, not one of the ring's styles
        "color": "gold",  # one of the ring's published colors
        "expression": None,  # an engraving is text
    }
    assert designs["bear-charm"]["expression"] == "winking"  # a published face
    assert designs["bear-charm"]["color"] is None  # typed, not published
    export = reply.raw.decode().lower()
    secrets = [
        *CANARIES,
        "canary",
        "claims/",
        "evd_",
        "clm_",
        ticket["evidence_id"],
        claim["claim_id"],
        "canary-ring.jpg",
    ]
    for order in (ring_order, charm_order):
        secrets += [order["order_id"], order["order_id"].removeprefix("ord_")]
        # nor a stable stand-in for the order id that anyone holding the id could recompute
        secrets.append(hashlib.sha256(order["order_id"].encode()).hexdigest()[:20])
    for secret in secrets:
        assert secret.lower() not in export, secret


def test_P6_an_idempotency_key_replay_after_erasure_answers_no_personal_data(api, shop, container):
    """Erasure purges what the Idempotency-Key layer keeps for the customer's orders: a replay
    within its 24 h no longer answers the first body (remarks, engraving, contact), and it
    places no new order either: it is a 409 that asks for a new key (decision 36)."""
    body = order_body(
        contact={"name": "Canary Lovelace", "email": "canary@example.com", "phone": "555-0199"},
        shipping_address={
            "line1": "42 Canary Row",
            "city": "Monterey",
            "postal_code": "93940",
            "country": "US",
        },
        customization={"style": "oval", "expression": "CANARY", "remarks": "CANARY remarks"},
    )
    key = {"Idempotency-Key": "canary-order-1"}
    placed = api.call("POST", "/orders", body, headers=key)
    assert placed.status == 201, placed.raw
    oid = placed.json["order_id"]
    assert api.call("POST", "/orders", body, headers=key).json == placed.json  # a replay, as kept
    assert api.call("POST", f"/orders/{oid}/cancel").status == 200
    erased = api.staff("POST", "/staff/customers/cust-a/erase")
    assert erased.json["erased_order_ids"] == [oid], erased.raw

    replay = api.call("POST", "/orders", body, headers=key)

    assert replay.status == 409, replay.raw
    assert replay.json["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert "erased" in replay.json["error"]["message"]
    for canary in CANARIES:
        assert canary not in replay.raw.decode()
    kept = container.dynamodb.scan(TableName=container.settings.idempotency_table_name)["Items"]
    assert not [item for item in kept if "CANARY" in json.dumps(item)]  # nothing left behind
    assert [o["order_id"] for o in api.call("GET", "/orders").json["items"]] == [oid]
