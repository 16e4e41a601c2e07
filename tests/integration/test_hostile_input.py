"""Access and parsing: hostile input found by the trials of 2026-12, each through the emulated
API Gateway into the real handlers against moto (docs/reliability.md, items 9-11)."""

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


# ---------------------------------------------------------------------------- item 11: caps


def place(api, as_user="cust-a", headers=None, **overrides):
    terms = api.call("GET", "/terms", as_user=None).json["version"]
    body = order_body(accept_terms_version=terms, **overrides)
    return api.call("POST", "/orders", body, as_user=as_user, headers=headers)


SINGLE_LINE_CASES = {
    "line separator in the name": {"contact": {"name": "Ada\u2028Lovelace", "email": "a@b.co"}},
    "paragraph separator in the city": {
        "shipping_address": {
            "line1": "1 Main",
            "city": "Spring\u2029field",
            "postal_code": "1",
            "country": "US",
        }
    },
    "private use in the engraving": {"customization": {"expression": "A \ue000 J"}},
    "U+FFFF in the style": {"customization": {"style": "oval\uffff"}},
    "150 combining marks on one letter": {"customization": {"expression": "A" + "\u0301" * 150}},
}


@pytest.mark.parametrize("case", SINGLE_LINE_CASES, ids=list(SINGLE_LINE_CASES))
def test_P1_text_no_person_types_is_a_422_in_words(api, catalog, case):
    error = assert_error(place(api, **SINGLE_LINE_CASES[case]), 422, "VALIDATION_FAILED")
    messages = " ".join(d["msg"] for d in error["details"])
    assert "must" in messages and "Value error" in messages
    assert order_count(catalog) == 0


def test_P7_a_country_iso_does_not_assign_is_a_422_in_words(api, catalog):
    address = {"line1": "1 Main St", "city": "Springfield", "postal_code": "62701"}
    error = assert_error(
        place(api, shipping_address={**address, "country": "XX"}), 422, "VALIDATION_FAILED"
    )
    assert "two-letter ISO country code, e.g. US" in error["details"][0]["msg"]
    assert order_count(catalog) == 0
    assert place(api, shipping_address={**address, "country": "GB"}).status == 201


REGEX_SIGNS = ("^", "$", "[", "\\x", "{", "pattern")

PATTERN_CASES = {
    "country": (
        {"shipping_address": {"line1": "1", "city": "S", "postal_code": "1", "country": "usa"}},
        None,
    ),
    "email": ({"contact": {"name": "Ada", "email": "ada at example"}}, None),
    "phone": ({"contact": {"name": "Ada", "email": "a@b.co", "phone": "call me"}}, None),
    "Idempotency-Key": ({}, {"Idempotency-Key": "two words"}),
}


@pytest.mark.parametrize("case", PATTERN_CASES, ids=list(PATTERN_CASES))
def test_P1_a_field_of_the_wrong_form_is_explained_never_as_a_regex(api, catalog, case):
    overrides, headers = PATTERN_CASES[case]
    error = assert_error(place(api, headers=headers, **overrides), 422, "VALIDATION_FAILED")
    for detail in error["details"]:
        assert not any(sign in detail["msg"] for sign in REGEX_SIGNS), detail
        assert "e.g." in detail["msg"] or "such as" in detail["msg"], detail


def test_P1_every_pattern_the_api_publishes_is_explained_in_words():
    """Each `pattern` in openapi.json belongs to a field whose refusal names what it wants."""
    import atelier.api.schemas.staff  # noqa: F401 - each module's Shaped fields
    import functions.orders_api.app  # noqa: F401 - and the Idempotency-Key header
    from atelier.domain.text import SHAPES

    document = published_document()
    patterns = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.add(node["pattern"])
            for key, value in node.items():
                if key != "responses":  # what the API answers, not what a person sends
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(document))
    assert len(patterns) >= 6, patterns
    explained = {shape.pattern for shape in SHAPES}
    assert patterns <= explained, f"patterns refused as a regex: {patterns - explained}"


def test_P6_a_token_sub_of_5000_characters_is_a_401_before_any_write(api, catalog, counted):
    """P6: the customer id is the token's `sub`, used as a key; an unusable one is refused
    before anything is read or written for it."""
    long_sub = "c" * 5000
    counted.clear()
    error = assert_error(place(api, as_user=long_sub), 401, "UNAUTHORIZED")
    assert "sign in" in error["message"].lower()
    assert long_sub not in json.dumps(error)
    assert not [op for op in counted if op in WRITES]
    assert_error(api.call("GET", "/orders", as_user=long_sub), 401, "UNAUTHORIZED")
    assert order_count(catalog, customer=long_sub) == 0


@pytest.mark.parametrize("sub", ["a" * 129, "cust\u00e9", "cust a", "cust\u0000"])
def test_P6_a_sub_that_cannot_be_a_customer_id_is_a_401(api, catalog, sub):
    assert_error(api.call("GET", "/orders", as_user=sub), 401, "UNAUTHORIZED")


def test_a_cognito_sub_is_a_customer_id(api, catalog):
    reply = api.call("GET", "/orders", as_user="3f1c2a4e-9b7d-4c1e-8a2b-6d5e4f3a2b1c")
    assert reply.status == 200, reply.raw
