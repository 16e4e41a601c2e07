"""Staff manage the catalog through staff_api (emulated API Gateway, moto): P5's range is
what orders are checked against, and P2's snapshot keeps placed orders as they were."""

from datetime import timedelta
from typing import Any

import pytest

from atelier import bootstrap
from tests.factories import charm, order_body, ring

ROUTES = [
    ("GET", "/staff/products", None),
    ("POST", "/staff/products", "new"),
    ("PUT", "/staff/products/signet-ring", "replacement"),
]


def product_body(product) -> dict[str, Any]:
    return product.model_dump(mode="json")


def replacement_body(product, **changes) -> dict[str, Any]:
    body = product.model_dump(mode="json", exclude={"product_id"})
    body.update(changes)
    return body


def assert_error(reply, status, code=None):
    assert reply.status == status, reply.raw
    error = reply.json["error"]
    assert set(error) == {"code", "message", "details"}
    if code:
        assert error["code"] == code, error
    return error


@pytest.fixture
def shop(api):
    """The ring in the catalog, put there through the staff API."""
    reply = api.staff("POST", "/staff/products", product_body(ring()))
    assert reply.status == 201, reply.raw
    return api


def body_for(kind):
    return {
        None: None,
        "new": product_body(charm()),
        "replacement": replacement_body(ring(), price_cents=1),
    }[kind]


# ---------------------------------------------------------------------------- who may


@pytest.mark.parametrize(("method", "path", "kind"), ROUTES)
def test_a_customer_token_is_refused_on_every_catalog_route(shop, container, method, path, kind):
    reply = shop.call(method, path, body_for(kind), as_user="cust-a")

    assert_error(reply, 403, "FORBIDDEN")
    assert container.products.get("bear-charm") is None
    assert container.products.get("signet-ring") == ring()


def test_a_customer_is_refused_before_the_body_is_read(shop, container):
    body = {**product_body(charm()), "price_cents": -1, "colour": "gold"}
    reply = shop.call("POST", "/staff/products", body, as_user="cust-a")

    assert_error(reply, 403, "FORBIDDEN")
    assert container.products.get("bear-charm") is None


@pytest.mark.parametrize(("method", "path", "kind"), ROUTES)
def test_an_anonymous_call_is_api_gateways_401(shop, container, method, path, kind):
    reply = shop.call(method, path, body_for(kind), as_user=None)

    assert reply.status == 401
    assert reply.json == {"message": "Unauthorized"}
    assert container.products.get("bear-charm") is None
    assert container.products.get("signet-ring") == ring()


# ---------------------------------------------------------------------------- create and list


def test_P5_a_product_staff_create_can_be_ordered_and_its_range_decides_review(shop):
    created = shop.staff("POST", "/staff/products", product_body(charm()))
    assert created.status == 201, created.raw
    assert created.headers["Location"] == "/staff/products/bear-charm"
    assert created.json == {**product_body(charm()), "active": True}

    public = shop.call("GET", "/products/bear-charm", as_user=None)
    assert public.status == 200
    assert public.json["customization"]["expression"] == {
        "kind": "options",
        "options": ["smiling", "winking", "sleepy"],
    }

    inside = {"style": "sitting", "color": "gold", "expression": "winking"}
    agreed = shop.call(
        "POST", "/orders", order_body(product_id="bear-charm", size=None, customization=inside)
    )
    assert agreed.status == 201, agreed.raw
    assert agreed.json["amounts"]["product_cents"] == 4500
    assert agreed.json["review"] == {"required": False, "reasons": [], "surcharge": None}

    outside = {**inside, "expression": "grumpy"}
    reviewed = shop.call(
        "POST", "/orders", order_body(product_id="bear-charm", size=None, customization=outside)
    )
    assert reviewed.status == 201, reviewed.raw
    assert reviewed.json["review"]["required"] is True
    assert [r["code"] for r in reviewed.json["review"]["reasons"]] == ["EXPRESSION_NOT_OFFERED"]


