"""HTTP against the local stack: `python -m infra.local` started as `make run` starts it, on free
ports, then spoken to like a storefront would."""

from __future__ import annotations

import http.client
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import CATALOG, RunningStack, call, token_for

pytestmark = pytest.mark.e2e


# ------------------------------------------------------------------ the control API


def test_the_control_api_issues_tokens(stack: RunningStack) -> None:
    token = token_for(stack, "e2e-customer")

    assert token.count(".") == 2


def test_the_clock_advances_for_the_whole_stack(stack: RunningStack) -> None:
    before = call(stack, "GET", "/_local/clock").json
    after = call(stack, "POST", "/_local/clock", {"advance_seconds": 60})
    refused = call(stack, "POST", "/_local/clock", {"advance_seconds": -5})

    assert after.status == 200
    assert after.json["offset_seconds"] == before["offset_seconds"] + 60
    assert after.json["now"].endswith("Z")
    assert refused.status == 400


def test_the_outbox_is_a_list_of_emails(stack: RunningStack) -> None:
    reply = call(stack, "GET", "/_local/outbox")

    assert reply.status == 200
    assert isinstance(reply.json, list)
    for email in reply.json:
        assert set(email) == {"to", "subject", "body", "sent_at"}


def test_an_unknown_schedule_is_404(stack: RunningStack) -> None:
    reply = call(stack, "POST", "/_local/schedules/no_such_function/run")

    assert reply.status == 404
    assert reply.json["error"]["code"] == "NOT_FOUND"


def test_docs_serve_swagger_ui_offline(stack: RunningStack) -> None:
    page = call(stack, "GET", "/docs")
    script = call(stack, "GET", "/docs/swagger-ui-bundle.min.js")
    spec = call(stack, "GET", "/openapi.json")

    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert b"swagger-ui" in page.raw
    assert script.status == 200 and len(script.raw) > 100_000
    assert spec.status == 200 and spec.json["openapi"].startswith("3.")


def test_unknown_control_paths_are_404(stack: RunningStack) -> None:
    assert call(stack, "GET", "/_local/nothing-here").status == 404


# ------------------------------------------------------------------ API Gateway's own answers


def test_a_protected_route_without_a_token_is_401(stack: RunningStack) -> None:
    reply = call(stack, "GET", "/orders")

    assert reply.status == 401
    assert reply.json == {"message": "Unauthorized"}


def test_a_forged_token_is_401(stack: RunningStack) -> None:
    genuine = token_for(stack, "e2e-customer")
    header, payload, signature = genuine.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"

    reply = call(stack, "GET", "/orders", token=forged)

    assert reply.status == 401
    assert reply.json == {"message": "Unauthorized"}


def test_an_unknown_route_is_404(stack: RunningStack) -> None:
    reply = call(stack, "GET", "/no/such/route")

    assert reply.status == 404
    assert reply.json == {"message": "Not Found"}


def test_a_body_over_10_mb_is_413_before_it_is_read(stack: RunningStack) -> None:
    host, port = stack.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("POST", "/orders")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(10 * 1024 * 1024 + 1))
    connection.endheaders()
    response = connection.getresponse()

    assert response.status == 413
    assert json.loads(response.read()) == {"message": "Request Entity Too Large"}
    connection.close()


def test_one_line_is_logged_per_request(stack: RunningStack) -> None:
    def logged() -> int:
        return sum("GET /terms -> 200 in " in line for line in stack.lines)

    before = logged()
    call(stack, "GET", "/terms?probe=1")

    # The line is written once the answer is sent, so it may trail the reply a little.
    deadline = time.monotonic() + 5
    while logged() < before + 1:
        assert time.monotonic() < deadline, stack.output
        time.sleep(0.05)
    assert not any("probe=1" in line for line in stack.lines)  # no query strings logged
    time.sleep(0.2)
    assert logged() == before + 1  # one line, not more


# ------------------------------------------------------------------ the catalog and orders


def test_the_seeded_catalog_is_listed(stack: RunningStack) -> None:
    reply = call(stack, "GET", "/products?limit=100")

    assert reply.status == 200
    listed = {product["product_id"] for product in reply.json["items"]}
    assert {product["product_id"] for product in CATALOG} <= listed
    assert reply.json["next_cursor"] is None


def test_concurrent_requests_are_all_answered(stack: RunningStack) -> None:
    """The server is threaded; the functions run one at a time under the stack's lock."""
    customer = token_for(stack, "e2e-busy")
    product = next(p for p in CATALOG if not p["sizes"])
    terms_version = call(stack, "GET", "/terms").json["version"]
    order = {
        "product_id": product["product_id"],
        "customization": {"style": product["customization"]["style"]["options"][0]},
        "contact": {"name": "Busy Test", "email": "busy@example.com"},
        "shipping_address": {
            "line1": "1 Main St",
            "city": "Springfield",
            "region": "IL",
            "postal_code": "62701",
            "country": "US",
        },
        "accept_terms_version": terms_version,
    }

    def place(_: int) -> int:
        return call(stack, "POST", "/orders", order, token=customer).status

    def browse(_: int) -> int:
        return call(stack, "GET", "/products").status

    with ThreadPoolExecutor(max_workers=8) as pool:
        placed = list(pool.map(place, range(8)))
        browsed = list(pool.map(browse, range(8)))

    assert placed == [201] * 8
    assert browsed == [200] * 8
    assert len(call(stack, "GET", "/orders?limit=100", token=customer).json["items"]) == 8


