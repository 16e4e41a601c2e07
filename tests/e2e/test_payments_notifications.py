"""P11 over HTTP on the local stack: the events of placing and paying an order travel the
table stream, the relay, the bus's rules and the notifier into SES, and `/_local/outbox` shows
the customer's emails in order. Every date is computed from the stack's own clock."""

from __future__ import annotations

import html
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from atelier.clock import parse_iso
from atelier.notifications.formatting import long_date, long_datetime
from tests.e2e.conftest import RunningStack, call, pay_in_sandbox, place_ring, token_for

pytestmark = pytest.mark.e2e

EMAIL = "notified@example.com"
NEW_YORK = ZoneInfo("America/New_York")


def test_P11_placing_and_paying_an_order_emails_the_customer_in_order(
    stack: RunningStack,
) -> None:
    token = token_for(stack, "e2e-notified")
    placed = place_ring(
        stack,
        token,
        size="6",
        customization={"style": "oval", "color": "silver", "expression": "M & N"},
        contact={"name": "Mail <Test>", "email": EMAIL},
        shipping_address={
            "line1": "9 Elm St",
            "city": "Albany",
            "region": "NY",
            "postal_code": "12207",
            "country": "US",
        },
    )
    assert placed.status == 201, placed.raw
    order = placed.json
    order_id = order["order_id"]

    paid = pay_in_sandbox(stack, order)

    assert paid.status == 200 and paid.json["webhook_answer"]["outcome"] == "confirmed"
    read = call(stack, "GET", f"/orders/{order_id}", token=token).json
    assert read["status"] == "IN_PRODUCTION"
    outbox = call(stack, "GET", "/_local/outbox")
    assert outbox.status == 200
    mine = [m for m in outbox.json if m["to"] == EMAIL]
    mine.reverse()  # the outbox is newest first
    deadline = long_datetime(parse_iso(order["payment_due_at"]), NEW_YORK)
    assert [m["subject"] for m in mine] == [
        f"Order {order_id} placed: please pay $139.00 by {deadline}",
        f"Payment confirmed for order {order_id}",
    ]
    placed_email, confirmed_email = (m["body"] for m in mine)
    assert "$139.00" in placed_email and deadline in placed_email
    assert html.escape(order["checkout"]["url"]) in placed_email
    assert "Mail &lt;Test&gt;" in placed_email and "<Test>" not in placed_email
    assert long_date(date.fromisoformat(read["ship_by"])) in confirmed_email
    assert all("ORDER#" not in m["body"] for m in mine)
    assert mine[0]["sent_at"] <= mine[1]["sent_at"]
