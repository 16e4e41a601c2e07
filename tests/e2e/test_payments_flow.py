"""Paying over HTTP on the local stack: the sandbox pay page, the signed webhook, the sweep
(P3, P4). The stack's clock only moves forward, so every date is computed from its own now."""

from __future__ import annotations

from datetime import datetime

import pytest

from atelier.domain.calendar import WorkingCalendar
from tests.e2e.conftest import RunningStack, call, pay_in_sandbox, place_ring, token_for

pytestmark = pytest.mark.e2e


def place(stack: RunningStack, token: str) -> dict:
    reply = place_ring(
        stack,
        token,
        contact={"name": "Pay Test", "email": "pay@example.com"},
        shipping_address={
            "line1": "5 Oak St",
            "city": "Albany",
            "region": "NY",
            "postal_code": "12207",
            "country": "US",
        },
    )
    assert reply.status == 201, reply.raw
    return dict(reply.json)


def pay(stack: RunningStack, order: dict, action: str = "pay") -> dict:
    page = call(stack, "GET", order["checkout"]["url"].removeprefix(stack.base_url))
    assert page.status == 200 and b"Sandbox checkout" in page.raw
    reply = pay_in_sandbox(stack, order, action)
    assert reply.status == 200, reply.raw
    return dict(reply.json)


def local_now(stack: RunningStack) -> datetime:
    return datetime.fromisoformat(call(stack, "GET", "/_local/clock").json["now"])


def test_P4_order_then_sandbox_pay_puts_it_in_production_with_the_right_ship_by(
    stack: RunningStack,
) -> None:
    token = token_for(stack, "e2e-payer")
    order = place(stack, token)
    paid_around = local_now(stack)

    answer = pay(stack, order)

    assert answer == {
        "webhook_status": 200,
        "webhook_answer": {"received": True, "outcome": "confirmed"},
    }
    read = call(stack, "GET", f"/orders/{order['order_id']}", token=token).json
    assert read["status"] == "IN_PRODUCTION"
    assert read["amounts"]["paid_cents"] == read["amounts"]["total_cents"] == 13900
    assert read["ship_by"] == WorkingCalendar().ship_by(paid_around).isoformat()
    assert read["checkout"] is None


def test_P3_unpaid_order_expires_and_a_late_payment_is_refunded(stack: RunningStack) -> None:
    token = token_for(stack, "e2e-late-payer")
    order = place(stack, token)

    call(stack, "POST", "/_local/clock", {"advance_seconds": 25 * 3600})
    run = call(stack, "POST", "/_local/schedules/expiry_sweep/run")
    assert run.status == 200 and run.json["result"]["expired"] >= 1
    assert call(stack, "GET", f"/orders/{order['order_id']}", token=token).json["status"] == (
        "EXPIRED"
    )

    answer = pay(stack, order)

    assert answer["webhook_answer"]["outcome"] == "refunded"
    read = call(stack, "GET", f"/orders/{order['order_id']}", token=token).json
    assert read["status"] == "EXPIRED"
    assert read["amounts"]["refunded_cents"] == read["amounts"]["paid_cents"] == 13900


def test_paying_the_wrong_amount_is_refunded_and_the_order_stays_payable(
    stack: RunningStack,
) -> None:
    token = token_for(stack, "e2e-wrong-amount")
    order = place(stack, token)

    answer = pay(stack, order, action="pay_wrong_amount")

    assert answer["webhook_answer"]["outcome"] == "refunded"
    read = call(stack, "GET", f"/orders/{order['order_id']}", token=token).json
    assert read["status"] == "PENDING_PAYMENT"
    assert read["amounts"]["refunded_cents"] == 13800
    assert pay(stack, order)["webhook_answer"]["outcome"] == "confirmed"