def test_an_existing_product_id_is_a_409_and_the_stored_product_stays(shop, container):
    reply = shop.staff("POST", "/staff/products", product_body(ring(price_cents=100)))

    assert_error(reply, 409, "PRODUCT_EXISTS")
    assert container.products.get("signet-ring") == ring()


def test_staff_list_retired_products_too_and_see_which_are_active(shop):
    retired = ring(product_id="old-ring", active=False)
    for product in (charm(), retired):
        reply = shop.staff("POST", "/staff/products", product_body(product))
        assert reply.status == 201, reply.raw

    everything = shop.staff("GET", "/staff/products")
    assert everything.status == 200, everything.raw
    assert [(p["product_id"], p["active"]) for p in everything.json["items"]] == [
        ("bear-charm", True),
        ("signet-ring", True),
        ("old-ring", False),
    ]
    assert everything.json["items"][2] == {**product_body(retired), "active": False}
    assert everything.json["next_cursor"] is None

    active_only = shop.staff("GET", "/staff/products?include_inactive=false")
    assert [p["product_id"] for p in active_only.json["items"]] == ["bear-charm", "signet-ring"]

    public = shop.call("GET", "/products", as_user=None)
    assert [p["product_id"] for p in public.json["items"]] == ["bear-charm", "signet-ring"]


def test_the_staff_list_pages_across_active_and_retired_products(shop):
    for product in (charm(), ring(product_id="old-ring", active=False)):
        assert shop.staff("POST", "/staff/products", product_body(product)).status == 201

    seen, target = [], "/staff/products?limit=2"
    while True:
        page = shop.staff("GET", target).json
        seen += [p["product_id"] for p in page["items"]]
        if page["next_cursor"] is None:
            break
        target = f"/staff/products?limit=2&cursor={page['next_cursor']}"

    assert seen == ["bear-charm", "signet-ring", "old-ring"]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "cursor=bogus"])
def test_bad_paging_of_the_staff_list_is_a_422(shop, query):
    assert_error(shop.staff("GET", f"/staff/products?{query}"), 422)


# ---------------------------------------------------------------------------- replace


def test_P2_editing_price_and_range_leaves_a_placed_order_as_it_was(shop, container):
    placed = shop.call("POST", "/orders", order_body())
    assert placed.status == 201, placed.raw
    order_id = placed.json["order_id"]
    narrower = ring().customization.model_dump(mode="json")
    narrower["style"] = {"options": ["classic"]}
    narrower["expression"] = {"kind": "text", "max_length": 4, "allowed_pattern": "^[A-Z]*$"}

    edited = shop.staff(
        "PUT",
        "/staff/products/signet-ring",
        replacement_body(
            ring(), name="Signet Ring 2027", price_cents=19900, customization=narrower
        ),
    )
    assert edited.status == 200, edited.raw
    assert edited.json["price_cents"] == 19900
    assert edited.json["customization"]["style"] == {"options": ["classic"]}

    read = shop.call("GET", f"/orders/{order_id}")
    assert read.status == 200
    assert read.json["amounts"] == placed.json["amounts"]
    assert read.json["amounts"]["product_cents"] == 12900
    assert read.json["amounts"]["total_cents"] == 13900
    assert read.json["product_name"] == "Signet Ring"
    assert read.json["review"] == placed.json["review"]
    snapshot = container.orders.get(order_id).product
    assert snapshot.price_cents == 12900
    assert snapshot.customization == ring().customization

    # A new order is priced and checked with the edited product.
    again = shop.call("POST", "/orders", order_body())
    assert again.json["amounts"]["product_cents"] == 19900
    assert {r["code"] for r in again.json["review"]["reasons"]} == {
        "STYLE_NOT_OFFERED",
        "ENGRAVING_TOO_LONG",
        "ENGRAVING_CHARACTERS_NOT_OFFERED",
    }


