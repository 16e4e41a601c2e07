"""orders_api through the emulated API Gateway, against moto: browse, order, read, cancel."""

import json

import pytest

from atelier.domain.terms import CURRENT_TERMS
from tests.factories import charm, order_body, ring


@pytest.fixture
def catalog(container):
    container.products.save(ring())
    container.products.save(charm())
    container.products.save(ring(product_id="retired-ring", active=False))
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


# ---------------------------------------------------------------------------- catalog


def test_P5_the_catalog_publishes_each_products_customization_range(api, catalog):
    reply = api.call("GET", "/products", as_user=None)
    assert reply.status == 200
    items = reply.json["items"]
    assert [p["product_id"] for p in items] == ["bear-charm", "signet-ring"]
    ring_view = items[1]
    assert ring_view["price_cents"] == 12900 and ring_view["currency"] == "USD"
    assert ring_view["sizes"] == ["5", "6", "7", "8", "9"]
    assert ring_view["customization"]["expression"] == {
        "kind": "text",
        "max_length": 12,
        "allowed_pattern": "^[A-Za-z0-9 .&'-]*$",
    }
    assert ring_view["customization"]["fixed"]["material"] == "sterling silver 925"
    assert reply.json["next_cursor"] is None


def test_the_catalog_pages_with_an_opaque_cursor(api, catalog):
    first = api.call("GET", "/products?limit=1", as_user=None).json
    second = api.call("GET", f"/products?limit=1&cursor={first['next_cursor']}", as_user=None)
    assert [p["product_id"] for p in first["items"] + second.json["items"]] == [
        "bear-charm",
        "signet-ring",
    ]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=ten", "cursor=bogus"])
def test_bad_paging_is_a_422(api, catalog, query):
    assert_error(api.call("GET", f"/products?{query}", as_user=None), 422)


def test_a_product_by_id_and_an_unknown_or_retired_one(api, catalog):
    assert api.call("GET", "/products/bear-charm", as_user=None).json["name"] == "Little Bear Charm"
    assert_error(api.call("GET", "/products/nope", as_user=None), 404, "NOT_FOUND")
    assert_error(api.call("GET", "/products/retired-ring", as_user=None), 404, "NOT_FOUND")


def test_P6_terms_publish_the_version_an_order_must_accept(api, catalog):
    reply = api.call("GET", "/terms", as_user=None)
    assert reply.json == {"version": CURRENT_TERMS.version, "text": CURRENT_TERMS.text}
    assert "jointly" in reply.json["text"]


def test_the_openapi_document_is_served_and_lists_the_routes(api, catalog):
    reply = api.call("GET", "/openapi.json", as_user=None)
    assert reply.status == 200
    document = reply.json
    assert {"/orders", "/orders/{order_id}/cancel", "/products"} <= set(document["paths"])
    assert "HTTPValidationError" not in json.dumps(document)


# ---------------------------------------------------------------------------- ordering


def test_P2_P3_P4_placing_an_order_answers_201_with_server_computed_amounts(api, catalog, clock):
    reply = api.call("POST", "/orders", order_body())
    assert reply.status == 201, reply.raw
    order = reply.json
    assert reply.headers["Location"] == f"/orders/{order['order_id']}"
    assert order["status"] == "PENDING_PAYMENT"
    assert order["amounts"] == {
        "product_cents": 12900,
        "customization_fee_cents": 1000,
        "surcharge_cents": 0,
        "total_cents": 13900,
        "paid_cents": 0,
        "refunded_cents": 0,
        "currency": "USD",
    }
    assert order["created_at"] == "2026-11-30T15:00:00Z"
    assert order["payment_due_at"] == "2026-12-01T15:00:00Z"
    assert order["review"] == {"required": False, "reasons": [], "surcharge": None}
    assert order["checkout"]["provider"] == "sandbox"
    assert order["checkout"]["url"].endswith(order["checkout"]["session_id"])
    assert order["customization"] == {
        "style": "oval",
        "color": "gold",
        "expression": "A & J",
        "remarks": None,
    }
    assert "contact" not in order and "customer_id" not in order

    read = api.call("GET", f"/orders/{order['order_id']}")
    assert read.json == order