def test_a_customer_browses_orders_and_cancels(stack: RunningStack) -> None:
    # Given a customer browsing the catalog
    products = call(stack, "GET", "/products").json["items"]
    chosen = next(p for p in products if p["customization"]["expression"]["kind"] == "options")
    product = call(stack, "GET", f"/products/{chosen['product_id']}").json
    terms = call(stack, "GET", "/terms").json
    customer = token_for(stack, "e2e-walker")
    customization = product["customization"]

    # When they order the piece within its published range
    placed = call(
        stack,
        "POST",
        "/orders",
        {
            "product_id": product["product_id"],
            "size": product["sizes"][0] if product["sizes"] else None,
            "customization": {
                "style": customization["style"]["options"][0],
                "color": customization["color"]["options"][-1],
                "expression": customization["expression"]["options"][0],
                "remarks": "",
            },
            "contact": {"name": "Walker Test", "email": "walker@example.com", "phone": None},
            "shipping_address": {
                "line1": "12 Orchard Lane",
                "line2": None,
                "city": "Portland",
                "region": "OR",
                "postal_code": "97201",
                "country": "US",
            },
            "accept_terms_version": terms["version"],
        },
        token=customer,
    )

    # Then it waits for payment: price plus the $10 fee, payable through a checkout
    assert placed.status == 201, placed.raw
    order = placed.json
    assert order["status"] == "PENDING_PAYMENT"
    assert order["amounts"]["product_cents"] == product["price_cents"]
    assert order["amounts"]["customization_fee_cents"] == 1000
    assert order["amounts"]["total_cents"] == product["price_cents"] + 1000
    assert order["review"]["required"] is False
    assert order["checkout"]["url"].startswith(stack.base_url)

    fetched = call(stack, "GET", f"/orders/{order['order_id']}", token=customer)
    assert fetched.status == 200
    assert fetched.json["order_id"] == order["order_id"]
    mine = call(stack, "GET", "/orders", token=customer).json["items"]
    assert order["order_id"] in {item["order_id"] for item in mine}
    someone_else = call(
        stack, "GET", f"/orders/{order['order_id']}", token=token_for(stack, "e2e-other")
    )
    assert someone_else.status == 404

    # When they cancel it, then it is cancelled and no longer payable
    cancelled = call(stack, "POST", f"/orders/{order['order_id']}/cancel", token=customer)
    assert cancelled.status == 200, cancelled.raw
    assert cancelled.json["status"] == "CANCELLED"
    assert cancelled.json.get("checkout") is None
    assert call(stack, "GET", f"/orders/{order['order_id']}", token=customer).json["status"] == (
        "CANCELLED"
    )

    # And nothing personal reached the stack's console (P6)
    assert "walker@example.com" not in stack.output
    assert "Walker Test" not in stack.output
    assert customer not in stack.output


# Keep last: it moves the shared stack's clock a day forward, which expires unpaid orders.
def test_a_schedule_run_on_the_local_clock_expires_an_unpaid_order(stack: RunningStack) -> None:
    # Given an order placed and left unpaid
    customer = token_for(stack, "e2e-sleeper")
    product = next(p for p in CATALOG if not p["sizes"])
    placed = call(
        stack,
        "POST",
        "/orders",
        {
            "product_id": product["product_id"],
            "customization": {"color": product["customization"]["color"]["options"][0]},
            "contact": {"name": "Sleeper Test", "email": "sleeper@example.com"},
            "shipping_address": {
                "line1": "3 Elm St",
                "city": "Salem",
                "region": "MA",
                "postal_code": "01970",
                "country": "US",
            },
            "accept_terms_version": call(stack, "GET", "/terms").json["version"],
        },
        token=customer,
    )
    assert placed.status == 201, placed.raw
    order_id = placed.json["order_id"]

    # When the local clock passes the 24 h deadline and the sweep's schedule fires
    call(stack, "POST", "/_local/clock", {"advance_seconds": 24 * 3600 + 1})
    run = call(stack, "POST", "/_local/schedules/expiry_sweep/run")

    # Then the sweep ran to completion and the order is expired
    assert run.status == 200, run.raw
    assert run.json["function"] == "expiry_sweep"
    assert run.json["result"]["expired"] >= 1  # reads alone would already say EXPIRED (P3)
    assert call(stack, "GET", f"/orders/{order_id}", token=customer).json["status"] == "EXPIRED"
