"""The sandbox pay page (local stack only) behaves like a hosted checkout page. Its JSON API
(`Accept: application/json`) is what tests and the README use; the HTML is what a person sees."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from atelier.clock import FixedClock
from infra.local.messages import HttpRequest, HttpResponse
from infra.local.paypage import PREFIX, SandboxPayPage

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
SESSION = "cs_sandbox_1"


@dataclass
class FakeProduct:
    name: str = "Signet Ring"


@dataclass
class FakePrice:
    total_cents: int = 13900
    currency: str = "USD"


@dataclass
class FakeCheckout:
    session_id: str


@dataclass
class FakeOrder:
    """What the pay page reads of an order (atelier.domain.order.Order)."""

    order_id: str = "ord_01TEST"
    status: str = "PENDING_PAYMENT"
    product: FakeProduct = field(default_factory=FakeProduct)
    price: FakePrice = field(default_factory=FakePrice)
    payment_due_at: datetime = NOW + timedelta(hours=24)
    paid_at: datetime | None = None
    checkout: FakeCheckout | None = field(default_factory=lambda: FakeCheckout(SESSION))
    due: tuple[int, datetime] | None = (13900, NOW + timedelta(hours=24))

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    def amount_due(self) -> tuple[int, datetime] | None:
        return self.due


def paid(order: FakeOrder) -> FakeOrder:
    order.paid_at, order.status, order.checkout, order.due = NOW, "IN_PRODUCTION", None, None
    return order


class Webhook:
    def __init__(self, status: int = 200, answer: Any = None) -> None:
        self.sent: list[HttpRequest] = []
        self._status = status
        self._answer = answer if answer is not None else {"received": True, "outcome": "confirmed"}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.sent.append(request)
        return HttpResponse.json(self._status, self._answer)


def page(order: FakeOrder | None, webhook: Webhook | None = None) -> SandboxPayPage:
    return SandboxPayPage(
        find_order=lambda session: order if session == SESSION else None,
        send_webhook=webhook or Webhook(),
        sign=lambda raw, t: f"t={t},v1=00",
        clock=FixedClock(NOW),
        lock=threading.RLock(),
        zone=lambda: ZoneInfo("America/New_York"),
        return_url=lambda order_id: f"https://shop.example.com/orders/{order_id}?paid=1",
    )


def get(pay: SandboxPayPage) -> str:
    response = pay.handle(HttpRequest("GET", PREFIX + SESSION, (), b""))
    assert response.status == 200
    assert response.header("content-type").startswith("text/html")
    return response.body.decode()


def post_form(pay: SandboxPayPage, action: str = "pay") -> HttpResponse:
    headers = (("content-type", "application/x-www-form-urlencoded"),)
    return pay.handle(HttpRequest("POST", PREFIX + SESSION, headers, f"action={action}".encode()))


def test_P3_an_open_checkout_shows_the_amount_and_the_deadline_in_words() -> None:
    html = get(page(FakeOrder()))
    assert "$139.00" in html
    assert "Tuesday, December 8, 2026, 10:00 AM EST" in html
    assert "2026-12-08T" not in html  # no raw ISO
    assert ">Pay $139.00</button>" in html


def test_P3_a_paid_order_says_already_paid_and_offers_no_pay_button() -> None:
    html = get(page(paid(FakeOrder())))
    assert "already paid" in html.lower()
    assert "Monday, December 7, 2026, 10:00 AM EST" in html  # when, in words
    assert "<button" not in html
    assert 'href="https://shop.example.com/orders/ord_01TEST?paid=1"' in html


def test_P3_the_form_of_a_stale_tab_does_not_pay_a_paid_order_again() -> None:
    webhook = Webhook()
    response = post_form(page(paid(FakeOrder()), webhook))
    assert response.status == 409
    assert "already paid" in response.body.decode().lower()
    assert webhook.sent == []


def test_P3_the_result_page_says_what_happened_in_words_with_a_way_back() -> None:
    response = post_form(page(FakeOrder()))
    html = response.body.decode()
    assert response.status == 200
    assert "Payment accepted" in html
    assert "{'received'" not in html and "&#x27;received&#x27;" not in html  # no Python dict
    assert f'href="{PREFIX}{SESSION}"' in html
    assert 'href="https://shop.example.com/orders/ord_01TEST?paid=1"' in html


def test_P3_a_refunded_payment_is_explained_on_the_result_page() -> None:
    webhook = Webhook(answer={"received": True, "outcome": "refunded"})
    html = post_form(page(FakeOrder(), webhook), "pay_wrong_amount").body.decode()
    assert "refunded" in html.lower()
    assert "$138.00" in html  # what was sent: the wrong amount


def test_P3_a_webhook_error_is_shown_with_its_message() -> None:
    answer = {"error": {"code": "INVALID_SIGNATURE", "message": "Bad signature.", "details": None}}
    html = post_form(page(FakeOrder(), Webhook(400, answer))).body.decode()
    assert "400" in html and "Bad signature." in html


def test_P3_an_expired_order_can_still_be_paid_late_and_says_it_will_be_refunded() -> None:
    order = FakeOrder(status="EXPIRED", checkout=None, due=(13900, NOW - timedelta(hours=1)))
    html = get(page(order))
    assert "<button" in html
    assert "refunded" in html.lower()


def test_a_cancelled_unpaid_order_has_nothing_to_pay() -> None:
    html = get(page(FakeOrder(status="CANCELLED", checkout=None, due=None)))
    assert "<button" not in html
    assert "nothing to pay" in html.lower()


def test_the_json_api_is_unchanged_even_for_a_paid_order() -> None:
    webhook = Webhook()
    pay = page(paid(FakeOrder()), webhook)
    response = pay.handle(
        HttpRequest(
            "POST",
            PREFIX + SESSION,
            (("content-type", "application/json"), ("accept", "application/json")),
            json.dumps({"action": "pay"}).encode(),
        )
    )
    assert response.status == 200
    assert json.loads(response.body) == {
        "webhook_status": 200,
        "webhook_answer": {"received": True, "outcome": "confirmed"},
    }
    assert len(webhook.sent) == 1