def test_P5_an_out_of_range_request_is_accepted_for_review(api, catalog):
    body = order_body(
        customization={"style": "heart", "expression": "x" * 20, "remarks": "Make it\nshiny"}
    )
    reply = api.call("POST", "/orders", body)
    assert reply.status == 201, reply.raw
    review = reply.json["review"]
    assert review["required"] is True
    assert [(r["field"], r["code"]) for r in review["reasons"]] == [
        ("style", "STYLE_NOT_OFFERED"),
        ("expression", "ENGRAVING_TOO_LONG"),
        ("remarks", "REMARKS_NEED_REVIEW"),
    ]


def test_a_customer_lists_only_their_own_orders_newest_first(api, catalog, clock):
    first = api.call("POST", "/orders", order_body()).json["order_id"]
    clock.advance(minutes=5)
    second = api.call("POST", "/orders", order_body()).json["order_id"]
    api.call("POST", "/orders", order_body(), as_user="cust-b")
    listed = api.call("GET", "/orders").json
    assert [o["order_id"] for o in listed["items"]] == [second, first]
    assert listed["next_cursor"] is None


def test_another_customers_order_is_a_404_for_read_and_cancel(api, catalog):
    order_id = api.call("POST", "/orders", order_body()).json["order_id"]
    assert_error(api.call("GET", f"/orders/{order_id}", as_user="cust-b"), 404)
    assert_error(api.call("POST", f"/orders/{order_id}/cancel", as_user="cust-b"), 404)
    assert api.call("GET", f"/orders/{order_id}").json["status"] == "PENDING_PAYMENT"


def test_cancel_while_pending_then_again_is_a_409(api, catalog):
    order_id = api.call("POST", "/orders", order_body()).json["order_id"]
    cancelled = api.call("POST", f"/orders/{order_id}/cancel")
    assert cancelled.status == 200
    assert cancelled.json["status"] == "CANCELLED"
    assert cancelled.json["checkout"] is None
    assert_error(api.call("POST", f"/orders/{order_id}/cancel"), 409, "ORDER_NOT_CANCELLABLE")


def test_P3_an_order_past_its_deadline_reads_expired_and_cannot_be_cancelled(api, catalog, clock):
    order_id = api.call("POST", "/orders", order_body()).json["order_id"]
    clock.advance(hours=24, seconds=1)
    read = api.call("GET", f"/orders/{order_id}").json
    assert read["status"] == "EXPIRED"
    assert read["checkout"] is None
    assert_error(api.call("POST", f"/orders/{order_id}/cancel"), 409, "ORDER_NOT_CANCELLABLE")


# ---------------------------------------------------------------------------- bad input

BAD_BODIES = {
    "unknown product": (order_body(product_id="nope"), "UNKNOWN_PRODUCT"),
    "retired product": (order_body(product_id="retired-ring"), "UNKNOWN_PRODUCT"),
    "empty customization": (order_body(customization={"style": " ", "remarks": ""}), None),
    "missing size for a ring": (order_body(size=None), "SIZE_REQUIRED"),
    "size not offered": (order_body(size="13"), "SIZE_NOT_OFFERED"),
    "size for a charm": (
        order_body(product_id="bear-charm", customization={"expression": "smiling"}),
        "SIZE_NOT_APPLICABLE",
    ),
    "engraving with a control character": (
        order_body(customization={"expression": "A\u0007J"}),
        "VALIDATION_FAILED",
    ),
    "engraving with a bidi override": (
        order_body(customization={"expression": "\u202eJA"}),
        "VALIDATION_FAILED",
    ),
    "1 MB of remarks": (order_body(customization={"remarks": "x" * 1_000_000}), None),
    "client-sent price_cents": (order_body(price_cents=1), "VALIDATION_FAILED"),
    "client-sent status": (order_body(status="IN_PRODUCTION"), "VALIDATION_FAILED"),
    "client-sent customer_id": (order_body(customer_id="cust-b"), "VALIDATION_FAILED"),
    "client-sent total in customization": (
        order_body(customization={"style": "oval", "total_cents": 1}),
        "VALIDATION_FAILED",
    ),
    "wrong type for size": (order_body(size=7), "VALIDATION_FAILED"),
    "customization not an object": (order_body(customization="oval"), "VALIDATION_FAILED"),
    "missing contact email": (
        order_body(contact={"name": "Ada"}),
        "VALIDATION_FAILED",
    ),
    "malformed email": (
        order_body(contact={"name": "Ada", "email": "not-an-email"}),
        "VALIDATION_FAILED",
    ),
    "P6 missing terms": (
        {k: v for k, v in order_body().items() if k != "accept_terms_version"},
        "VALIDATION_FAILED",
    ),
    "P6 older terms": (order_body(accept_terms_version="2025-01-01"), "TERMS_NOT_ACCEPTED"),
    "a JSON array": ([1, 2], "VALIDATION_FAILED"),
}


