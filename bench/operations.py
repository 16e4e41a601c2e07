"""DynamoDB requests and capacity per operation, and per whole order lifecycle."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from atelier import bootstrap
from atelier.clock import FixedClock
from bench.fixtures import (
    START,
    charge_event,
    delay_date,
    order_body,
    ring,
    session_event,
    signed,
)
from bench.meter import READ_OPERATIONS, WRITE_OPERATIONS, Request
from bench.stack import Stack, running_stack
from infra.local.inprocess import Reply, object_created_event


@dataclass(frozen=True)
class Usage:
    """What a set of requests costs."""

    requests: Counter[str]  # by operation
    reads: int
    writes: int
    transactional_writes: int
    read_units: float
    write_units: float  # table
    index_write_units: float
    items_read: int
    items_written: int
    index_writes: int
    by_table: dict[str, tuple[float, float]]  # table -> (read units, write units incl. GSIs)
    catalog_reads: int
    # GSI write units by index and partition key value (see Request.index_partitions)
    by_index_partition: Counter[str]

    @classmethod
    def of(cls, requests: Iterable[Request]) -> Usage:
        taken = list(requests)
        by_table: dict[str, tuple[float, float]] = {}
        for r in taken:
            reads, writes = by_table.get(r.table, (0.0, 0.0))
            by_table[r.table] = (reads + r.read_units, writes + r.write_units + r.index_write_units)
        return cls(
            requests=Counter(r.operation for r in taken),
            reads=sum(1 for r in taken if r.operation in READ_OPERATIONS),
            writes=sum(1 for r in taken if r.operation in WRITE_OPERATIONS),
            transactional_writes=sum(1 for r in taken if r.operation == "TransactWriteItems"),
            read_units=sum(r.read_units for r in taken),
            write_units=sum(r.write_units for r in taken),
            index_write_units=sum(r.index_write_units for r in taken),
            items_read=sum(r.items_read for r in taken),
            items_written=sum(r.items_written for r in taken),
            index_writes=sum(r.index_writes for r in taken),
            by_table=by_table,
            catalog_reads=sum(
                1
                for r in taken
                if r.operation in READ_OPERATIONS
                and (r.partition or "").startswith(("PRODUCT#", "CATALOG#"))
            ),
            by_index_partition=sum((Counter(r.index_partitions) for r in taken), Counter()),
        )

    @property
    def shape(self) -> str:
        """E.g. `1R+1TW`: read requests, then write requests (TW when all transactional)."""
        kind = "TW" if self.writes == self.transactional_writes else "W"
        return f"{self.reads}R+{self.writes}{kind}"

    @property
    def breakdown(self) -> str:
        return " ".join(f"{op} x{n}" for op, n in sorted(self.requests.items())) or "none"


@dataclass(frozen=True)
class Operation:
    name: str
    function: str
    transition: bool  # a change of one order's state: the 1 read + 1 transaction budget
    usage: Usage
    status: int
    s3: Counter[str] = field(default_factory=Counter)  # S3 requests, by operation

    @property
    def within_budget(self) -> bool:
        u = self.usage
        return u.reads <= 1 and u.writes <= 1 and u.writes == u.transactional_writes


@dataclass(frozen=True)
class Lifecycle:
    name: str
    steps: tuple[str, ...]
    usage: Usage
    api_calls: int
    invocations: dict[str, int]
    seconds: dict[str, list[float]]  # per function, each invocation's in-process duration
    routes: dict[str, list[str]]  # per function, each invocation's label (see stack)
    events_published: int
    emails_sent: int
    emails_when_paid: int  # of those, the ones sent by the time the payment was applied


@dataclass
class RequestReport:
    operations: list[Operation] = field(default_factory=list)
    lifecycles: list[Lifecycle] = field(default_factory=list)
    idle_runs: dict[str, Usage] = field(default_factory=dict)  # a schedule with nothing due


class Flows:
    """Puts orders in the state an operation needs, through the API like a client would."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self._ids = itertools.count(1)

    @property
    def clock(self) -> FixedClock:
        return self.stack.clock

    def place(self, *, review: bool = False, key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": key} if key else None
        reply = self.stack.call("POST", "/orders", order_body(review=review), headers=headers)
        _expect(reply, 201, "POST /orders")
        order: dict[str, Any] = reply.json
        return order

    def webhook(self, event: dict[str, Any]) -> Reply:
        raw, headers = signed(event, self.clock.now())
        return self.stack.call("POST", "/webhooks/payments", raw=raw, as_user=None, headers=headers)

    def event_id(self) -> str:
        return f"evt_bench_{next(self._ids)}"

    def pay(self, order: dict[str, Any]) -> Reply:
        event = session_event(
            order, "checkout.session.completed", created=self.clock.now(), event_id=self.event_id()
        )
        return self.webhook(event)

    def in_review(self) -> dict[str, Any]:
        order = self.place(review=True)
        _expect(self.pay(order), 200, "pay")
        return order

    def in_production(self) -> dict[str, Any]:
        order = self.place()
        _expect(self.pay(order), 200, "pay")
        return order

    def shipped(self) -> dict[str, Any]:
        order = self.in_production()
        _expect(self.ship(order), 200, "ship")
        return order

    def delivered(self) -> dict[str, Any]:
        order = self.shipped()
        self.clock.advance(hours=2)
        _expect(self.deliver(order), 200, "deliver")
        return order

    def claim(self, order: dict[str, Any]) -> dict[str, Any]:
        body = {"reason": "DAMAGED", "description": "The stone fell out."}
        reply = self.stack.call("POST", f"/orders/{order['order_id']}/claims", body)
        _expect(reply, 201, "claim")
        claim: dict[str, Any] = reply.json
        return claim

    def evidence_ticket(self, order: dict[str, Any], claim: dict[str, Any]) -> Reply:
        body = {"filename": "photo.jpg", "content_type": "image/jpeg", "size_bytes": len(PHOTO)}
        target = f"/orders/{order['order_id']}/claims/{claim['claim_id']}/evidence"
        return self.stack.call("POST", target, body)

    def upload(self, claim: dict[str, Any], ticket: dict[str, Any]) -> Any:
        """The object the presigned POST stores, then S3's event to evidence_upload."""
        key = f"claims/{claim['claim_id']}/{ticket['evidence_id']}"
        bucket = self.stack.bucket("EvidenceBucket")
        self.stack.s3.put_object(Bucket=bucket, Key=key, Body=PHOTO, ContentType="image/jpeg")
        event = object_created_event(bucket, key, len(PHOTO))
        return self.stack.host.invoke(self.stack.function("evidence_upload"), event)

    def ship(self, order: dict[str, Any]) -> Reply:
        body = {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
        return self.stack.staff("POST", f"/staff/orders/{order['order_id']}/ship", body)

    def deliver(self, order: dict[str, Any]) -> Reply:
        body = {"delivered_at": self.clock.now().isoformat()}
        return self.stack.staff("POST", f"/staff/orders/{order['order_id']}/deliver", body)

    def review(self, order: dict[str, Any], decision: str) -> Reply:
        body: dict[str, Any] = {"decision": decision}
        if decision != "ACCEPT":
            body["note"] = "A thinner band needs a new mold."
        if decision == "SURCHARGE":
            body["surcharge_cents"] = 2500
        return self.stack.staff("POST", f"/staff/orders/{order['order_id']}/review", body)


# A photo as far as the upload check reads it: JPEG's leading bytes, then padding.
PHOTO = b"\xff\xd8\xff\xe0" + bytes(4092)


def _expect(reply: Reply, status: int, what: str) -> None:
    if reply.status != status:
        raise RuntimeError(f"{what} answered {reply.status}, not {status}: {reply.raw[:300]!r}")


Step = Callable[[Flows], tuple[dict[str, Any] | None, Callable[[], Reply], int]]


def _operations() -> list[tuple[str, str, bool, Step]]:
    """(name, function, is a transition, step): a step prepares an order (not counted) and
    returns the measured call and the status it must answer."""

    def create(f: Flows) -> Any:
        return None, lambda: f.stack.call("POST", "/orders", order_body()), 201

    def create_keyed(f: Flows) -> Any:
        key = f"bench-{f.event_id()}"
        headers = {"Idempotency-Key": key}
        return None, lambda: f.stack.call("POST", "/orders", order_body(), headers=headers), 201

    def get_order(f: Flows) -> Any:
        o = f.place()
        return o, lambda: f.stack.call("GET", f"/orders/{o['order_id']}"), 200

    def list_orders(f: Flows) -> Any:
        return None, lambda: f.stack.call("GET", "/orders?limit=20"), 200

    def list_products(f: Flows) -> Any:
        return None, lambda: f.stack.call("GET", "/products", as_user=None), 200

    def session(kind: str) -> Step:
        def step(f: Flows) -> Any:
            o = f.place()
            if kind == "checkout.session.expired":
                f.clock.advance(hours=25)  # the deadline has passed: the session expiry expires it
            event = session_event(o, kind, created=f.clock.now(), event_id=f.event_id())
            return o, lambda: f.webhook(event), 200

        return step

    def completed_again(f: Flows) -> Any:
        o = f.place()
        event = session_event(
            o, "checkout.session.completed", created=f.clock.now(), event_id=f.event_id()
        )
        _expect(f.webhook(event), 200, "first delivery")
        return o, lambda: f.webhook(event), 200

    def charge(kind: str) -> Step:
        def step(f: Flows) -> Any:
            o = f.in_production()
            event = charge_event(o, kind, created=f.clock.now(), event_id=f.event_id())
            return o, lambda: f.webhook(event), 200

        return step

    def review(decision: str) -> Step:
        def step(f: Flows) -> Any:
            o = f.in_review()
            return o, lambda: f.review(o, decision), 200

        return step

    def delay(f: Flows) -> Any:
        o = f.in_production()
        calendar = bootstrap.get_container().calendar
        body = {
            "reason": "The stone setter is out this week",
            "expected_ship_date": delay_date(calendar, f.clock.now()).isoformat(),
        }
        target = f"/staff/orders/{o['order_id']}/delay"
        return o, lambda: f.stack.staff("POST", target, body), 200

    def ship(f: Flows) -> Any:
        o = f.in_production()
        return o, lambda: f.ship(o), 200

    def deliver(f: Flows) -> Any:
        o = f.shipped()
        f.clock.advance(hours=2)
        return o, lambda: f.deliver(o), 200

    def staff_cancel(f: Flows) -> Any:
        o = f.in_production()
        body = {"reason": "We cannot source the stone"}
        target = f"/staff/orders/{o['order_id']}/cancel"
        return o, lambda: f.stack.staff("POST", target, body), 200

    def staff_get(f: Flows) -> Any:
        o = f.in_production()
        return o, lambda: f.stack.staff("GET", f"/staff/orders/{o['order_id']}"), 200

    def staff_queue(f: Flows) -> Any:
        return None, lambda: f.stack.staff("GET", "/staff/orders?status=IN_PRODUCTION"), 200

    def customer_cancel(f: Flows) -> Any:
        o = f.place()
        return o, lambda: f.stack.call("POST", f"/orders/{o['order_id']}/cancel"), 200

    def surcharge(answer: str) -> Step:
        def step(f: Flows) -> Any:
            o = f.in_review()
            _expect(f.review(o, "SURCHARGE"), 200, "surcharge")
            target = f"/orders/{o['order_id']}/surcharge/{answer}"
            return o, lambda: f.stack.call("POST", target), 200

        return step

    def staff_message(f: Flows) -> Any:
        o = f.in_production()
        target = f"/staff/orders/{o['order_id']}/messages"
        return o, lambda: f.stack.staff("POST", target, {"text": "How thin?"}), 201

    def claim_file(f: Flows) -> Any:
        o = f.delivered()
        body = {"reason": "DAMAGED", "description": "The stone fell out."}
        return o, lambda: f.stack.call("POST", f"/orders/{o['order_id']}/claims", body), 201

    def claim_ticket(f: Flows) -> Any:
        o = f.delivered()
        claim = f.claim(o)
        return o, lambda: f.evidence_ticket(o, claim), 201

    def claim_upload(f: Flows) -> Any:
        o = f.delivered()
        claim = f.claim(o)
        ticket = f.evidence_ticket(o, claim)
        _expect(ticket, 201, "ticket")

        def upload() -> Reply:
            outcome = f.upload(claim, ticket.json)
            return Reply(200 if outcome.get("outcome") == "verified" else 500, {}, b"{}")

        return o, upload, 200

    def claim_submit(f: Flows) -> Any:
        o = f.delivered()
        claim = f.claim(o)
        ticket = f.evidence_ticket(o, claim)
        f.upload(claim, ticket.json)
        target = f"/orders/{o['order_id']}/claims/{claim['claim_id']}/submit"
        return o, lambda: f.stack.call("POST", target), 200

    def claim_decision(f: Flows) -> Any:
        o = f.delivered()
        claim = f.claim(o)
        ticket = f.evidence_ticket(o, claim)
        f.upload(claim, ticket.json)
        target = f"/orders/{o['order_id']}/claims/{claim['claim_id']}/submit"
        _expect(f.stack.call("POST", target), 200, "submit")
        body = {"decision": "APPROVE", "resolution": "REMAKE", "shipping_cost_cents": 1800}
        decide = f"/staff/claims/{claim['claim_id']}/decision"
        return o, lambda: f.stack.staff("POST", decide, body), 200

    claims: list[tuple[str, str, bool, Step]] = [
        ("claim filed", "orders_api", True, claim_file),
        ("claim evidence ticket", "orders_api", False, claim_ticket),
        ("claim evidence upload checked", "evidence_upload", True, claim_upload),
        ("claim submitted", "orders_api", True, claim_submit),
        ("claim approved (remake)", "staff_api", True, claim_decision),
    ]
    has_claims = _has_function("evidence_upload")
    return [
        ("create order", "orders_api", False, create),
        ("create order (Idempotency-Key)", "orders_api", False, create_keyed),
        ("GET /orders/{id}", "orders_api", False, get_order),
        ("GET /orders", "orders_api", False, list_orders),
        ("GET /products", "orders_api", False, list_products),
        ("customer cancel", "orders_api", True, customer_cancel),
        ("surcharge accept", "orders_api", True, surcharge("accept")),
        ("surcharge decline", "orders_api", True, surcharge("decline")),
        ("webhook completed", "payment_webhook", True, session("checkout.session.completed")),
        ("webhook completed, again", "payment_webhook", False, completed_again),
        (
            "webhook async failed",
            "payment_webhook",
            True,
            session("checkout.session.async_payment_failed"),
        ),
        ("webhook refunded", "payment_webhook", True, charge("charge.refunded")),
        ("webhook dispute", "payment_webhook", True, charge("charge.dispute.created")),
        ("review accept", "staff_api", True, review("ACCEPT")),
        ("review surcharge", "staff_api", True, review("SURCHARGE")),
        ("review decline", "staff_api", True, review("DECLINE")),
        ("delay", "staff_api", True, delay),
        ("ship", "staff_api", True, ship),
        ("deliver", "staff_api", True, deliver),
        ("staff cancel", "staff_api", True, staff_cancel),
        ("staff message", "staff_api", False, staff_message),
        ("GET /staff/orders/{id}", "staff_api", False, staff_get),
        ("GET /staff/orders?status", "staff_api", False, staff_queue),
        *(claims if has_claims else []),
        # Last: it moves the clock a day on.
        ("webhook expired", "payment_webhook", True, session("checkout.session.expired")),
    ]


def _has_function(name: str) -> bool:
    from bench.env import template_model

    return template_model().function_named(name) is not None


def measure_operations(report: RequestReport) -> None:
    with running_stack(FixedClock(START), deliver_events=False) as stack:
        for schedule in ("expiry_sweep", "sla_watch"):
            if stack.model.function_named(schedule) is not None:
                with stack.meter.scope(f"{schedule} idle") as taken:
                    stack.schedule(schedule)
                report.idle_runs[schedule] = Usage.of(taken)
        bootstrap.get_container().products.save(ring())
        flows = Flows(stack)
        flows.in_production()  # a warm container, as most requests find it
        claim_steps: list[Request] = []
        claim_s3: Counter[str] = Counter()
        for name, function, transition, step in _operations():
            _order, call, status = step(flows)
            with stack.meter.scope(name) as taken:
                reply = call()
            _expect(reply, status, name)
            report.operations.append(
                Operation(
                    name,
                    function,
                    transition,
                    Usage.of(taken),
                    reply.status,
                    stack.meter.s3_calls(name),
                )
            )
            if name.startswith("claim "):
                claim_steps += taken
                claim_s3 += stack.meter.s3_calls(name)
        if claim_steps:
            report.operations.append(
                Operation(
                    "claim with one evidence file (the 5 steps)",
                    "",
                    False,
                    Usage.of(claim_steps),
                    200,
                    claim_s3,
                )
            )


def measure_lifecycles(report: RequestReport) -> None:
    """Whole orders, with the table stream delivered to event_relay and the bus to the
    notifier, as in AWS: every function an order wakes, and every request they make."""
    with running_stack(FixedClock(START), deliver_events=True) as stack:
        bootstrap.get_container().products.save(ring())
        flows = Flows(stack)
        flows.in_production()  # warm every function once; not counted
        flows.ship(flows.in_production())
        for review in (False, True):
            report.lifecycles.append(_lifecycle(stack, flows, review=review))


def _lifecycle(stack: Stack, flows: Flows, *, review: bool) -> Lifecycle:
    meter, host = stack.meter, stack.host
    before_calls, before_invocations = stack.api_calls, len(host.invocations)
    before_other = dict(meter.other_calls)
    steps = ["POST /orders (Idempotency-Key)", "GET /orders/{id}", "webhook completed"]
    with meter.scope("lifecycle") as taken:
        order = flows.place(review=review, key=f"lifecycle-{flows.event_id()}")
        _expect(stack.call("GET", f"/orders/{order['order_id']}"), 200, "GET order")
        flows.clock.advance(minutes=20)
        _expect(flows.pay(order), 200, "pay")
        emails_when_paid = meter.other_calls["sesv2.SendEmail"] - before_other.get(
            "sesv2.SendEmail", 0
        )
        if review:
            flows.clock.advance(hours=3)
            _expect(flows.review(order, "ACCEPT"), 200, "review")
            steps.append("review accept")
        flows.clock.advance(days=3)
        _expect(flows.ship(order), 200, "ship")
        flows.clock.advance(days=2)
        _expect(flows.deliver(order), 200, "deliver")
        steps += ["ship", "deliver"]
    invocations = host.invocations[before_invocations:]
    seconds: dict[str, list[float]] = {}
    routes: dict[str, list[str]] = {}
    for invocation in invocations:
        seconds.setdefault(invocation.function, []).append(invocation.seconds)
        routes.setdefault(invocation.function, []).append(invocation.label)
    other = Counter(meter.other_calls)
    other.subtract(before_other)
    return Lifecycle(
        name="order with designer review" if review else "order",
        steps=tuple(steps),
        usage=Usage.of(taken),
        api_calls=stack.api_calls - before_calls,
        invocations=dict(Counter(i.function for i in invocations)),
        seconds=seconds,
        routes=routes,
        events_published=other["eventbridge.events"],
        emails_sent=other["sesv2.SendEmail"],
        emails_when_paid=emails_when_paid,
    )


def run() -> RequestReport:
    report = RequestReport()
    measure_operations(report)
    measure_lifecycles(report)
    return report
