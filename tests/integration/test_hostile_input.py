"""Issue 12, "Access and parsing": hostile input found by the trials of 2026-12, each through the
emulated API Gateway into the real handlers against moto (items 9-11)."""

import json

import pytest

from atelier.api.openapi import published_document
from tests.factories import charm, order_body, ring

pytestmark = pytest.mark.integration

WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


@pytest.fixture
def catalog(container):
    container.products.save(ring())
    container.products.save(charm())
    return container


def order_count(container, customer="cust-a"):
    return len(container.orders.list_for_customer(customer, limit=100, cursor=None).items)


def assert_error(reply, status, code=None):
    assert reply.status == status, reply.raw
    error = reply.json["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["message"]
    if code:
        assert error["code"] == code, error
    return error


# ---------------------------------------------------------------------------- item 9: groups


@pytest.mark.parametrize("group", ["x,staff", "staff,x", "[staff]", "staff]", "Staff"])
def test_P6_a_group_whose_name_merely_contains_staff_opens_no_staff_route(api, catalog, group):
    """P6: staff routes show customers' contact data; only the group `staff` opens them."""
    reply = api.call("GET", "/staff/orders?status=IN_REVIEW", as_user="mallory", groups=(group,))
    assert_error(reply, 403, "FORBIDDEN")


def test_P6_the_staff_group_among_others_opens_staff_routes(api, catalog):
    reply = api.call(
        "GET", "/staff/orders?status=IN_REVIEW", as_user="designer-1", groups=("x,y", "staff")
    )
    assert reply.status == 200, reply.raw


# ---------------------------------------------------------------------------- item 10: arrays


def test_P1_an_array_of_orders_is_a_422_and_places_nothing(api, catalog):
    """P1: an order is one product; `[{order}, {order}]` used to place the first one."""
    terms = api.call("GET", "/terms", as_user=None).json["version"]
    body = order_body(accept_terms_version=terms)
    error = assert_error(api.call("POST", "/orders", [body, body]), 422, "VALIDATION_FAILED")
    assert error["details"][0]["loc"] == ["body"]
    assert "object" in error["details"][0]["msg"]
    assert order_count(catalog) == 0


def _body_routes():
    document = json.loads(published_document())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation and path != "/webhooks/payments":
                yield method.upper(), path


BODY_ROUTES = sorted(_body_routes())


def test_the_routes_with_a_body_are_all_checked():
    assert len(BODY_ROUTES) >= 12


@pytest.mark.parametrize("body", [[{}], [{}, {}], "an order", 7, True, None], ids=repr)
@pytest.mark.parametrize(("method", "path"), BODY_ROUTES, ids=[f"{m} {p}" for m, p in BODY_ROUTES])
def test_P1_a_body_that_is_not_a_json_object_is_a_422_on_every_route(
    api, catalog, counted, method, path, body
):
    target = path.replace("{", "").replace("}", "")  # e.g. /orders/order_id/claims/claim_id
    counted.clear()
    raw = json.dumps(body).encode()
    if path.startswith("/staff/"):
        reply = api.call(method, target, raw=raw, as_user="designer-1", groups=("staff",))
    else:
        reply = api.call(method, target, raw=raw)
    error = assert_error(reply, 422, "VALIDATION_FAILED")
    assert error["details"][0]["loc"] == ["body"], error
    assert not [op for op in counted if op in WRITES]