@pytest.mark.parametrize("case", BAD_BODIES, ids=list(BAD_BODIES))
def test_bad_order_requests_get_a_422_and_change_nothing(api, catalog, case):
    body, code = BAD_BODIES[case]
    reply = api.call("POST", "/orders", body)
    error = assert_error(reply, 422, code)
    assert order_count(catalog) == 0
    assert "x" * 100 not in json.dumps(error), "input must not be echoed back"


def test_malformed_json_is_a_400(api, catalog):
    reply = api.call("POST", "/orders", raw=b'{"product_id": "signet-ring",')
    assert_error(reply, 400, "MALFORMED_JSON")
    assert order_count(catalog) == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "multipart/form-data",  # no boundary: powertools raised ValueError (BUG-415)
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
    ],
)
def test_a_body_sent_as_anything_but_json_is_a_415_and_changes_nothing(api, catalog, content_type):
    body = json.dumps(order_body()).encode()
    reply = api.call("POST", "/orders", raw=body, headers={"Content-Type": content_type})
    assert_error(reply, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert "application/json" in reply.json["error"]["message"]
    assert order_count(catalog) == 0


def test_a_body_less_post_may_carry_any_content_type(api, catalog):
    """HTML forms and some clients send a form Content-Type on an empty POST."""
    placed = api.call("POST", "/orders", order_body())
    assert placed.status == 201
    oid = placed.json["order_id"]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    reply = api.call("POST", f"/orders/{oid}/cancel", raw=b"", headers=form)
    assert reply.status == 200, reply.json
    assert reply.json["status"] == "CANCELLED"


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
def test_json_with_parameters_or_in_another_case_is_json(api, catalog, content_type):
    body = json.dumps(order_body()).encode()
    reply = api.call("POST", "/orders", raw=body, headers={"Content-Type": content_type})
    assert reply.status == 201, reply.json


@pytest.mark.parametrize("authorization", [None, "Bearer not.a.jwt", "Basic abc"])
def test_missing_or_malformed_token_gets_api_gateways_own_401(api, catalog, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    reply = api.call("POST", "/orders", order_body(), as_user=None, headers=headers)
    assert reply.status == 401
    assert reply.json == {"message": "Unauthorized"}
    assert order_count(catalog) == 0


def test_a_forged_token_gets_a_401(api, catalog):
    token = api.token("cust-a")
    header, payload, _ = token.split(".")
    forged = f"{header}.{payload}.AAAA"
    reply = api.call("GET", "/orders", as_user=None, headers={"Authorization": f"Bearer {forged}"})
    assert reply.status == 401 and reply.json == {"message": "Unauthorized"}


def test_a_dependency_failure_is_a_503_with_retry_after_and_changes_nothing(
    api, catalog, monkeypatch
):
    from botocore.exceptions import ClientError

    client = catalog.dynamodb

    def throttled(*args, **kwargs):
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "slow down"}},
            "TransactWriteItems",
        )

    monkeypatch.setattr(client, "transact_write_items", throttled)
    reply = api.call("POST", "/orders", order_body())
    assert_error(reply, 503, "SERVICE_UNAVAILABLE")
    assert reply.headers["Retry-After"] == "2"
    assert order_count(catalog) == 0