def test_a_replacement_may_repeat_the_products_own_id(shop, container):
    body = {**product_body(ring()), "description": "Now with a brushed finish."}
    reply = shop.staff("PUT", "/staff/products/signet-ring", body)

    assert reply.status == 200, reply.raw
    assert container.products.get("signet-ring").description == "Now with a brushed finish."


def test_a_replacement_naming_another_id_is_a_422_and_changes_nothing(shop, container):
    body = {**product_body(ring(price_cents=1)), "product_id": "other-ring"}
    reply = shop.staff("PUT", "/staff/products/signet-ring", body)

    assert_error(reply, 422, "PRODUCT_ID_MISMATCH")
    assert container.products.get("signet-ring") == ring()
    assert container.products.get("other-ring") is None


def test_replacing_an_unknown_product_is_a_404_and_adds_nothing(shop, container):
    reply = shop.staff("PUT", "/staff/products/no-such-ring", replacement_body(ring()))

    assert_error(reply, 404, "NOT_FOUND")
    assert container.products.get("no-such-ring") is None


def test_retiring_a_product_hides_it_from_customers(shop):
    reply = shop.staff("PUT", "/staff/products/signet-ring", replacement_body(ring(), active=False))

    assert reply.status == 200, reply.raw
    assert reply.json["active"] is False
    assert shop.call("GET", "/products/signet-ring", as_user=None).status == 404
    refused = shop.call("POST", "/orders", order_body())
    assert refused.status == 422 and refused.json["error"]["code"] == "UNKNOWN_PRODUCT"


# ---------------------------------------------------------------------------- invalid bodies

BAD_PATTERN = {
    **ring().customization.model_dump(mode="json"),
    "expression": {"kind": "text", "max_length": 12, "allowed_pattern": "^[A-Z"},
}
INVALID = pytest.mark.parametrize(
    "changes",
    [
        {"price_cents": -100},
        {"price_cents": "12.90"},
        {"colour": "gold"},
        {"customization": BAD_PATTERN},
        {"currency": "EUR"},
    ],
    ids=["negative price", "price not integer cents", "unknown field", "bad pattern", "currency"],
)


@INVALID
def test_an_invalid_new_product_is_a_422_and_nothing_is_stored(shop, container, changes):
    body = {**product_body(charm()), **changes}
    reply = shop.staff("POST", "/staff/products", body)

    error = assert_error(reply, 422, "VALIDATION_FAILED")
    assert error["details"]
    assert container.products.get("bear-charm") is None


@INVALID
def test_an_invalid_replacement_is_a_422_and_the_product_stays(shop, container, changes):
    body = replacement_body(ring(), **changes)
    reply = shop.staff("PUT", "/staff/products/signet-ring", body)

    assert_error(reply, 422, "VALIDATION_FAILED")
    assert container.products.get("signet-ring") == ring()


def test_an_invalid_product_id_is_a_422(shop, container):
    body = product_body(charm(product_id="bear-charm")) | {"product_id": "Bear Charm!"}
    reply = shop.staff("POST", "/staff/products", body)

    assert_error(reply, 422, "VALIDATION_FAILED")
    listed = shop.staff("GET", "/staff/products").json["items"]
    assert [p["product_id"] for p in listed] == ["signet-ring"]


# ---------------------------------------------------------------------------- the cache


def test_an_edit_made_in_another_container_is_ordered_within_the_catalog_max_age(
    shop, container, clock
):
    assert shop.call("GET", "/products/signet-ring", as_user=None).json["price_cents"] == 12900
    other = bootstrap.Container(settings=container.settings)  # another staff_api container
    other.products.save(ring(price_cents=19900))

    clock.advance((bootstrap.CATALOG_MAX_AGE - timedelta(seconds=1)).total_seconds())
    assert shop.call("GET", "/products/signet-ring", as_user=None).json["price_cents"] == 12900
    clock.advance(seconds=1)
    assert shop.call("GET", "/products/signet-ring", as_user=None).json["price_cents"] == 19900
    assert shop.call("POST", "/orders", order_body()).json["amounts"]["product_cents"] == 19900
