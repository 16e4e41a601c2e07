"""Every request-body example openapi.json documents (what Swagger UI's "Try it out" sends)
works as it stands against the running local stack: each is sent, unchanged, to an order or
claim in the state its route needs, and gets the route's documented success status."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from atelier.api.openapi import published_document
from tests.e2e.conftest import RunningStack, call, pay_in_sandbox, place_ring, token_for
from tests.e2e.test_claims_flow import post_form

pytestmark = pytest.mark.e2e

DOCUMENT = json.loads(published_document())
PHOTO = Path(__file__).resolve().parents[1] / "fixtures" / "evidence" / "photo.jpg"
# The webhook's body is a provider's signed event: an example cannot carry a valid signature.
UNSENDABLE = {("POST", "/webhooks/payments")}


def documented_examples() -> list[tuple[str, str, Any, int]]:
    """(method, path, the first example of its body, the documented success status)."""
    found = []
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation or (method.upper(), path) in UNSENDABLE:
                continue
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            name = schema["$ref"].rsplit("/", 1)[-1]
            examples = DOCUMENT["components"]["schemas"][name].get("examples")
            assert examples, f"{method.upper()} {path}: {name} documents no example"
            success = min(int(s) for s in operation["responses"] if s.startswith("2"))
            found.append((method.upper(), path, examples[0], success))
    return found


EXAMPLES = documented_examples()


class Shop:
    """Orders and claims in the states the routes need, made through the API."""

    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        self.customer = token_for(stack, "e2e-swagger-customer")
        self.staff = token_for(stack, "e2e-swagger-staff", "staff")

    def placed(self, **overrides: Any) -> dict[str, Any]:
        terms = call(self.stack, "GET", "/terms")
        assert terms.status == 200, (terms.status, terms.raw)
        reply = place_ring(self.stack, self.customer, **overrides)
        assert reply.status == 201, reply.raw
        return dict(reply.json)

    def paid(self, **overrides: Any) -> dict[str, Any]:
        order = self.placed(**overrides)
        assert pay_in_sandbox(self.stack, order).status == 200
        return order

    def in_review(self) -> dict[str, Any]:
        return self.paid(customization={"style": "oval", "remarks": "a thinner band, please"})

    def staff_call(self, method: str, path: str, body: Any = None) -> Any:
        reply = call(self.stack, method, path, body, token=self.staff)
        assert reply.status in (200, 201), reply.raw
        return reply.json

    def shipped(self) -> dict[str, Any]:
        order = self.paid()
        self.staff_call(
            "POST",
            f"/staff/orders/{order['order_id']}/ship",
            {"carrier": "UPS", "tracking_number": "1ZX"},
        )
        return order

    def delivered(self) -> dict[str, Any]:
        order = self.shipped()
        self.staff_call("POST", f"/staff/orders/{order['order_id']}/deliver", {})
        return order

    def claimed(self) -> tuple[str, str]:
        oid = self.delivered()["order_id"]
        reply = call(
            self.stack,
            "POST",
            f"/orders/{oid}/claims",
            {"reason": "DEFECTIVE", "description": "The clasp does not close."},
            token=self.customer,
        )
        assert reply.status == 201, reply.raw
        return oid, reply.json["claim_id"]

    def submitted_claim(self) -> str:
        oid, cid = self.claimed()
        base = f"/orders/{oid}/claims/{cid}"
        photo = PHOTO.read_bytes()
        ticket = call(
            self.stack,
            "POST",
            f"{base}/evidence",
            {"filename": "clasp.jpg", "content_type": "image/jpeg", "size_bytes": len(photo)},
            token=self.customer,
        ).json
        assert post_form(ticket["url"], ticket["fields"], photo, "image/jpeg") in (200, 204)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            evidence = call(self.stack, "GET", base, token=self.customer).json["evidence"]
            if evidence[0]["status"] != "PENDING":
                break
            time.sleep(0.2)
        reply = call(self.stack, "POST", f"{base}/submit", token=self.customer)
        assert reply.status == 200, reply.raw
        return cid


def _target(shop: Shop, method: str, path: str) -> tuple[str, str]:
    """The path with real ids, in the state the route needs, and who calls it."""
    setups: dict[tuple[str, str], Callable[[], tuple[str, str]]] = {
        ("POST", "/orders"): lambda: ("/orders", shop.customer),
        ("POST", "/orders/{order_id}/messages"): lambda: (
            f"/orders/{shop.placed()['order_id']}/messages",
            shop.customer,
        ),
        ("POST", "/orders/{order_id}/claims"): lambda: (
            f"/orders/{shop.delivered()['order_id']}/claims",
            shop.customer,
        ),
        ("POST", "/orders/{order_id}/claims/{claim_id}/evidence"): lambda: (
            "/orders/{}/claims/{}/evidence".format(*shop.claimed()),
            shop.customer,
        ),
        ("POST", "/staff/orders/{order_id}/review"): lambda: (
            f"/staff/orders/{shop.in_review()['order_id']}/review",
            shop.staff,
        ),
        ("POST", "/staff/orders/{order_id}/cancel"): lambda: (
            f"/staff/orders/{shop.paid()['order_id']}/cancel",
            shop.staff,
        ),
        ("POST", "/staff/orders/{order_id}/delay"): lambda: (
            f"/staff/orders/{shop.paid()['order_id']}/delay",
            shop.staff,
        ),
        ("POST", "/staff/orders/{order_id}/ship"): lambda: (
            f"/staff/orders/{shop.paid()['order_id']}/ship",
            shop.staff,
        ),
        ("POST", "/staff/orders/{order_id}/deliver"): lambda: (
            f"/staff/orders/{shop.shipped()['order_id']}/deliver",
            shop.staff,
        ),
        ("POST", "/staff/orders/{order_id}/messages"): lambda: (
            f"/staff/orders/{shop.placed()['order_id']}/messages",
            shop.staff,
        ),
        ("POST", "/staff/claims/{claim_id}/decision"): lambda: (
            f"/staff/claims/{shop.submitted_claim()}/decision",
            shop.staff,
        ),
        ("POST", "/staff/products"): lambda: ("/staff/products", shop.staff),
        # The product the POST example adds (it runs first: see the ordering below).
        ("PUT", "/staff/products/{product_id}"): lambda: (
            "/staff/products/" + _posted_product_id(),
            shop.staff,
        ),
    }
    assert (method, path) in setups, f"no setup for {method} {path}: add one"
    return setups[(method, path)]()


def _posted_product_id() -> str:
    post = next(e for e in EXAMPLES if e[:2] == ("POST", "/staff/products"))
    return str(post[2]["product_id"])


# POST /staff/products before PUT /staff/products/{product_id}, which replaces what it added.
ORDERED = sorted(EXAMPLES, key=lambda e: (e[1].startswith("/staff/products/"), e[1], e[0]))


def test_every_route_with_a_body_documents_an_example() -> None:
    assert len(EXAMPLES) >= 13


@pytest.mark.parametrize(
    ("method", "path", "example", "success"), ORDERED, ids=[f"{e[0]} {e[1]}" for e in ORDERED]
)
def test_P1_to_P10_a_documented_example_sent_as_it_stands_gets_the_documented_success(
    stack: RunningStack, method: str, path: str, example: Any, success: int
) -> None:
    shop = Shop(stack)
    target, token = _target(shop, method, path)
    reply = call(stack, method, target, example, token=token)
    assert reply.status == success, f"{method} {target}: {reply.raw!r}"