def test_an_unexpected_error_is_a_500_with_a_correlation_id_and_no_personal_data_logged(
    api, catalog, monkeypatch, caplog
):
    email = "ada@example.com"

    def broken(product_id):
        raise RuntimeError(f"boom for {email}")

    monkeypatch.setattr(catalog.products, "get", broken)
    reply = api.call("POST", "/orders", order_body())
    error = assert_error(reply, 500, "INTERNAL_ERROR")
    assert error["details"]["correlation_id"]
    assert "Traceback" not in reply.raw.decode() and email not in reply.raw.decode()
    logged = " ".join(str(vars(record)) for record in caplog.records)
    assert "RuntimeError" in logged
    assert email not in logged


# ---------------------------------------------------------------------------- idempotency


def test_the_same_idempotency_key_replays_the_first_order(api, catalog):
    headers = {"Idempotency-Key": "key-1"}
    first = api.call("POST", "/orders", order_body(), headers=headers)
    again = api.call("POST", "/orders", order_body(), headers=headers)
    assert first.status == again.status == 201
    assert again.json == first.json
    assert order_count(catalog) == 1


def test_the_same_key_with_another_body_is_a_409(api, catalog):
    headers = {"Idempotency-Key": "key-1"}
    api.call("POST", "/orders", order_body(), headers=headers)
    other = api.call("POST", "/orders", order_body(size="8"), headers=headers)
    assert_error(other, 409, "IDEMPOTENCY_KEY_REUSED")
    assert order_count(catalog) == 1


def test_idempotency_keys_are_scoped_to_the_customer(api, catalog):
    headers = {"Idempotency-Key": "shared-key"}
    mine = api.call("POST", "/orders", order_body(), headers=headers)
    theirs = api.call("POST", "/orders", order_body(), headers=headers, as_user="cust-b")
    assert theirs.status == 201
    assert theirs.json["order_id"] != mine.json["order_id"]
    assert order_count(catalog, "cust-b") == 1


def test_a_refused_request_is_not_remembered_under_its_key(api, catalog):
    headers = {"Idempotency-Key": "key-2"}
    refused = api.call("POST", "/orders", order_body(size="13"), headers=headers)
    assert refused.status == 422
    retried = api.call("POST", "/orders", order_body(size="13"), headers=headers)
    assert retried.status == 422
    assert order_count(catalog) == 0


def test_a_fresh_checkout_while_30_minutes_remain_then_409(api, catalog, clock):
    order = api.call("POST", "/orders", order_body()).json
    renewed = api.call("POST", f"/orders/{order['order_id']}/checkout")
    assert renewed.status == 200, renewed.raw
    assert renewed.json["checkout"]["session_id"] != order["checkout"]["session_id"]
    clock.advance(hours=23, minutes=31)
    late = api.call("POST", f"/orders/{order['order_id']}/checkout")
    assert_error(late, 409, "PAYMENT_WINDOW_CLOSING")
    assert_error(api.call("POST", f"/orders/{order['order_id']}/checkout", as_user="cust-b"), 404)


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,  # deep enough to exhaust the parser's stack
        b'{"product_id": ' + b"9" * 5000 + b"}",  # longer than Python converts
        '{"product_id": "é"}'.encode("utf-16"),  # not UTF-8: the gateway base64s it
    ],
    ids=["deep nesting", "huge integer", "utf-16"],
)
def test_unreadable_bodies_are_a_400_not_a_crash(api, catalog, raw):
    reply = api.call("POST", "/orders", raw=raw, headers={"Content-Type": "application/json"})
    assert_error(reply, 400, "MALFORMED_JSON")
    assert order_count(catalog) == 0


@pytest.mark.parametrize("email", ["ada\u202e@example.com", "ada@exa\u200bmple.com"])
def test_format_characters_in_the_email_are_refused(api, catalog, email):
    body = order_body(contact={"name": "Ada", "email": email})
    assert_error(api.call("POST", "/orders", body), 422, "VALIDATION_FAILED")
