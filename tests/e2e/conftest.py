"""The local stack, started once per test session as `make run` starts it (on free ports),
and the small HTTP client the e2e tests speak to it with."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from infra.local.launcher import ROOT, RunningStack, StackFailed, start_stack
from tests.factories import order_body

__all__ = [
    "ROOT",
    "RunningStack",
    "call",
    "pay_in_sandbox",
    "place_ring",
    "stack",
    "token_for",
]

STARTUP_TIMEOUT_S = 60
CATALOG = json.loads((ROOT / "infra" / "seed" / "catalog.json").read_text())


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    try:
        running = start_stack(STARTUP_TIMEOUT_S)
    except StackFailed as failed:
        pytest.fail(str(failed))
    yield running
    try:
        exit_code = running.stop()
    except StackFailed as failed:
        pytest.fail(str(failed))
    assert exit_code == 0, f"the local stack exited with {exit_code}:\n{running.output}"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


def call(
    stack: RunningStack,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    sent = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(stack.base_url + path, data, sent, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local URL
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers, error.read())


def place_ring(stack: RunningStack, token: str, **overrides: Any) -> Reply:
    """POST /orders for the ring (`tests/factories.order_body` with `overrides`), accepting
    the terms version the stack publishes."""
    terms = call(stack, "GET", "/terms").json["version"]
    body = order_body(**{"accept_terms_version": terms, **overrides})
    return call(stack, "POST", "/orders", body, token=token)


def pay_in_sandbox(stack: RunningStack, order: dict[str, Any], action: str = "pay") -> Reply:
    """The sandbox pay page's button for the order's checkout: pay, or pay the wrong amount."""
    path = order["checkout"]["url"].removeprefix(stack.base_url)
    return call(stack, "POST", path, {"action": action}, headers={"Accept": "application/json"})


def token_for(stack: RunningStack, sub: str, *groups: str) -> str:
    reply = call(
        stack,
        "POST",
        "/_local/token",
        {"sub": sub, "email": f"{sub}@example.com", "groups": list(groups)},
    )
    assert reply.status == 200, reply.raw
    return str(reply.json["token"])
