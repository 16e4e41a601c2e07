"""Integration tests: the real adapters and handlers against moto, with the resources and
environment read from template.yaml exactly as the local stack reads them."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from atelier import bootstrap
from atelier.clock import FixedClock
from atelier.observability import metrics
from infra.local import emulation
from infra.local.cfn import Resolver, StackContext, load_template_file, parameter_values
from infra.local.gateway import Gateway
from infra.local.messages import HttpRequest
from infra.local.resources import create_resources
from infra.local.runtime import FunctionHost
from infra.local.template import StackModel, local_environment_overrides, read_stack
from infra.local.tokens import issue_token
from tests.factories import MONDAY_10AM

ROOT = Path(__file__).resolve().parents[2]
# Two signing secrets, as during a rotation: the old one first.
OLD_WEBHOOK_SECRET, WEBHOOK_SECRET = "whsec_old", "whsec_current"
WEBHOOK_SECRETS = f"{OLD_WEBHOOK_SECRET},{WEBHOOK_SECRET}"


# moto as the local stack runs it (journaled transactions, request tokens, stream retention,
# fast answers), with every fast answer also written moto's way and compared.
emulation.install()
emulation.SHADOW = True


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY_10AM)


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, clock: FixedClock) -> Iterator[StackModel]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        template = load_template_file(ROOT / "template.yaml")
        resolver = Resolver(template, StackContext(), parameter_values(template, {}))
        overrides = local_environment_overrides("http://127.0.0.1:3000", WEBHOOK_SECRETS)
        model = read_stack(template, resolver, ROOT, overrides)
        create_resources(model.resources, resolver, endpoint_url=None)  # type: ignore[arg-type]
        environment, _ = model.environment_union()
        environment.update(overrides)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        bootstrap.reset()
        bootstrap.set_clock(clock)
        # With POWERTOOLS_METRICS_DISABLED, powertools never clears its metric set, and at 100
        # distinct names it flushes on its own and fails (no namespace read at import here):
        # in Lambda each invocation flushes. Start every test with an empty set.
        metrics.clear_metrics()
        yield model
        bootstrap.reset()
        bootstrap.set_clock(bootstrap.SystemClock())


@pytest.fixture
def container(stack: StackModel) -> bootstrap.Container:
    return bootstrap.get_container()


@pytest.fixture
def counted(container: bootstrap.Container) -> Counter[str]:
    """DynamoDB requests by operation, as the functions send them (they share the container's
    client here); `clear()` it before the step to count."""
    calls: Counter[str] = Counter()

    def count(model: Any, **kwargs: Any) -> None:
        calls[model.name] += 1

    container.dynamodb.meta.events.register("before-call.dynamodb", count)
    return calls


class Api:
    """Requests through the emulated API Gateway (routing, JWT authorizer, payload v2 event)
    into the real handlers, in-process: what the local stack does, minus the socket."""

    SECRET = "integration-secret"

    def __init__(self, stack: StackModel, clock: FixedClock) -> None:
        self._clock = clock
        self._gateway = Gateway(
            stack.routes,
            stack.apis,
            stack.functions,
            FunctionHost(stack.functions),
            clock,
            self.SECRET,
        )

    def token(self, sub: str = "cust-a", groups: tuple[str, ...] = ()) -> str:
        return issue_token(
            self.SECRET, sub=sub, email=f"{sub}@example.com", groups=groups, now=self._clock.now()
        )

    def call(
        self,
        method: str,
        target: str,
        body: Any = None,
        *,
        as_user: str | None = "cust-a",
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        groups: tuple[str, ...] = (),
    ) -> Reply:
        sent = dict(headers or {})
        if as_user is not None:
            sent["Authorization"] = f"Bearer {self.token(as_user, groups)}"
        payload = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
        if payload:
            sent.setdefault("Content-Type", "application/json")
        response = self._gateway.handle(HttpRequest(method, target, tuple(sent.items()), payload))
        return Reply(response.status, dict(response.headers), response.body)

    def staff(self, method: str, target: str, body: Any = None) -> Reply:
        """A call by a designer (a token in the staff group)."""
        return self.call(method, target, body, as_user="designer-1", groups=("staff",))


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


@pytest.fixture
def api(stack: StackModel, clock: FixedClock) -> Api:
    return Api(stack, clock)


def invoke_schedule(stack: StackModel, function_name: str) -> Any:
    """Run a scheduled function's handler once, as its EventBridge schedule would."""
    function = stack.function_named(function_name)
    assert function is not None and function.schedules, f"{function_name} has no schedule"
    event = {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-30T15:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }
    return FunctionHost(stack.functions).invoke(function, event)
