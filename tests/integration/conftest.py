"""Integration tests: the real adapters and handlers against moto, with the resources and
environment read from template.yaml exactly as the local stack reads them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from atelier import bootstrap
from atelier.clock import FixedClock
from atelier.observability import metrics
from infra.local import emulation
from infra.local.inprocess import ApiClient, Deployment, scheduled_event
from infra.local.runtime import FunctionHost
from infra.local.template import StackModel, local_environment_overrides
from tests.factories import MONDAY_10AM

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
        overrides = local_environment_overrides("http://127.0.0.1:3000", WEBHOOK_SECRETS)
        deployment = Deployment.create(overrides)
        for name, value in deployment.environment.items():
            monkeypatch.setenv(name, value)
        bootstrap.reset()
        bootstrap.set_clock(clock)
        # With POWERTOOLS_METRICS_DISABLED, powertools never clears its metric set, and at 100
        # distinct names it flushes on its own and fails (no namespace read at import here):
        # in Lambda each invocation flushes. Start every test with an empty set.
        metrics.clear_metrics()
        yield deployment.model
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


class Api(ApiClient):
    """Requests through the emulated API Gateway into the real handlers, in-process: what the
    local stack does, minus the socket. The caller is `cust-a` unless `as_user` says."""

    SECRET = "integration-secret"

    def __init__(self, stack: StackModel, clock: FixedClock) -> None:
        super().__init__(stack, FunctionHost(stack.functions), clock, self.SECRET, "cust-a")


@pytest.fixture
def api(stack: StackModel, clock: FixedClock) -> Api:
    return Api(stack, clock)


def invoke_schedule(stack: StackModel, function_name: str) -> Any:
    """Run a scheduled function's handler once, as its EventBridge schedule would."""
    function = stack.function_named(function_name)
    assert function is not None and function.schedules, f"{function_name} has no schedule"
    return FunctionHost(stack.functions).invoke(function, scheduled_event(MONDAY_10AM))
