"""Warm handler overhead: each API route (and the event-driven handlers) through the real
`lambda_handler`, with in-memory adapters in the container (no AWS), in microseconds.

Each sample is one handler call on a warm module; whatever the call needs (a fresh order in
the right state) is prepared through the same handlers beforehand and not timed.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import statistics
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from atelier import bootstrap
from atelier.adapters.dynamodb import history_to_item
from atelier.adapters.items import domain_event_from_stream_image
from atelier.adapters.memory import (
    InMemoryEmailSender,
    InMemoryOrderRepository,
    InMemoryPaymentGateway,
    InMemoryProductRepository,
)
from atelier.clock import FixedClock
from atelier.config import Settings, load_settings
from atelier.domain.events import DomainEvent
from atelier.ports import (
    EmailSender,
    EventPublisher,
    OrderRepository,
    PaymentGateway,
    ProductRepository,
)
from bench.env import AWS_ENVIRONMENT, environment, template_model
from bench.fixtures import (
    START,
    WEBHOOK_SECRET,
    delay_date,
    order_body,
    ring,
    session_event,
    signed,
)
from infra.local.gateway import RouteTable, build_http_event
from infra.local.messages import HttpRequest
from infra.local.runtime import Handler, LambdaContext, import_handler
from infra.local.template import FunctionSpec, StackModel
from infra.local.tokens import render_claims

SAMPLES = 120
WARMUP = 20
PAGE_SOURCE = 25  # orders in the store when a list route is timed


@dataclass(frozen=True)
class Timing:
    """Handler time without the time spent inside the in-memory adapters (which stand in for
    network calls; the fakes' own copying is not the handler's overhead), and with it."""

    name: str  # "POST /orders", or what the event-driven ones handle
    function: str
    samples: int
    p50_us: float
    p99_us: float
    p50_with_fakes_us: float


@dataclass
class WarmReport:
    timings: list[Timing] = field(default_factory=list)
    unmeasured: list[str] = field(default_factory=list)  # routes without a recipe here

    def p50_us(self, name: str, function: str | None = None) -> float | None:
        return next(
            (
                t.p50_us
                for t in self.timings
                if t.name == name and (function is None or t.function == function)
            ),
            None,
        )


class InMemoryIdempotencyStore(BasePersistenceLayer):
    """powertools' persistence layer on a dict: the same hashing and checks, no DynamoDB."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.records: dict[str, DataRecord] = {}

    def _get_record(self, idempotency_key: str) -> DataRecord:
        try:
            return self.records[idempotency_key]
        except KeyError as exc:
            raise IdempotencyItemNotFoundError from exc

    def _put_record(self, data_record: DataRecord) -> None:
        if data_record.idempotency_key in self.records:
            raise IdempotencyItemAlreadyExistsError(
                old_data_record=self.records[data_record.idempotency_key]
            )
        self.records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        self.records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        self.records.pop(data_record.idempotency_key, None)


class InMemoryPublisher:
    def __init__(self) -> None:
        self.published: list[DomainEvent] = []

    def publish(self, event: DomainEvent) -> None:
        self.published.append(event)


class NoAws:
    """Stands in for the container's AWS clients: the warm bench must not reach AWS."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"the warm bench called AWS ({name})")


@dataclass
class FakeTime:
    """Nanoseconds spent inside the fakes since the last reset."""

    ns: int = 0


class Timed:
    """Forwards to an adapter and adds the time its methods take to a FakeTime."""

    def __init__(self, target: Any, clock: FakeTime) -> None:
        self._target = target
        self._clock = clock

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter_ns()
            try:
                return value(*args, **kwargs)
            finally:
                self._clock.ns += time.perf_counter_ns() - started

        return timed


FAKE_TIME = FakeTime()


@dataclass
class Fakes:
    """The in-memory adapters every function's container shares (one store of orders)."""

    orders: InMemoryOrderRepository = field(default_factory=InMemoryOrderRepository)
    products: InMemoryProductRepository = field(
        default_factory=lambda: InMemoryProductRepository([ring()])
    )
    gateway: InMemoryPaymentGateway = field(default_factory=InMemoryPaymentGateway)
    publisher: InMemoryPublisher = field(default_factory=InMemoryPublisher)
    email_sender: InMemoryEmailSender = field(default_factory=InMemoryEmailSender)


