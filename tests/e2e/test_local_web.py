"""The local stack's web side over HTTP: the apps at /shop/ and /console/ as CloudFront serves
them (SPA fallback, security headers, run-time config.json), and the local sign-in page that
stands in for Cognito's managed login."""

from __future__ import annotations

import http.client
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest

from infra.local import webapps
from tests.e2e.conftest import RunningStack, call

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def built() -> None:
    webapps.ensure_built()  # a no-op when web/*/dist is fresh (the browser tests built it)


def raw(
    stack: RunningStack,
    method: str,
    path: str,
    body: str = "",
    headers: dict[str, str] | None = None,
) -> http.client.HTTPResponse:
    """One request, redirects not followed (urllib would follow the sign-in's 303)."""
    target = urlsplit(stack.base_url)
    connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
    sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    connection.request(method, path, body.encode() if body else None, sent)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_the_shop_is_served_with_a_strict_policy_and_any_path_under_it_is_the_app(
    stack: RunningStack, built: None
) -> None:
    index = call(stack, "GET", "/shop/")
    deep = call(stack, "GET", "/shop/orders/ord_123")
    assert index.status == deep.status == 200
    assert index.raw == deep.raw and b'<div id="root">' in index.raw
    policy = index.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert index.headers["x-content-type-options"] == "nosniff"
    assert index.headers["x-frame-options"] == "DENY"
    assert call(stack, "GET", "/shop/assets/missing.js").status == 404
    assert raw(stack, "GET", "/console").getheader("location") == "/console/"


def test_each_app_reads_its_sign_in_settings_at_run_time(stack: RunningStack) -> None:
    config: Any = call(stack, "GET", "/console/config.json").json
    assert config["auth"] == {
        "kind": "local",
        "signInUrl": "/_local/signin",
        "signOutUrl": "/_local/signout",
    }


def test_the_local_sign_in_returns_a_working_token_in_the_fragment(stack: RunningStack) -> None:
    page = call(stack, "GET", "/_local/signin?app=shop&return=/shop/orders")
    assert page.status == 200 and b"Sign in to the storefront" in page.raw
    answer = raw(
        stack,
        "POST",
        "/_local/signin?app=shop",
        "return=/shop/orders&role=customer&sub=web-signin-1&email=web%40example.com",
    )
    assert answer.status == 303
    location = answer.getheader("location") or ""
    path, _, fragment = location.partition("#local_token=")
    assert path == "/shop/orders"
    orders = call(stack, "GET", "/orders", token=unquote(fragment))
    assert orders.status == 200, orders.raw

    # Like Cognito's session: the next visit returns at once, with a fresh token.
    cookie = (answer.getheader("set-cookie") or "").split(";", 1)[0]
    again = raw(stack, "GET", "/_local/signin?app=shop&return=/shop/", headers={"Cookie": cookie})
    assert again.status == 303 and "#local_token=" in (again.getheader("location") or "")
    switching = raw(
        stack,
        "GET",
        "/_local/signin?app=shop&return=/shop/&prompt=login",
        headers={"Cookie": cookie},
    )
    assert switching.status == 200


def test_staff_signed_in_locally_reach_the_staff_routes(stack: RunningStack) -> None:
    answer = raw(
        stack,
        "POST",
        "/_local/signin?app=console",
        "return=/console/&role=staff&sub=web-staff-1&email=staff%40example.com",
    )
    token = unquote((answer.getheader("location") or "").partition("#local_token=")[2])
    queue = call(stack, "GET", "/staff/orders?status=IN_REVIEW", token=token)
    assert queue.status == 200, queue.raw


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/console/", "/shop/\r\nSet-Cookie: a=b"],
)
def test_the_sign_in_only_returns_inside_the_app_that_asked(
    stack: RunningStack, target: str
) -> None:
    answer = raw(
        stack,
        "POST",
        "/_local/signin?app=shop",
        f"return={quote(target)}&role=customer&sub=web-signin-2&email=a%40example.com",
    )
    assert (answer.getheader("location") or "").startswith("/shop/#local_token=")


def test_a_bad_user_id_is_refused_on_the_form(stack: RunningStack) -> None:
    answer = raw(
        stack, "POST", "/_local/signin?app=shop", "return=/shop/&role=customer&sub=a+b&email=x"
    )
    assert answer.status == 422
