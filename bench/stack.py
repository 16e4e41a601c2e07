"""The template's stack in this process on moto, as tests/integration/conftest.py builds it:
resources and environment read from template.yaml, requests through the emulated API Gateway
into the real handlers, table stream records and bus events delivered to their functions."""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID

from atelier import bootstrap
from atelier.clock import FixedClock, SystemClock
from bench.env import AWS_ENVIRONMENT, REGION, ROOT, environment
from bench.fixtures import WEBHOOK_SECRET
from bench.meter import Meter
from bench.storage import MotoStorage
from infra.local import emulation
from infra.local.bus import BusDelivery
from infra.local.cfn import Resolver, StackContext, load_template_file, parameter_values
from infra.local.gateway import Gateway
from infra.local.messages import HttpRequest
from infra.local.resources import create_resources
from infra.local.runtime import FunctionHost
from infra.local.streams import StreamDelivery
from infra.local.template import FunctionSpec, local_environment_overrides, read_stack
from infra.local.tokens import issue_token

JWT_SECRET = "bench-secret"  # noqa: S105 - signs the emulated authorizer's tokens
STACK_ENVIRONMENT = {**AWS_ENVIRONMENT, "POWERTOOLS_METRICS_DISABLED": "true"}


@dataclass
class Invocation:
    function: str
    seconds: float
    label: str  # the route (bench.warm's timing names), or the function for other events


def invocation_label(function: FunctionSpec, event: dict[str, Any]) -> str:
    """What bench.warm calls this kind of invocation: the route key, with the variants it
    times separately (an Idempotency-Key, a review's decision)."""
    route = event.get("routeKey")
    if not isinstance(route, str):
        return function.name
    if route == "POST /orders" and "idempotency-key" in (event.get("headers") or {}):
        return f"{route} (Idempotency-Key)"
    if route.endswith("/review"):
        decision = json.loads(event.get("body") or "{}").get("decision")
        return f"{route} {decision}"
    return route


@dataclass
class MeteredHost:
    """FunctionHost's invocations, labelled for the meter and timed (the handler alone: the
    stream and bus deliveries it triggers run after it, as separate invocations).

    Each function gets a container of its own, as in AWS (the local stack shares one between
    all functions in its process): its own clients, caches and idempotency layers."""

    host: FunctionHost
    meter: Meter
    after_invoke: list[Callable[[], None]] = field(default_factory=list)
    invocations: list[Invocation] = field(default_factory=list)
    containers: dict[str, bootstrap.Container] = field(default_factory=dict)

    def invoke(self, function: FunctionSpec, event: dict[str, Any]) -> Any:
        outer = bootstrap._container
        bootstrap._container = self.containers.get(function.name)
        try:
            with self.meter.function(function.name):
                started = time.perf_counter()
                try:
                    return self.host.invoke(function, event)
                finally:
                    elapsed = time.perf_counter() - started
                    label = invocation_label(function, event)
                    self.invocations.append(Invocation(function.name, elapsed, label))
        finally:
            if bootstrap._container is not None:
                self.containers[function.name] = bootstrap._container
            bootstrap._container = outer
            for hook in self.after_invoke:
                hook()

    def counts(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for invocation in self.invocations:
            totals[invocation.function] += 1
        return dict(totals)


@dataclass
class Reply:
    status: int
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Stack:
    """One emulated deployment: call `api`, `staff`, `schedule`; read the meter."""

    def __init__(self, clock: FixedClock, *, deliver_events: bool) -> None:
        self.clock = clock
        overrides = local_environment_overrides("http://127.0.0.1:3000", WEBHOOK_SECRET)
        template = load_template_file(ROOT / "template.yaml")
        resolver = Resolver(template, StackContext(), parameter_values(template, {}))
        self.model = read_stack(template, resolver, ROOT, overrides)
        created = create_resources(self.model.resources, resolver, endpoint_url=None)
        self.tables = {
            r.logical_id: r.physical_name for r in created if r.kind == "AWS::DynamoDB::Table"
        }
        self.buckets = {
            r.logical_id: r.physical_name for r in created if r.kind == "AWS::S3::Bucket"
        }
        variables, _ = self.model.environment_union()
        variables.update(overrides)
        os.environ.update(variables)
        bootstrap.reset()
        bootstrap.set_clock(clock)
        self.meter = Meter(REGION, peek=MotoStorage(REGION).get)
        self.host = MeteredHost(FunctionHost(self.model.functions), self.meter)
        self.host.host.warm_up()
        # Infrastructure clients come from their own session: the meter only sees functions.
        infra = boto3.session.Session(region_name=REGION)
        self.dynamodb = infra.client("dynamodb")
        self.s3 = infra.client("s3")
        if deliver_events:
            pending = emulation.Pending(DEFAULT_ACCOUNT_ID, REGION)
            streams = StreamDelivery(
                self.model.functions,
                self.tables,
                self.dynamodb,
                # botocore resolves an endpoint moto does not serve: name the classic one.
                infra.client(
                    "dynamodbstreams",
                    endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com",
                ),
                REGION,
                pending.stream,
            )
            bus = BusDelivery(
                self.model.functions, infra.client("events"), infra.client("sqs"), pending.queue
            )
            streams.invoker = self.host
            bus.invoker = self.host
            self.host.after_invoke += [streams, bus]
        self.gateway = Gateway(
            self.model.routes,
            self.model.apis,
            self.model.functions,
            self.host,
            clock,
            JWT_SECRET,
        )
        self.api_calls = 0

    @property
    def table(self) -> str:
        return self.tables["AtelierTable"]

    def bucket(self, logical_id: str) -> str:
        return self.buckets[logical_id]

    def function(self, name: str) -> FunctionSpec:
        spec = self.model.function_named(name)
        if spec is None:
            raise LookupError(f"template.yaml has no function {name}")
        return spec

    def call(
        self,
        method: str,
        target: str,
        body: Any = None,
        *,
        user: str | None = "customer-1",
        groups: tuple[str, ...] = (),
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if user is not None:
            token = issue_token(
                JWT_SECRET,
                sub=user,
                email=f"{user}@example.com",
                groups=groups,
                now=self.clock.now(),
            )
            sent["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
        if payload:
            sent.setdefault("Content-Type", "application/json")
        self.api_calls += 1
        response = self.gateway.handle(HttpRequest(method, target, tuple(sent.items()), payload))
        return Reply(response.status, response.body)

    def staff(self, method: str, target: str, body: Any = None) -> Reply:
        return self.call(method, target, body, user="designer-1", groups=("staff",))

    def schedule(self, name: str) -> Any:
        """A scheduled function's run, as its EventBridge schedule starts it."""
        event = {
            "version": "0",
            "id": "00000000-0000-0000-0000-000000000000",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": self.clock.now().isoformat(),
            "region": REGION,
            "resources": [],
            "detail": {},
        }
        return self.host.invoke(self.function(name), event)


@contextmanager
def running_stack(clock: FixedClock, *, deliver_events: bool) -> Iterator[Stack]:
    """A fresh emulated AWS with the template's resources, for the block."""
    emulation.install()
    with environment(STACK_ENVIRONMENT), mock_aws():
        os.environ.pop("AWS_ENDPOINT_URL", None)
        try:
            yield Stack(clock, deliver_events=deliver_events)
        finally:
            bootstrap.reset()
            bootstrap.set_clock(SystemClock())