class MemoryContainer(bootstrap.Container):
    """A function's container on the fakes, with in-memory idempotency stores (one per
    purpose, as the real container keeps one powertools layer per purpose)."""

    def __init__(self, settings: Settings, clock: FixedClock) -> None:
        super().__init__(settings=settings, clock=clock)
        self._stores: dict[str, InMemoryIdempotencyStore] = {}

    def idempotency(self, purpose: str) -> Any:
        # Not timed apart: powertools' hashing and checks around the store are the handler's.
        return self._stores.setdefault(purpose, InMemoryIdempotencyStore())


def memory_container(clock: FixedClock, fakes: Fakes) -> bootstrap.Container:
    """A function's container on the fakes, as each function has its own in AWS."""
    settings = load_settings(
        {
            "TABLE_NAME": "bench",
            "IDEMPOTENCY_TABLE_NAME": "bench-idempotency",
            "PAYMENT_PROVIDER": "sandbox",
            "WEBHOOK_SECRETS": WEBHOOK_SECRET,
            "EVENT_BUS_NAME": "bench",
            "EVIDENCE_BUCKET": "bench-evidence",
            "EMAIL_FROM": "orders@shop.example.com",
            "STAFF_ALERT_EMAIL": "workshop@shop.example.com",
        }
    )
    container = MemoryContainer(settings, clock)
    # cached_property: an instance attribute takes the place of the real adapter.
    container.dynamodb = NoAws()  # type: ignore[assignment]
    container.orders = cast(OrderRepository, Timed(fakes.orders, FAKE_TIME))
    container.products = cast(ProductRepository, Timed(fakes.products, FAKE_TIME))
    container.gateway = cast(PaymentGateway, Timed(fakes.gateway, FAKE_TIME))
    container.publisher = cast(EventPublisher, Timed(fakes.publisher, FAKE_TIME))
    container.email_sender = cast(EmailSender, Timed(fakes.email_sender, FAKE_TIME))
    return container


