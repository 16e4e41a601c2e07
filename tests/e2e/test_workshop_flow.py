"""The workshop over HTTP on the local stack: order, pay, ship, deliver, and the emails the
customer receives, in order (P7, P11)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import RunningStack, call, pay_in_sandbox, place_ring, token_for

pytestmark = pytest.mark.e2e


def test_order_pay_ship_deliver_and_the_customers_emails_in_order(stack: RunningStack) -> None:
    customer = token_for(stack, "e2e-workshop")
    staff = token_for(stack, "e2e-designer", "staff")
    email = "workshop-flow@example.com"
    placed = place_ring(
        stack,
        customer,
        contact={"name": "Flow Test", "email": email},
        shipping_address={
            "line1": "9 Pine St",
            "city": "Boston",
            "region": "MA",
            "postal_code": "02108",
            "country": "US",
        },
    )
    assert placed.status == 201, placed.raw
    order_id = placed.json["order_id"]
    paid = pay_in_sandbox(stack, placed.json)
    assert paid.json["webhook_answer"]["outcome"] == "confirmed"

    assert call(stack, "GET", f"/staff/orders/{order_id}", token=customer).status == 403
    shipped = call(
        stack,
        "POST",
        f"/staff/orders/{order_id}/ship",
        {"carrier": "UPS", "tracking_number": "1ZE2E0000000000001"},
        token=staff,
    )
    assert shipped.status == 200 and shipped.json["status"] == "SHIPPED", shipped.raw
    now = call(stack, "GET", "/_local/clock").json["now"]
    delivered = call(
        stack, "POST", f"/staff/orders/{order_id}/deliver", {"delivered_at": now}, token=staff
    )
    assert delivered.status == 200 and delivered.json["status"] == "DELIVERED", delivered.raw
    assert delivered.json["claim_deadline"] is not None

    outbox = call(stack, "GET", "/_local/outbox").json
    mine = [m for m in reversed(outbox) if m["to"] == email]  # the outbox is newest first
    subjects = [m["subject"] for m in mine]
    assert len(subjects) == 3, subjects
    assert "placed" in subjects[0] and "$139.00" in subjects[0]
    assert subjects[1].startswith("Payment confirmed")
    assert "shipped" in subjects[2]
    assert "1ZE2E0000000000001" in mine[2]["body"] and "UPS" in mine[2]["body"]
    assert all(order_id in s for s in subjects)
