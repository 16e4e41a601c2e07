"""The template's stack in this process on moto, as tests/integration/conftest.py builds it:
resources and environment read from template.yaml, requests through the emulated API Gateway
into the real handlers, table stream records and bus events delivered to their functions."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID

from atelier import bootstrap
from atelier.clock import FixedClock, SystemClock
from bench.env import AWS_ENVIRONMENT, REGION, environment
from bench.fixtures import WEBHOOK_SECRET
from bench.meter import Meter
from bench.storage import MotoStorage
from infra.local import emulation
from infra.local.bus import BusDelivery
from infra.local.inprocess import ApiClient, Deployment, scheduled_event, streams_client
from infra.local.runtime import FunctionHost
from infra.local.streams import StreamDelivery
from infra.local.template import FunctionSpec, local_environment_overrides

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


class Stack:
    """One emulated deployment: `call` and `staff` (the API client's), `schedule`; read the
    meter."""

    def __init__(self, clock: FixedClock, *, deliver_events: bool) -> None:
        self.clock = clock
        deployment = Deployment.create(
            local_environment_overrides("http://127.0.0.1:3000", WEBHOOK_SECRET)
        )
        self.deployment, self.model = deployment, deployment.model
        os.environ.update(deployment.environment)
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
                deployment.tables,
                self.dynamodb,
                streams_client(infra),
                REGION,
                pending.stream,
            )
            bus = BusDelivery(
                self.model.functions, infra.client("events"), infra.client("sqs"), pending.queue
            )
            streams.invoker = self.host
            bus.invoker = self.host
            self.host.after_invoke += [streams, bus]
        self.api = ApiClient(self.model, self.host, clock, JWT_SECRET, "customer-1")
        self.call = self.api.call
        self.staff = self.api.staff

    @property
    def api_calls(self) -> int:
        return self.api.calls

    @property
    def table(self) -> str:
        return self.deployment.tables["AtelierTable"]

    def bucket(self, logical_id: str) -> str:
        return self.deployment.buckets[logical_id]

    def function(self, name: str) -> FunctionSpec:
        return self.deployment.function(name)

    def schedule(self, name: str) -> Any:
        """A scheduled function's run, as its EventBridge schedule starts it."""
        return self.host.invoke(self.function(name), scheduled_event(self.clock.now()))


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