class Client:
    """Builds the payload 2.0 event for a request as the gateway would and calls the handler."""

    def __init__(self, model: StackModel, clock: FixedClock) -> None:
        self.model = model
        self.clock = clock
        self.routes = RouteTable(model.routes)
        self.fakes = Fakes()
        self._containers: dict[str, bootstrap.Container] = {}
        self._handlers: dict[str, Handler] = {}
        self._ids = itertools.count(1)

    def reset(self) -> None:
        """Empty stores and new containers: each route is timed on a store of its own size,
        not on what the routes before it left (the fakes' lists are linear)."""
        self.fakes = Fakes()
        self._containers.clear()

    def container(self, function: FunctionSpec) -> bootstrap.Container:
        if function.name not in self._containers:
            self._containers[function.name] = memory_container(self.clock, self.fakes)
        return self._containers[function.name]

    def ready(self, function: FunctionSpec, event: dict[str, Any]) -> Callable[[], Any]:
        """The invocation, ready to run: the function's container in place, its context
        built; only the handler call is left (and timed)."""
        handler = self.handler(function)
        bootstrap._container = self.container(function)
        context = LambdaContext(function, str(uuid.uuid4()), time.monotonic())
        return lambda: handler(event, context)

    def function_for(self, method: str, target: str) -> FunctionSpec:
        match = self.routes.match(method, target.partition("?")[0])
        if match is None:
            raise LookupError(f"no route for {method} {target}")
        return self.model.functions[match.route.function]

    def handler(self, function: FunctionSpec) -> Handler:
        if function.logical_id not in self._handlers:
            self._handlers[function.logical_id] = import_handler(function)
        return self._handlers[function.logical_id]

    def prepare(
        self,
        method: str,
        target: str,
        body: Any = None,
        *,
        user: str | None = "customer-1",
        groups: tuple[str, ...] = (),
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Callable[[], dict[str, Any]]:
        """The call, ready to run: event and context are built here, outside the timing."""
        request_match = self.routes.match(method, target.partition("?")[0])
        if request_match is None:
            raise LookupError(f"no route for {method} {target}")
        sent = dict(headers or {})
        payload = raw if raw is not None else b"" if body is None else _json(body)
        if payload:
            sent.setdefault("Content-Type", "application/json")
        claims = None
        if user is not None:
            raw_claims: dict[str, Any] = {"sub": user, "email": f"{user}@example.com"}
            if groups:
                raw_claims["cognito:groups"] = list(groups)
            claims = render_claims(raw_claims)
        event = build_http_event(
            HttpRequest(method, target, tuple(sent.items()), payload),
            request_match,
            now=self.clock.now(),
            request_id=base64.b64encode(uuid.uuid4().bytes[:10]).decode(),
            claims=claims,
        )
        ready: Callable[[], dict[str, Any]] = self.ready(
            self.model.functions[request_match.route.function], event
        )
        return ready

    def call(self, method: str, target: str, body: Any = None, **kw: Any) -> dict[str, Any]:
        answer = self.prepare(method, target, body, **kw)()
        return answer

    def staff_call(self, method: str, target: str, body: Any = None) -> dict[str, Any]:
        return self.call(method, target, body, user="designer-1", groups=("staff",))

    def event_id(self) -> str:
        return f"evt_warm_{next(self._ids)}"


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()


def _body(answer: dict[str, Any]) -> Any:
    return json.loads(answer.get("body") or "null")


def _ok(answer: dict[str, Any], status: int, what: str) -> dict[str, Any]:
    if answer.get("statusCode") != status:
        raise RuntimeError(f"{what}: {answer.get('statusCode')} {str(answer.get('body'))[:300]}")
    result: dict[str, Any] = _body(answer)
    return result


class Orders:
    """Orders in the state a route needs, made through the handlers (not timed)."""

    def __init__(self, client: Client) -> None:
        self.c = client

    def pending(self, *, review: bool = False) -> dict[str, Any]:
        return _ok(self.c.call("POST", "/orders", order_body(review=review)), 201, "place")

    def pay(self, order: dict[str, Any]) -> None:
        event = session_event(
            order,
            "checkout.session.completed",
            created=self.c.clock.now(),
            event_id=self.c.event_id(),
        )
        raw, headers = signed(event, self.c.clock.now())
        answer = self.c.call("POST", "/webhooks/payments", raw=raw, user=None, headers=headers)
        _ok(answer, 200, "pay")

    def in_production(self) -> dict[str, Any]:
        order = self.pending()
        self.pay(order)
        return order

    def in_review(self) -> dict[str, Any]:
        order = self.pending(review=True)
        self.pay(order)
        return order

    def surcharged(self) -> dict[str, Any]:
        order = self.in_review()
        body = {"decision": "SURCHARGE", "surcharge_cents": 2500, "note": "A new mold."}
        _ok(self.c.staff_call("POST", f"/staff/orders/{order['order_id']}/review", body), 200, "s")
        return order

    def shipped(self) -> dict[str, Any]:
        order = self.in_production()
        body = {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
        _ok(self.c.staff_call("POST", f"/staff/orders/{order['order_id']}/ship", body), 200, "s")
        return order


Prepared = Callable[[], dict[str, Any]]
Recipe = Callable[[Client, Orders], tuple[Prepared, int]]


def _recipes() -> dict[str, Recipe]:
    """Route key -> how to prepare one call of it (and the status it must answer)."""
    staff: dict[str, Any] = {"user": "designer-1", "groups": ("staff",)}

    def simple(method: str, target: str, status: int = 200, **kw: Any) -> Recipe:
        return lambda c, o: (c.prepare(method, target, **kw), status)

    def listing(method: str, target: str, **kw: Any) -> Recipe:
        """A page of 20 out of the 25 orders the store holds."""

        def recipe(c: Client, o: Orders) -> tuple[Prepared, int]:
            while len(c.fakes.orders.history) < PAGE_SOURCE:
                o.in_production()
            return c.prepare(method, target, **kw), 200

        return recipe

    def on_order(
        state: str, method: str, suffix: str, body: Any = None, status: int = 200, **kw: Any
    ) -> Recipe:
        def recipe(c: Client, o: Orders) -> tuple[Prepared, int]:
            order = getattr(o, state)()
            target = suffix.format(id=order["order_id"])
            payload = body(c) if callable(body) else body
            return c.prepare(method, target, payload, **kw), status

        return recipe

    def create_keyed(c: Client, o: Orders) -> tuple[Prepared, int]:
        headers = {"Idempotency-Key": f"warm-{c.event_id()}"}
        return c.prepare("POST", "/orders", order_body(), headers=headers), 201

    def webhook(c: Client, o: Orders) -> tuple[Prepared, int]:
        order = o.pending()
        event = session_event(
            order, "checkout.session.completed", created=c.clock.now(), event_id=c.event_id()
        )
        raw, headers = signed(event, c.clock.now())
        return c.prepare("POST", "/webhooks/payments", raw=raw, user=None, headers=headers), 200

    def new_product(c: Client, o: Orders) -> tuple[Prepared, int]:
        product = ring().model_dump(mode="json")
        product["product_id"] = f"ring-{c.event_id().replace('_', '-')}"
        return c.prepare("POST", "/staff/products", product, **staff), 201

    def replace_product(c: Client, o: Orders) -> tuple[Prepared, int]:
        product = ring().model_dump(mode="json")
        product.pop("product_id")
        return c.prepare("PUT", "/staff/products/signet-ring", product, **staff), 200

    def delay_body(c: Client) -> dict[str, Any]:
        calendar = c.container(c.function_for("GET", "/orders")).calendar
        return {
            "reason": "The stone setter is out this week",
            "expected_ship_date": delay_date(calendar, c.clock.now()).isoformat(),
        }

    review = "POST /staff/orders/{order_id}/review"
    return {
        "GET /products": simple("GET", "/products", user=None),
        "GET /products/{product_id}": simple("GET", "/products/signet-ring", user=None),
        "GET /terms": simple("GET", "/terms", user=None),
        "GET /openapi.json": simple("GET", "/openapi.json", user=None),
        "POST /orders": lambda c, o: (c.prepare("POST", "/orders", order_body()), 201),
        "POST /orders (Idempotency-Key)": create_keyed,
        "GET /orders": listing("GET", "/orders?limit=20"),
        "GET /orders/{order_id}": on_order("pending", "GET", "/orders/{id}"),
        "POST /orders/{order_id}/cancel": on_order("pending", "POST", "/orders/{id}/cancel"),
        "POST /orders/{order_id}/checkout": on_order("pending", "POST", "/orders/{id}/checkout"),
        "GET /orders/{order_id}/messages": on_order("pending", "GET", "/orders/{id}/messages"),
        "POST /orders/{order_id}/messages": on_order(
            "pending", "POST", "/orders/{id}/messages", {"text": "Thinner, please"}, 201
        ),
        "POST /orders/{order_id}/surcharge/accept": on_order(
            "surcharged", "POST", "/orders/{id}/surcharge/accept"
        ),
        "POST /orders/{order_id}/surcharge/decline": on_order(
            "surcharged", "POST", "/orders/{id}/surcharge/decline"
        ),
        "POST /webhooks/payments": webhook,
        "GET /staff/orders": listing("GET", "/staff/orders?status=IN_PRODUCTION&limit=20", **staff),
        "GET /staff/orders/{order_id}": on_order(
            "in_production", "GET", "/staff/orders/{id}", **staff
        ),
        f"{review} ACCEPT": on_order(
            "in_review", "POST", "/staff/orders/{id}/review", {"decision": "ACCEPT"}, **staff
        ),
        f"{review} SURCHARGE": on_order(
            "in_review",
            "POST",
            "/staff/orders/{id}/review",
            {"decision": "SURCHARGE", "surcharge_cents": 2500, "note": "A new mold."},
            **staff,
        ),
        f"{review} DECLINE": on_order(
            "in_review",
            "POST",
            "/staff/orders/{id}/review",
            {"decision": "DECLINE", "note": "We cannot make it."},
            **staff,
        ),
        "POST /staff/orders/{order_id}/delay": on_order(
            "in_production", "POST", "/staff/orders/{id}/delay", delay_body, **staff
        ),
        "POST /staff/orders/{order_id}/ship": on_order(
            "in_production",
            "POST",
            "/staff/orders/{id}/ship",
            {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"},
            **staff,
        ),
        "POST /staff/orders/{order_id}/deliver": on_order(
            "shipped",
            "POST",
            "/staff/orders/{id}/deliver",
            lambda c: {"delivered_at": c.clock.now().isoformat()},
            **staff,
        ),
        "POST /staff/orders/{order_id}/cancel": on_order(
            "in_production", "POST", "/staff/orders/{id}/cancel", {"reason": "No stone"}, **staff
        ),
        "POST /staff/orders/{order_id}/messages": on_order(
            "in_production",
            "POST",
            "/staff/orders/{id}/messages",
            {"text": "How thin?"},
            201,
            **staff,
        ),
        "GET /staff/products": simple("GET", "/staff/products", **staff),
        "POST /staff/products": new_product,
        "PUT /staff/products/{product_id}": replace_product,
    }


def _time(
    name: str,
    function: str,
    prepare: Callable[[], tuple[Prepared, int]],
    n: int,
    in_fakes: FakeTime,
) -> Timing:
    own: list[float] = []
    total: list[float] = []
    for i in range(n + WARMUP):
        call, status = prepare()
        in_fakes.ns = 0
        started = time.perf_counter_ns()
        answer = call()
        elapsed = time.perf_counter_ns() - started
        if isinstance(answer, dict) and "statusCode" in answer:
            _ok(answer, status, name)
        if i >= WARMUP:
            total.append(elapsed / 1000)
            own.append((elapsed - in_fakes.ns) / 1000)
    own.sort()
    p99 = own[min(len(own) - 1, round(0.99 * (len(own) - 1)))]
    return Timing(name, function, len(own), statistics.median(own), p99, statistics.median(total))


def _event_driven(client: Client, orders: Orders, n: int) -> list[Timing]:
    """event_relay (one stream record), notifier (one OrderPlaced email), and the scheduled
    functions with nothing due."""
    model = client.model
    repository = client.fakes.orders
    timings: list[Timing] = []

    def invoke(function: FunctionSpec, event: dict[str, Any]) -> Prepared:
        ready: Prepared = client.ready(function, event)
        return ready

    relay, notifier, sweep, watch = (
        model.function_named("event_relay"),
        model.function_named("notifier"),
        model.function_named("expiry_sweep"),
        model.function_named("sla_watch"),
    )
    if relay is not None:

        def relay_call() -> tuple[Prepared, int]:
            order = orders.pending()
            entry = repository.history[order["order_id"]][-1]
            image = history_to_item(order["order_id"], entry)
            record = {"eventName": "INSERT", "dynamodb": {"NewImage": image, "SequenceNumber": "1"}}
            return invoke(relay, {"Records": [record]}), 0

        timings.append(_time("stream record", relay.name, relay_call, n, FAKE_TIME))
    if notifier is not None:

        def notifier_call() -> tuple[Prepared, int]:
            order = orders.pending()
            entry = repository.history[order["order_id"]][-1]
            event = domain_event_from_stream_image(history_to_item(order["order_id"], entry))
            assert event is not None
            envelope = {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": event.event_type,
                "source": "atelier.orders",
                "account": "123456789012",
                "time": event.at,
                "region": "us-east-1",
                "resources": [],
                "detail": event.detail(),
            }
            return invoke(notifier, envelope), 0

        timings.append(_time("OrderPlaced email", notifier.name, notifier_call, n, FAKE_TIME))
    scheduled = {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}
    for schedule in (sweep, watch):
        if schedule is not None:
            prepare = functools.partial(lambda f: (invoke(f, scheduled), 0), schedule)
            timings.append(
                _time("run, nothing due", schedule.name, prepare, max(20, n // 4), FAKE_TIME)
            )
    return timings


def run(samples: int = SAMPLES) -> WarmReport:
    report = WarmReport()
    model = template_model()
    variables, _ = model.environment_union()
    clock = FixedClock(START)
    with environment({**AWS_ENVIRONMENT, **variables, "POWERTOOLS_METRICS_DISABLED": "false"}):
        outer = bootstrap._container
        try:
            client = Client(model, clock)
            orders = Orders(client)
            recipes = _recipes()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # powertools: "No application metrics to publish"
                for route in model.routes:
                    keys = [
                        k
                        for k in recipes
                        if k == route.route_key or k.startswith(f"{route.route_key} ")
                    ]
                    if not keys:
                        report.unmeasured.append(route.route_key)
                        continue
                    function = model.functions[route.function].name
                    for key in keys:
                        client.reset()
                        prepare = functools.partial(recipes[key], client, orders)
                        report.timings.append(_time(key, function, prepare, samples, FAKE_TIME))
                client.reset()
                report.timings += _event_driven(client, orders, samples)
        finally:
            bootstrap._container = outer
    return report
