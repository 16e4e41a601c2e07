"""The emulated HTTP API: route matching, the payload 2.0 event, the authorizer's answers and
the translation of the function's response, all without a socket."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from atelier.clock import FixedClock
from infra.local.gateway import (
    MAX_BODY_BYTES,
    Gateway,
    InvalidIntegrationResponseError,
    RouteTable,
    build_http_event,
    response_from_result,
)
from infra.local.messages import HttpRequest
from infra.local.template import Cors, FunctionSpec, HttpApiSpec, Route
from infra.local.tokens import issue_token, sign

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 26, 10, 0, 5, tzinfo=UTC)
SECRET = "unit-secret"

CANCEL = Route("POST", "/orders/{order_id}/cancel", "Orders", "Jwt", "Api")
ROUTES = [
    Route("GET", "/products", "Orders", None, "Api"),
    Route("GET", "/products/{product_id}", "Orders", None, "Api"),
    Route("GET", "/products/featured", "Orders", None, "Api"),
    Route("ANY", "/files/{proxy+}", "Orders", None, "Api"),
    Route("GET", "/orders", "Orders", "Jwt", "Api"),
    CANCEL,
]
FUNCTION = FunctionSpec(
    logical_id="Orders",
    name="orders_api",
    function_name="atelier-dev-orders-api",
    arn="arn:aws:lambda:us-east-1:123456789012:function:atelier-dev-orders-api",
    code_dir=Path("functions/orders_api"),
    handler="app.lambda_handler",
    memory_mb=512,
    timeout_s=10,
    environment={},
)
API = HttpApiSpec(
    "Api",
    default_authorizer="Jwt",
    authorizers={"Jwt": {"IdentitySource": "$request.header.Authorization"}},
    cors=Cors(allow_origins=("http://localhost:5173",), allow_methods=("GET", "POST")),
)


class RecordingInvoker:
    def __init__(self, result: Any = None, error: Exception | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self._result = result if result is not None else {"statusCode": 200, "body": "{}"}
        self._error = error

    def invoke(self, function: FunctionSpec, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if self._error is not None:
            raise self._error
        return self._result


def gateway(invoker: RecordingInvoker) -> Gateway:
    return Gateway(ROUTES, {"Api": API}, {"Orders": FUNCTION}, invoker, FixedClock(NOW), SECRET)


def request(
    method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> HttpRequest:
    return HttpRequest(method, target, tuple((headers or {}).items()), body, "10.0.0.7")


def bearer(secret: str = SECRET, groups: tuple[str, ...] = ()) -> dict[str, str]:
    jwt = issue_token(secret, sub="cust-a", email="a@example.com", groups=groups, now=NOW)
    return {"Authorization": f"Bearer {jwt}"}


# ------------------------------------------------------------------ routing


def test_routes_match_on_method_and_path_template() -> None:
    table = RouteTable(ROUTES)
    match = table.match("POST", "/orders/ord_1/cancel")

    assert match is not None
    assert match.route is CANCEL
    assert match.path_parameters == {"order_id": "ord_1"}
    assert table.match("GET", "/orders/ord_1/cancel") is None
    assert table.match("GET", "/orders/ord_1") is None
    assert table.match("GET", "/orders/") is None


def test_a_literal_segment_beats_a_path_variable() -> None:
    table = RouteTable(ROUTES)
    featured = table.match("GET", "/products/featured")
    other = table.match("GET", "/products/lucky-cat-ring")

    assert featured is not None and featured.route.path == "/products/featured"
    assert other is not None and other.path_parameters == {"product_id": "lucky-cat-ring"}


def test_a_greedy_variable_takes_the_rest_of_the_path_for_any_method() -> None:
    match = RouteTable(ROUTES).match("DELETE", "/files/a/b%20c")

    assert match is not None and match.path_parameters == {"proxy": "a/b c"}


# ------------------------------------------------------------------ the event


def build(req: HttpRequest, claims: dict[str, str] | None = None) -> dict[str, Any]:
    match = RouteTable(ROUTES).match(req.method, req.raw_path)
    assert match is not None
    return build_http_event(req, match, now=NOW, request_id="req-1", claims=claims)


def test_the_event_has_the_payload_2_0_fields() -> None:
    event = build(
        request(
            "POST",
            "/orders/ord%5F1/cancel?reason=x",
            {"Host": "127.0.0.1:3000", "User-Agent": "curl/8", "Content-Type": "application/json"},
            b'{"a": 1}',
        ),
        claims={"sub": "cust-a"},
    )

    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /orders/{order_id}/cancel"
    assert event["rawPath"] == "/orders/ord%5F1/cancel"
    assert event["rawQueryString"] == "reason=x"
    assert event["pathParameters"] == {"order_id": "ord_1"}
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False
    assert "stageVariables" not in event
    context = event["requestContext"]
    assert context["routeKey"] == "POST /orders/{order_id}/cancel"
    assert context["stage"] == "$default"
    assert context["requestId"] == "req-1"
    assert context["http"] == {
        "method": "POST",
        "path": "/orders/ord%5F1/cancel",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.7",
        "userAgent": "curl/8",
    }
    assert context["domainName"] == "127.0.0.1"
    assert context["time"] == "26/Nov/2026:10:00:05 +0000"
    assert context["timeEpoch"] == int(NOW.timestamp() * 1000)
    assert context["authorizer"] == {"jwt": {"claims": {"sub": "cust-a"}, "scopes": None}}


def test_repeated_query_keys_and_headers_are_joined_with_commas() -> None:
    req = HttpRequest(
        "GET",
        "/products?tag=a&tag=b&q=rose+gold&empty=",
        (("X-Tag", "one"), ("x-tag", "two"), ("Accept", "application/json")),
    )
    event = build(req)

    assert event["queryStringParameters"] == {"tag": "a,b", "q": "rose gold", "empty": ""}
    assert event["headers"]["x-tag"] == "one,two"
    assert event["headers"]["accept"] == "application/json"
    assert event["headers"]["x-forwarded-proto"] == "http"


def test_cookies_leave_the_headers_for_the_cookies_list() -> None:
    event = build(request("GET", "/products", {"Cookie": "a=1; b=2"}))

    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]


def test_a_public_request_without_body_or_query_omits_those_fields() -> None:
    event = build(request("GET", "/products"))

    assert event["isBase64Encoded"] is False
    for absent in ("body", "queryStringParameters", "pathParameters", "cookies"):
        assert absent not in event
    assert "authorizer" not in event["requestContext"]


def test_a_body_that_is_not_utf8_is_base64_encoded() -> None:
    raw = b"\x89PNG\r\n\x1a\n\xff\x00"
    event = build(request("POST", "/orders/o/cancel", body=raw))

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


# ------------------------------------------------------------------ the gateway


def test_an_unknown_route_is_api_gateways_404() -> None:
    invoker = RecordingInvoker()
    response = gateway(invoker).handle(request("GET", "/nowhere"))

    assert response.status == 404
    assert json.loads(response.body) == {"message": "Not Found"}
    assert invoker.events == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not.a.jwt"},
        bearer(secret="forged"),
    ],
    ids=["missing", "malformed", "forged"],
)
def test_a_protected_route_without_a_valid_token_is_401_and_the_function_never_runs(
    headers: dict[str, str],
) -> None:
    invoker = RecordingInvoker()
    response = gateway(invoker).handle(request("GET", "/orders", headers))

    assert response.status == 401
    assert json.loads(response.body) == {"message": "Unauthorized"}
    assert invoker.events == []


def test_a_valid_token_reaches_the_function_as_string_claims() -> None:
    invoker = RecordingInvoker()
    response = gateway(invoker).handle(request("GET", "/orders", bearer(groups=("staff",))))

    assert response.status == 200
    claims = invoker.events[0]["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["sub"] == "cust-a"
    assert claims["cognito:groups"] == "[staff]"
    assert isinstance(claims["exp"], str)


def test_a_function_that_raises_is_api_gateways_500_with_the_traceback_on_the_console(
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = gateway(RecordingInvoker(error=RuntimeError("boom"))).handle(
        request("GET", "/products")
    )

    assert response.status == 500
    assert json.loads(response.body) == {"message": "Internal Server Error"}
    assert any(
        record.exc_info is not None and "boom" in str(record.exc_info[1])
        for record in caplog.records
    )


def test_a_body_over_10_mb_is_413() -> None:
    invoker = RecordingInvoker()
    response = gateway(invoker).handle(
        request("POST", "/orders/o/cancel", bearer(), b"x" * (MAX_BODY_BYTES + 1))
    )

    assert response.status == 413
    assert json.loads(response.body) == {"message": "Request Entity Too Large"}
    assert invoker.events == []


def test_a_cors_preflight_is_answered_by_the_gateway() -> None:
    invoker = RecordingInvoker()
    response = gateway(invoker).handle(
        request(
            "OPTIONS",
            "/orders",
            {"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"},
        )
    )

    assert response.status == 204
    assert response.header("access-control-allow-origin") == "http://localhost:5173"
    assert invoker.events == []


def test_responses_to_an_allowed_origin_carry_cors_headers() -> None:
    response = gateway(RecordingInvoker()).handle(
        request("GET", "/products", {"Origin": "http://localhost:5173"})
    )
    elsewhere = gateway(RecordingInvoker()).handle(
        request("GET", "/products", {"Origin": "https://evil.example"})
    )

    assert response.header("access-control-allow-origin") == "http://localhost:5173"
    assert elsewhere.header("access-control-allow-origin") is None


# ------------------------------------------------------------------ the response


def test_a_full_response_becomes_http() -> None:
    response = response_from_result(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "Content-Length": "999"},
            "multiValueHeaders": {"X-Multi": ["a", "b"]},
            "cookies": ["session=1; HttpOnly"],
            "body": '{"ok": true}',
        }
    )

    assert response.status == 201
    assert response.body == b'{"ok": true}'
    assert ("X-Multi", "a") in response.headers and ("X-Multi", "b") in response.headers
    assert ("set-cookie", "session=1; HttpOnly") in response.headers
    assert response.header("content-length") is None  # the server counts the real body


def test_a_base64_response_body_is_decoded() -> None:
    response = response_from_result(
        {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    )

    assert response.body == b"\x00\x01"


def test_a_return_value_without_status_code_is_a_json_200() -> None:
    response = response_from_result({"hello": "world"})

    assert response.status == 200
    assert json.loads(response.body) == {"hello": "world"}
    assert response.header("content-type") == "application/json"


@pytest.mark.parametrize(
    "result",
    [{"statusCode": "200"}, {"statusCode": 42}, {"statusCode": 200, "body": {"not": "text"}}],
)
def test_an_invalid_response_is_refused(result: dict[str, Any]) -> None:
    with pytest.raises(InvalidIntegrationResponseError):
        response_from_result(result)


def test_every_response_carries_an_apigw_request_id() -> None:
    response = gateway(RecordingInvoker()).handle(request("GET", "/nowhere"))

    assert response.header("apigw-requestid")


# ------------------------------------------------------------------ refused tokens on the console


def _refusal_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "local_stack" and r.levelno >= logging.INFO and "401" in r.getMessage()
    ]


def _signed(claims: dict[str, Any], secret: str = SECRET) -> str:
    return sign(claims, secret)


EXP = int(NOW.timestamp()) + 3600
REFUSALS = {
    "no token": ({}, "no token"),
    "expired": (
        {"Authorization": f"Bearer {_signed({'sub': 'ada-1', 'exp': int(NOW.timestamp()) - 60})}"},
        "expired",
    ),
    "bad signature": (
        {"Authorization": f"Bearer {_signed({'sub': 'ada-1', 'exp': EXP}, 'other-secret')}"},
        "bad signature",
    ),
    "malformed": ({"Authorization": "Bearer not-a-jwt"}, "malformed"),
    "unsigned": ({"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."}, "HS256"),
    "no exp": ({"Authorization": f"Bearer {_signed({'sub': 'ada-1'})}"}, "exp"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_P6_a_refused_token_is_a_bare_401_and_the_console_says_why(
    caplog: pytest.LogCaptureFixture, case: str
) -> None:
    """P6: the client learns only "Unauthorized"; the developer's console says why, without
    the token or any personal claim."""
    headers, reason = REFUSALS[case]
    caplog.set_level(logging.INFO, logger="local_stack")
    invoker = RecordingInvoker()
    response = gateway(invoker).handle(request("GET", "/orders", headers))
    assert response.status == 401
    assert json.loads(response.body) == {"message": "Unauthorized"}
    assert invoker.events == []
    lines = _refusal_lines(caplog)
    assert len(lines) == 1, caplog.records
    assert "GET /orders" in lines[0]
    assert reason in lines[0]
    token = headers.get("Authorization", "Bearer -").split()[-1]
    for secret_part in token.split("."):
        assert len(secret_part) < 8 or secret_part not in lines[0]
    assert "ada-1" not in lines[0]


def test_P6_a_token_without_sub_is_accepted_as_api_gateway_does_and_the_console_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """API Gateway's JWT authorizer does not require `sub`; the function refuses it. The
    console says so, so a developer knows where the 401 comes from."""
    caplog.set_level(logging.INFO, logger="local_stack")
    token = _signed({"email": "ada@example.com", "exp": EXP})
    invoker = RecordingInvoker()
    gateway(invoker).handle(request("GET", "/orders", {"Authorization": f"Bearer {token}"}))
    assert len(invoker.events) == 1
    lines = [r.getMessage() for r in caplog.records if "sub" in r.getMessage()]
    assert lines and "no sub" in lines[0]
    assert "ada@example.com" not in " ".join(lines)
