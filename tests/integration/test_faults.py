"""Faults (docs/reliability.md, part 4): throttling, cancelled transactions, a timeout between
the write and the event's publication, and S3 errors during the evidence check.

Faults are injected into the container's own botocore clients (`container.dynamodb`, the S3
client of `container.evidence_store`, the events client of `container.publisher`) on their
`before-send` event: below the SDK's retry handler, so the standard retry mode of
`bootstrap._sdk_config` sees each fault exactly as it would see a real answer, retries it with
its own backoff, and the attempts can be counted. A synthetic answer never reaches moto (the
request is not applied); a timeout "after the commit" hands the request to moto first and then
loses the answer. The backoff the SDK chooses is recorded; only one test sleeps it for real.

Every scenario asserts that the answer is as designed (503 with `Retry-After` to people, 500 to
the payment provider so it retries, a raised error from an asynchronous function, a reported
batch item from the relay), that nothing is half-written (the tables are unchanged after a
failed request, and the order partition is whole after the retry: version, history chain, due
entries, pointers) and that no event is lost (what reaches the bus reconciles with the
committed history). The module prints its figures for docs/reliability.md at the end:

    .venv/bin/python -m pytest tests/integration/test_faults.py -q
"""

from __future__ import annotations

import io
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.retries.standard import ExponentialBackoff
from moto.core.models import botocore_stubber
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeoutError

from atelier.adapters.dynamodb import item_to_order
from atelier.adapters.items import from_item
from atelier.adapters.stripe_signature import sign_payload
from atelier.clock import isoformat_z
from atelier.domain.errors import ServiceUnavailableError
from atelier.domain.order import Order
from infra.local.cfn import load_template_file
from infra.local.inprocess import ROOT, streams_client
from infra.local.runtime import FunctionHost
from infra.local.streams import StreamReader, passes_filters
from tests.factories import order_body, ring, stripe_session_event
from tests.integration.conftest import WEBHOOK_SECRET

REGION = "us-east-1"
ALWAYS = 1_000_000
EVIDENCE = Path(__file__).resolve().parents[1] / "fixtures" / "evidence"
# Marks a request whose answer the fault made up: moto must not apply it.
NOT_SENT = "x-injected-fault-not-sent"

# The figures of docs/reliability.md "4. Faults", summed over the module and printed at its end.
FIGURES: Counter[str] = Counter()
# Every backoff the SDK's standard mode chose before a retry, in seconds.
BACKOFFS: list[float] = []


@pytest.fixture(scope="module", autouse=True)
def report_figures(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not FIGURES["scenarios"]:
        return
    f = FIGURES
    with capture.global_and_fixture_disabled():
        reporter.write_line(
            f"\nfault figures: {f['scenarios']} faults injected ({f['faulted attempts']} failed "
            f"SDK attempts); state checks {f['state checks']}, state corrupted "
            f"{f['state corrupted']}; events committed {f['events committed']}, events lost "
            f"{f['events lost']} (re-sent duplicates {f['events duplicated']}, deduped by id); "
            f"known gaps (xfail): {f['known wrong answers']} wrong answers, "
            f"{f['known corrupted']} corrupted states; SDK backoffs chosen {len(BACKOFFS)}, "
            f"{sum(BACKOFFS):.1f} s in all, max {max(BACKOFFS, default=0):.2f} s"
        )


# ---------------------------------------------------------------------------- injection

Answer = Callable[[AWSPreparedRequest], AWSResponse]


class _Body(io.BytesIO):
    """A raw HTTP body as botocore reads it (moto's answers have the same shape)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        data = self.read()
        if data:
            yield data


class _StalledBody(io.RawIOBase):
    """The status line and headers arrived, then the connection went quiet."""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        raise Urllib3ReadTimeoutError(None, "", "Read timed out.")

    def stream(self, **_: Any) -> Iterator[bytes]:
        raise Urllib3ReadTimeoutError(None, "", "Read timed out.")


def json_error(code: str, status: int = 400, **fields: Any) -> Answer:
    """An error answer of a JSON-protocol service (DynamoDB, EventBridge)."""
    body = json.dumps({"__type": f"com.amazonaws.fault#{code}", "message": "injected", **fields})

    def answer(request: AWSPreparedRequest) -> AWSResponse:
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}
        return AWSResponse(request.url, status, headers, _Body(body.encode()))

    return answer


def cancelled(reason: str) -> Answer:
    """TransactionCanceledException: `reason` on the first item (the order), None elsewhere,
    one reason per item as DynamoDB answers."""

    def answer(request: AWSPreparedRequest) -> AWSResponse:
        items = len(json.loads(request.body or b"{}").get("TransactItems", [])) or 1
        reasons = [{"Code": reason, "Message": f"injected {reason}"}]
        reasons += [{"Code": "None"}] * (items - 1)
        return json_error("TransactionCanceledException", CancellationReasons=reasons)(request)

    return answer


def entry_refused(code: str) -> Answer:
    """PutEvents answered 200 with the entry refused (FailedEntryCount 1)."""
    body = json.dumps(
        {"FailedEntryCount": 1, "Entries": [{"ErrorCode": code, "ErrorMessage": "injected"}]}
    )

    def answer(request: AWSPreparedRequest) -> AWSResponse:
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "fault"}
        return AWSResponse(request.url, 200, headers, _Body(body.encode()))

    return answer


def s3_error(code: str, status: int) -> Answer:
    """An S3 error; a HEAD answer has no body, so only its status reaches the client."""

    def answer(request: AWSPreparedRequest) -> AWSResponse:
        body = b""
        if request.method != "HEAD":
            body = (
                f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                "<Message>injected</Message><RequestId>fault</RequestId></Error>"
            ).encode()
        headers = {"Content-Type": "application/xml", "x-amz-request-id": "fault"}
        return AWSResponse(request.url, status, headers, _Body(body))

    return answer


def read_timeout(request: AWSPreparedRequest) -> AWSResponse:
    raise ReadTimeoutError(endpoint_url=request.url)


def connect_timeout(request: AWSPreparedRequest) -> AWSResponse:
    raise ConnectTimeoutError(endpoint_url=request.url)


def stalled_body(request: AWSPreparedRequest) -> AWSResponse:
    """A ranged GET answered 206 whose body never comes: the read times out, past the SDK's
    retries (botocore retries the request, not the reading of its body)."""
    headers = {
        "Content-Type": "image/jpeg",
        "Content-Length": "32",
        "Content-Range": "bytes 0-31/4096",
        "x-amz-request-id": "fault",
    }
    return AWSResponse(request.url, 206, headers, _StalledBody())


def on_table(table: str) -> Callable[[AWSPreparedRequest], bool]:
    """Match DynamoDB requests on one table (the idempotency store shares the client)."""
    return lambda request: json.loads(request.body or b"{}").get("TableName") == table


@dataclass
class Fault:
    operation: str
    answer: Answer
    times: int
    match: Callable[[AWSPreparedRequest], bool] | None
    commit_first: bool
    fired: int = 0


class FaultyClient:
    """Faults for one botocore client, and a count of the attempts it sends per operation."""

    def __init__(self, client: Any, emulate: Callable[[AWSPreparedRequest], Any]) -> None:
        self.service = client.meta.service_model.service_id.hyphenize()
        # What the client's Config makes of `retries`: attempts per call, the first included.
        self.allowed: int = client.meta.config.retries["total_max_attempts"]
        self.attempts: Counter[str] = Counter()
        self.bodies: defaultdict[str, list[bytes]] = defaultdict(list)
        self._faults: list[Fault] = []
        self._emulate = emulate
        client.meta.events.register_first(f"before-send.{self.service}", self._before_send)

    def inject(
        self,
        operation: str,
        answer: Answer,
        *,
        times: int = ALWAYS,
        match: Callable[[AWSPreparedRequest], bool] | None = None,
        commit_first: bool = False,
    ) -> Fault:
        """The next `times` matching attempts of `operation` get `answer` (or its exception);
        with `commit_first`, the service applies the request before the answer is lost."""
        fault = Fault(operation, answer, times, match, commit_first)
        self._faults.append(fault)
        FIGURES["scenarios"] += 1
        return fault

    def clear(self) -> None:
        self._faults.clear()
        self.attempts.clear()
        self.bodies.clear()

    def _before_send(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> Any:
        operation = event_name.rsplit(".", 1)[-1]
        self.attempts[operation] += 1
        self.bodies[operation].append(request.body or b"")
        for fault in self._faults:
            if fault.operation != operation or fault.fired >= fault.times:
                continue
            if fault.match is not None and not fault.match(request):
                continue
            fault.fired += 1
            FIGURES["faulted attempts"] += 1
            if fault.commit_first:
                self._emulate(request)
            request.headers[NOT_SENT] = "1"
            return fault.answer(request)
        return None


class Faults:
    # The SDK's backoff is computed for real and recorded, but slept only this fraction of it
    # (a test that measures the real wait sets 1.0): throttling backs off rand * 1 s * 2^i.
    backoff_scale = 0.0

    def __init__(self, container: Any, emulate: Callable[[AWSPreparedRequest], Any]) -> None:
        self.dynamodb = FaultyClient(container.dynamodb, emulate)
        self.s3 = FaultyClient(container.evidence_store._client, emulate)
        self.events = FaultyClient(container.publisher._client, emulate)

    def clear(self) -> None:
        for client in (self.dynamodb, self.s3, self.events):
            client.clear()


@pytest.fixture
def faults(container: Any, monkeypatch: pytest.MonkeyPatch) -> Faults:
    emulate = botocore_stubber.process_request

    def process(request: AWSPreparedRequest) -> Any:
        if request.headers.get(NOT_SENT):
            return None  # the fault answered; the request never reached the service
        return emulate(request)

    monkeypatch.setattr(botocore_stubber, "process_request", process)
    made = Faults(container, emulate)
    chosen_delay = ExponentialBackoff.delay_amount

    def delay_amount(backoff: ExponentialBackoff, context: Any) -> float:
        delay: float = chosen_delay(backoff, context)
        BACKOFFS.append(delay)
        return delay * made.backoff_scale

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", delay_amount)
    return made


# ---------------------------------------------------------------------------- state checks


def plain(service: str) -> Any:
    """A client no fault touches, for the checks."""
    return boto3.client(service, region_name=REGION)


def table_state(container: Any) -> list[str]:
    """Every item of both tables (the order table and the idempotency store)."""
    ddb = plain("dynamodb")
    items = []
    for table in (container.settings.table_name, container.settings.idempotency_table_name):
        for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            items += [json.dumps([table, item], sort_keys=True) for item in page["Items"]]
    return sorted(items)


def stored_order(container: Any, order_id: str) -> Order:
    item = plain("dynamodb").get_item(
        TableName=container.settings.table_name,
        Key={"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ORDER"}},
        ConsistentRead=True,
    )["Item"]
    return item_to_order(item)


def history(container: Any, order_id: str) -> list[dict[str, Any]]:
    answer = plain("dynamodb").query(
        TableName=container.settings.table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
        ExpressionAttributeValues={":pk": {"S": f"ORDER#{order_id}"}, ":h": {"S": "HISTORY#"}},
        ConsistentRead=True,
    )
    return [from_item(item) for item in answer["Items"]]


def problems_of(container: Any, order_id: str) -> list[str]:
    """What is half-written in one order's stored state; [] when it is whole."""
    ddb, table = plain("dynamodb"), container.settings.table_name
    items = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ORDER#{order_id}"}},
        ConsistentRead=True,
    )["Items"]
    heads = [i for i in items if i["sk"]["S"] == "ORDER"]
    if len(heads) != 1:
        return [f"{len(heads)} order items"]
    order = item_to_order(heads[0])
    found: list[str] = []
    entries = sorted(
        (from_item(i) for i in items if i["sk"]["S"].startswith("HISTORY#")),
        key=lambda h: h["version"],
    )
    versions = [h["version"] for h in entries]
    if not entries or len(set(versions)) != len(versions) or versions[-1] > order.version:
        found.append(f"history versions {versions} against order version {order.version}")
    if entries and (entries[0].get("from_status") or entries[0]["event_type"] != "OrderPlaced"):
        found.append("the history does not start with OrderPlaced")
    for before, after in pairwise(entries):
        if after.get("from_status") != before["to_status"]:
            found.append(f"history v{after['version']} does not follow v{before['version']}")
    if entries and entries[-1]["to_status"] != order.status:
        found.append(f"history ends in {entries[-1]['to_status']}, order is {order.status}")
    if len({h["event_id"] for h in entries}) != len(entries):
        found.append("two history entries share an event id")
    due = {
        i["sk"]["S"].removeprefix("DUE#"): i["gsi3sk"]["S"]
        for i in items
        if i["sk"]["S"].startswith("DUE#")
    }
    wanted = {k: f"{isoformat_z(at)}#{order_id}" for k, at in order.due_entries().items()}
    if due != wanted:
        found.append(f"due entries {due} but the order waits on {wanted}")
    pointers = {
        i["pk"]["S"]: i
        for page in ddb.get_paginator("scan").paginate(
            TableName=table,
            FilterExpression="#t = :p AND order_id = :o",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={":p": {"S": "POINTER"}, ":o": {"S": order_id}},
        )
        for i in page["Items"]
    }
    payments = {k for k in pointers if k.startswith("PAYMENT#")}
    if payments != {f"PAYMENT#{p.payment_intent}" for p in order.payments}:
        found.append(f"payment pointers {sorted(payments)} against {len(order.payments)} payments")
    if order.checkout and f"CHECKOUT#{order.checkout.session_id}" not in pointers:
        found.append("no pointer to the current checkout")
    claims = {k: v["gsi2pk"]["S"] for k, v in pointers.items() if k.startswith("CLAIM#")}
    if claims != {f"CLAIM#{c.claim_id}": f"CLAIMS#{c.status}" for c in order.claims}:
        found.append(f"claim pointers {claims} do not match the claims")
    FIGURES["state checks"] += 1
    FIGURES["state corrupted"] += bool(found)
    return found


def unchanged(container: Any, before: list[str]) -> bool:
    FIGURES["state checks"] += 1
    same = table_state(container) == before
    FIGURES["state corrupted"] += not same
    return same


# ---------------------------------------------------------------------------- the outbox


class Outbox:
    """The table's stream → event_relay → the bus, as the event source mapping runs it with
    ReportBatchItemFailures (a reported record and every later one come again), and a queue
    capturing everything the bus receives from atelier."""

    def __init__(self, stack: Any, container: Any) -> None:
        template = load_template_file(ROOT / "template.yaml")
        events = template["Resources"]["EventRelayFunction"]["Properties"]["Events"]
        self._filters = events["HistoryStream"]["Properties"]["FilterCriteria"]["Filters"]
        table = plain("dynamodb").describe_table(TableName=container.settings.table_name)
        # botocore 1.44 sends DynamoDB Streams to an account-based host moto does not route.
        streams = streams_client()
        self._reader = StreamReader(streams, table["Table"]["LatestStreamArn"], REGION)
        self._function = stack.functions["EventRelayFunction"]
        self._host = FunctionHost(stack.functions)
        self._pending: list[dict[str, Any]] = []
        self._table = container.settings.table_name
        self.delivered: list[str] = []
        self._sqs = plain("sqs")
        self._queue = self._sqs.create_queue(QueueName="fault-capture")["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self._queue, AttributeNames=["QueueArn"])
        bus = self._function.environment["EVENT_BUS_NAME"]
        bridge = plain("events")
        bridge.put_rule(
            Name="fault-capture", EventBusName=bus, EventPattern='{"source": ["atelier.orders"]}'
        )
        bridge.put_targets(
            Rule="fault-capture",
            EventBusName=bus,
            Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}],
        )

    def relay(self) -> dict[str, Any]:
        """One invocation of event_relay with the records not yet acknowledged."""
        self._pending += [r for r in self._reader.read() if passes_filters(r, self._filters)]
        sent = [r["dynamodb"]["SequenceNumber"] for r in self._pending]
        result: dict[str, Any] = self._host.invoke(self._function, {"Records": self._pending})
        failures = [f["itemIdentifier"] for f in result["batchItemFailures"]]
        self._pending = self._pending[sent.index(failures[0]) :] if failures else []
        self._drain()
        return result

    @property
    def pending(self) -> list[str]:
        return [r["dynamodb"]["SequenceNumber"] for r in self._pending]

    def _drain(self) -> None:
        while True:
            answer = self._sqs.receive_message(QueueUrl=self._queue, MaxNumberOfMessages=10)
            messages = answer.get("Messages", [])
            if not messages:
                return
            for message in messages:
                self.delivered.append(json.loads(message["Body"])["detail"]["event_id"])
                self._sqs.delete_message(
                    QueueUrl=self._queue, ReceiptHandle=message["ReceiptHandle"]
                )

    def lost(self) -> set[str]:
        """Committed events (history entries, posted messages) that never reached the bus."""
        committed = set()
        for page in plain("dynamodb").get_paginator("scan").paginate(TableName=self._table):
            committed |= {
                i["event_id"]["S"]
                for i in page["Items"]
                if i.get("type", {}).get("S") in {"HISTORY", "MESSAGE"}
            }
        missing = committed - set(self.delivered)
        FIGURES["events committed"] += len(committed)
        FIGURES["events lost"] += len(missing)
        FIGURES["events duplicated"] += len(self.delivered) - len(set(self.delivered))
        return missing


@pytest.fixture
def outbox(stack: Any, container: Any) -> Outbox:
    return Outbox(stack, container)


# ---------------------------------------------------------------------------- the shop


@pytest.fixture
def order(api: Any, container: Any) -> dict[str, Any]:
    container.products.save(ring())
    reply = api.call("POST", "/orders", order_body())
    assert reply.status == 201, reply.raw
    return reply.json


def pay(api: Any, order: dict[str, Any], clock: Any, event_id: str = "evt_fault") -> Any:
    now = int(clock.now().timestamp())
    raw = json.dumps(stripe_session_event(order, created=now, event_id=event_id)).encode()
    return api.call(
        "POST",
        "/webhooks/payments",
        raw=raw,
        as_user=None,
        headers={"Stripe-Signature": sign_payload(raw, WEBHOOK_SECRET, now)},
    )


def assert_busy(reply: Any, operation: str) -> None:
    """The designed answer to people: 503, Retry-After, the error shape."""
    assert reply.status == 503, reply.raw
    assert reply.headers.get("Retry-After") == "2"
    assert reply.headers.get("Content-Type", "").startswith("application/json")
    assert reply.json == {
        "error": {
            "code": "SERVICE_UNAVAILABLE",
            "message": "The store is busy; try again shortly.",
            "details": {"operation": operation},
        }
    }


def event_types(container: Any, order_id: str) -> list[str]:
    return [h["event_type"] for h in history(container, order_id)]


# ---------------------------------------------------------------------------- 1. throttling


def test_throttled_reads_answer_503_with_retry_after_once_the_attempts_are_spent(
    api, order, container, faults
):
    table = container.settings.table_name
    before = table_state(container)
    reads = [
        ("GetItem", "ProvisionedThroughputExceededException", f"/orders/{order['order_id']}"),
        ("Query", "ThrottlingException", "/orders"),
    ]
    allowed = faults.dynamodb.allowed
    # Throttling backs off rand * 1 s * 2^i before retry i: at most 1 + 2 + 4 s for 3 retries.
    bound = sum(2**i for i in range(allowed - 1))
    for operation, code, target in reads:
        faults.dynamodb.inject(operation, json_error(code), match=on_table(table))
        chosen = len(BACKOFFS)
        reply = api.call("GET", target)
        assert_busy(reply, {"GetItem": "get_order", "Query": "list_orders"}[operation])
        assert faults.dynamodb.attempts[operation] == allowed  # bounded: no more, no less
        waits = BACKOFFS[chosen:]  # chosen by the SDK (and not slept here)
        assert len(waits) == allowed - 1 and sum(waits) <= bound
        faults.clear()
    assert unchanged(container, before)
    assert api.call("GET", f"/orders/{order['order_id']}").status == 200


def test_each_sdk_call_makes_at_most_three_attempts_and_a_stuck_call_ends_in_time(
    api, order, container, faults, stack
):
    faults.dynamodb.inject("GetItem", read_timeout, match=on_table(container.settings.table_name))
    reply = api.call("GET", f"/orders/{order['order_id']}")
    assert reply.status == 503 and reply.headers.get("Retry-After") == "2"
    config = container.dynamodb.meta.config
    stuck = faults.dynamodb.attempts["GetItem"] * (config.connect_timeout + config.read_timeout)
    FIGURES["known wrong answers"] += faults.dynamodb.attempts["GetItem"] != 3
    assert stuck < stack.functions["OrdersApiFunction"].timeout_s  # template.yaml's budget
    assert faults.dynamodb.attempts["GetItem"] == 3  # "standard retry mode, 3 attempts"
    assert faults.dynamodb.allowed == faults.s3.allowed == faults.events.allowed == 3


def test_throttled_writes_answer_503_write_nothing_and_the_retries_apply_once(
    api, order, container, faults, outbox
):
    oid, key = order["order_id"], {"Idempotency-Key": "create-under-throttling"}
    before = table_state(container)
    faults.dynamodb.inject(
        "TransactWriteItems", json_error("ProvisionedThroughputExceededException")
    )
    assert_busy(api.call("POST", f"/orders/{oid}/cancel"), "save_order")
    assert faults.dynamodb.attempts["TransactWriteItems"] == faults.dynamodb.allowed
    faults.clear()
    faults.dynamodb.inject("TransactWriteItems", json_error("ThrottlingException"))
    reply = api.call("POST", "/orders", order_body(), as_user="cust-b", headers=key)
    assert_busy(reply, "add_order")
    assert faults.dynamodb.attempts["TransactWriteItems"] == faults.dynamodb.allowed
    # Nothing written: no transition, no order, no idempotency record left IN_PROGRESS.
    assert unchanged(container, before)
    faults.clear()

    retry = api.call("POST", f"/orders/{oid}/cancel")
    assert retry.status == 200 and retry.json["status"] == "CANCELLED"
    assert problems_of(container, oid) == []
    assert event_types(container, oid) == ["OrderPlaced", "OrderCancelled"]
    first = api.call("POST", "/orders", order_body(), as_user="cust-b", headers=key)
    again = api.call("POST", "/orders", order_body(), as_user="cust-b", headers=key)
    assert first.status == again.status == 201
    assert first.json["order_id"] == again.json["order_id"]
    listed = api.call("GET", "/orders", as_user="cust-b").json["items"]
    assert [o["order_id"] for o in listed] == [first.json["order_id"]]
    assert problems_of(container, first.json["order_id"]) == []
    assert outbox.relay() == {"batchItemFailures": []}
    assert outbox.lost() == set()


def test_a_fault_that_clears_after_one_attempt_is_retried_transparently(
    api, order, container, faults, clock
):
    """Within the attempts the client allows, one failed attempt costs a backoff, not an error."""
    table, oid = container.settings.table_name, order["order_id"]
    cases = [
        ("GetItem", json_error("ProvisionedThroughputExceededException"), "GET", f"/orders/{oid}"),
        ("Query", json_error("ThrottlingException"), "GET", "/orders"),
        ("GetItem", connect_timeout, "GET", f"/orders/{oid}"),
        ("TransactWriteItems", json_error("ThrottlingException"), "POST", "/orders"),
        ("TransactWriteItems", json_error("InternalServerError", 500), "POST", "/orders"),
    ]
    faults.backoff_scale = 1.0  # this test sleeps the SDK's backoff for real
    for operation, answer, method, target in cases:
        match = None if operation == "TransactWriteItems" else on_table(table)
        faults.dynamodb.inject(operation, answer, times=1, match=match)
        body = order_body() if method == "POST" else None
        chosen = len(BACKOFFS)
        started = time.monotonic()
        reply = api.call(method, target, body)
        elapsed = time.monotonic() - started
        assert reply.status in (200, 201), reply.raw
        assert faults.dynamodb.attempts[operation] == 2
        (wait,) = BACKOFFS[chosen:]
        assert wait <= elapsed < wait + 3.0  # the SDK slept its backoff, then succeeded
        if method == "POST":
            assert problems_of(container, reply.json["order_id"]) == []
        faults.clear()

    # The payment provider's webhook: the throttled commit is retried within one delivery.
    faults.dynamodb.inject("TransactWriteItems", json_error("ThrottlingException"), times=1)
    reply = pay(api, order, clock)
    assert reply.status == 200 and reply.json["outcome"] == "confirmed"
    assert faults.dynamodb.attempts["TransactWriteItems"] == 2
    assert problems_of(container, oid) == []
    assert event_types(container, oid) == ["OrderPlaced", "PaymentConfirmed"]


def test_a_throttled_webhook_answers_500_changes_nothing_and_the_redelivery_applies_it(
    api, order, container, faults, clock, outbox
):
    table, oid = container.settings.table_name, order["order_id"]
    before = table_state(container)
    for operation, code in [
        ("GetItem", "ThrottlingException"),
        ("TransactWriteItems", "ProvisionedThroughputExceededException"),
    ]:
        match = on_table(table) if operation == "GetItem" else None
        faults.dynamodb.inject(operation, json_error(code), match=match)
        reply = pay(api, order, clock)
        assert reply.status == 500, reply.raw  # any 5xx: the provider retries
        assert reply.json["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert faults.dynamodb.attempts[operation] == faults.dynamodb.allowed
        assert unchanged(container, before)
        faults.clear()

    retry = pay(api, order, clock)
    assert retry.status == 200 and retry.json["outcome"] == "confirmed"
    assert pay(api, order, clock).json["outcome"] == "duplicate"
    assert problems_of(container, oid) == []
    assert event_types(container, oid) == ["OrderPlaced", "PaymentConfirmed"]
    assert stored_order(container, oid).status == "IN_PRODUCTION"
    assert outbox.relay() == {"batchItemFailures": []}
    assert outbox.lost() == set()


# ---------------------------------------------------------------------------- 2. conflicts


def test_a_transaction_conflict_is_503_to_people_500_to_the_provider_and_nothing_half_written(
    api, order, container, faults, clock, outbox
):
    oid = order["order_id"]
    before = table_state(container)
    for reason in ("TransactionConflict", "ThrottlingError"):
        faults.dynamodb.inject("TransactWriteItems", cancelled(reason))
        assert_busy(api.call("POST", f"/orders/{oid}/cancel"), "save_order")
        # Not retried by the SDK (a cancelled transaction is not transient): one attempt.
        assert faults.dynamodb.attempts["TransactWriteItems"] == 1
        faults.clear()
    faults.dynamodb.inject("TransactWriteItems", cancelled("TransactionConflict"))
    webhook = pay(api, order, clock)
    assert webhook.status == 500 and webhook.json["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert faults.dynamodb.attempts["TransactWriteItems"] == 1
    assert unchanged(container, before)
    faults.clear()

    assert pay(api, order, clock).json["outcome"] == "confirmed"
    assert problems_of(container, oid) == []
    assert event_types(container, oid) == ["OrderPlaced", "PaymentConfirmed"]
    assert outbox.relay() == {"batchItemFailures": []}
    assert outbox.lost() == set()


def test_a_transaction_cancelled_for_provisioned_throughput_is_503_with_retry_after(
    api, order, container, faults
):
    before = table_state(container)
    faults.dynamodb.inject("TransactWriteItems", cancelled("ProvisionedThroughputExceeded"))
    reply = api.call("POST", f"/orders/{order['order_id']}/cancel")
    assert unchanged(container, before)
    FIGURES["known wrong answers"] += reply.status != 503
    assert_busy(reply, "save_order")


# ---------------------------------------------------------------- 3. write, then publish


def test_put_events_timing_out_after_the_commit_is_reported_and_the_retry_publishes_it(
    api, order, container, faults, clock, outbox
):
    oid = order["order_id"]
    assert pay(api, order, clock).json["outcome"] == "confirmed"  # committed: 2 history entries
    for answer, attempts in [
        (read_timeout, faults.events.allowed),
        (connect_timeout, faults.events.allowed),
        (entry_refused("ThrottlingException"), 1),  # a 200 the SDK does not retry
    ]:
        faults.events.inject("PutEvents", answer)
        result = outbox.relay()
        # The first record is reported: Lambda re-sends it and every later one, in order.
        assert result == {"batchItemFailures": [{"itemIdentifier": outbox.pending[0]}]}
        assert len(outbox.pending) == 2
        assert faults.events.attempts["PutEvents"] == attempts
        assert outbox.delivered == []
        faults.clear()

    # The first record publishes, the second times out: the relay reports the second.
    def payment_confirmed(request: AWSPreparedRequest) -> bool:
        return b"PaymentConfirmed" in (request.body or b"")

    faults.events.inject("PutEvents", read_timeout, match=payment_confirmed)
    result = outbox.relay()
    assert result == {"batchItemFailures": [{"itemIdentifier": outbox.pending[0]}]}
    assert len(outbox.pending) == 1
    faults.clear()

    # The retry: the bus takes the event but the answer is lost, and the SDK sends it again,
    # with the same event_id in its detail, which consumers dedupe on.
    faults.events.inject("PutEvents", read_timeout, times=1, commit_first=True)
    assert outbox.relay() == {"batchItemFailures": []}
    assert faults.events.attempts["PutEvents"] == 2
    assert outbox.pending == []
    assert outbox.lost() == set()
    placed, confirmed = (h["event_id"] for h in history(container, oid))
    assert outbox.delivered == [placed, confirmed, confirmed]  # in stream order, none lost
    assert problems_of(container, oid) == []


def test_a_committed_webhook_whose_answer_is_lost_is_applied_once(
    api, order, container, faults, clock, outbox
):
    """TransactWriteItems committed, its answer timed out, the SDK retried. botocore sends the
    same ClientRequestToken on every attempt, so DynamoDB answers the retry as the committed
    transaction ("confirmed"); moto ignores the token and cancels the retry on the event
    ledger ("duplicate"). Either way: one transition, one event, 200 to the provider."""
    oid = order["order_id"]
    faults.dynamodb.inject("TransactWriteItems", read_timeout, times=1, commit_first=True)
    reply = pay(api, order, clock)
    assert reply.status == 200 and reply.json["outcome"] in {"confirmed", "duplicate"}
    tokens = {
        json.loads(b)["ClientRequestToken"] for b in faults.dynamodb.bodies["TransactWriteItems"]
    }
    assert len(faults.dynamodb.bodies["TransactWriteItems"]) == 2 and len(tokens) == 1
    assert problems_of(container, oid) == []
    assert event_types(container, oid) == ["OrderPlaced", "PaymentConfirmed"]
    assert outbox.relay() == {"batchItemFailures": []}
    assert outbox.lost() == set()


def test_a_creation_committed_but_answered_503_is_not_created_twice_by_the_same_key(
    api, order, container, faults
):
    key = {"Idempotency-Key": "ambiguous-create"}
    faults.dynamodb.inject("TransactWriteItems", read_timeout, times=1, commit_first=True)
    faults.dynamodb.inject("TransactWriteItems", connect_timeout)  # every later attempt
    reply = api.call("POST", "/orders", order_body(), as_user="cust-b", headers=key)
    assert reply.status == 503  # after every attempt; the first one had committed
    faults.clear()
    retry = api.call("POST", "/orders", order_body(), as_user="cust-b", headers=key)
    assert retry.status == 201
    listed = api.call("GET", "/orders", as_user="cust-b").json["items"]
    for placed in listed:
        assert problems_of(container, placed["order_id"]) == []
    FIGURES["known corrupted"] += len(listed) > 1
    assert [o["order_id"] for o in listed] == [retry.json["order_id"]]


# ---------------------------------------------------------------------------- 4. evidence checks


@pytest.fixture
def claim(api, container, clock) -> dict[str, Any]:
    """A quality claim on a ring delivered Friday 2026-12-04 (see test_claims_api.py)."""
    container.products.save(ring())
    placed = api.call("POST", "/orders", order_body()).json
    oid = placed["order_id"]
    assert pay(api, placed, clock, event_id=f"evt_{oid}").json["outcome"] == "confirmed"
    shipped = api.staff(
        "POST", f"/staff/orders/{oid}/ship", {"carrier": "UPS", "tracking_number": "1Z1"}
    )
    assert shipped.status == 200, shipped.raw
    clock.set(datetime(2026, 12, 4, 17, 0, tzinfo=UTC))
    delivered = api.staff(
        "POST", f"/staff/orders/{oid}/deliver", {"delivered_at": "2026-12-04T17:00:00Z"}
    )
    assert delivered.status == 200, delivered.raw
    filed = api.call(
        "POST",
        f"/orders/{oid}/claims",
        {"reason": "DAMAGED", "description": "The stone fell out."},
    )
    assert filed.status == 201, filed.raw
    return {"order_id": oid, "claim_id": filed.json["claim_id"]}


def upload(api: Any, container: Any, claim: dict[str, Any], fixture: str) -> str:
    """A ticket, then the object put as the presigned POST would; the object's key."""
    data = (EVIDENCE / fixture).read_bytes()
    reply = api.call(
        "POST",
        f"/orders/{claim['order_id']}/claims/{claim['claim_id']}/evidence",
        {"filename": fixture, "content_type": "image/jpeg", "size_bytes": len(data)},
    )
    assert reply.status == 201, reply.raw
    key = f"claims/{claim['claim_id']}/{reply.json['evidence_id']}"
    plain("s3").put_object(
        Bucket=container.settings.evidence_bucket, Key=key, Body=data, ContentType="image/jpeg"
    )
    return key


def check(stack: Any, container: Any, key: str) -> str:
    """S3's EventBridge event for the object, delivered to evidence_upload."""
    event = {
        "version": "0",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {
            "bucket": {"name": container.settings.evidence_bucket},
            "object": {"key": key.replace("/", "%2F")},
        },
    }
    function = stack.functions["EvidenceUploadFunction"]
    return str(FunctionHost(stack.functions).invoke(function, event)["outcome"])


def evidence_status(container: Any, claim: dict[str, Any], key: str) -> str:
    found = stored_order(container, claim["order_id"]).claim(claim["claim_id"])
    evidence = found.evidence_by_id(key.rsplit("/", 1)[-1])
    assert evidence is not None
    return str(evidence.status.value)


def stored(container: Any, key: str) -> bool:
    listed = plain("s3").list_object_versions(Bucket=container.settings.evidence_bucket, Prefix=key)
    return bool(listed.get("Versions"))


RETRIED = 0  # as many attempts as the client allows
PHOTO, NOT_A_PHOTO = "photo.jpg", "not-a-photo.jpg"
# name: (operation, answer, attempts, the file, the outcome of the retry)
S3_FAULTS = {
    "HEAD throttled (503, no body)": ("HeadObject", s3_error("SlowDown", 503), RETRIED, PHOTO),
    "HEAD connect timeout": ("HeadObject", connect_timeout, RETRIED, PHOTO),
    "ranged GET throttled (SlowDown)": ("GetObject", s3_error("SlowDown", 503), RETRIED, PHOTO),
    "ranged GET 500": ("GetObject", s3_error("InternalError", 500), RETRIED, PHOTO),
    "ranged GET read timeout": ("GetObject", read_timeout, RETRIED, PHOTO),
    "ranged GET body stalls": ("GetObject", stalled_body, 1, PHOTO),  # a body is not retried
    "DELETE of a bad file 500": (
        "DeleteObject",
        s3_error("InternalError", 500),
        RETRIED,
        NOT_A_PHOTO,
    ),
}
SETTLED = {PHOTO: ("verified", "VERIFIED", True), NOT_A_PHOTO: ("rejected", "REJECTED", False)}


def test_an_s3_fault_during_the_check_leaves_the_evidence_pending_and_the_retry_settles_it(
    api, claim, container, faults, stack
):
    for name, (operation, answer, attempts, fixture) in S3_FAULTS.items():
        key = upload(api, container, claim, fixture)
        before = table_state(container)
        faults.clear()
        faults.s3.inject(operation, answer)
        with pytest.raises(ServiceUnavailableError):  # Lambda's async retry takes over
            check(stack, container, key)
        assert faults.s3.attempts[operation] == (attempts or faults.s3.allowed), name
        assert stored(container, key), name  # never deleted before its verdict is recorded
        if operation == "DeleteObject":
            # The verdict is recorded before the bad file is deleted; the retry deletes it.
            assert evidence_status(container, claim, key) == "REJECTED", name
        else:
            # Not verified, not rejected, not deleted: nothing changed.
            assert evidence_status(container, claim, key) == "PENDING", name
            assert unchanged(container, before), name
        faults.clear()
        outcome, status, kept = SETTLED[fixture]
        assert check(stack, container, key) == outcome, name
        assert evidence_status(container, claim, key) == status, name
        assert stored(container, key) is kept, name
    assert problems_of(container, claim["order_id"]) == []


def test_a_failed_write_after_deleting_a_bad_file_still_ends_rejected(
    api, claim, container, faults, stack
):
    key = upload(api, container, claim, "not-a-photo.jpg")
    faults.dynamodb.inject("TransactWriteItems", json_error("InternalServerError", 500))
    with pytest.raises(ServiceUnavailableError):
        check(stack, container, key)
    assert evidence_status(container, claim, key) == "PENDING"
    faults.clear()
    outcome = check(stack, container, key)  # Lambda's retry
    assert problems_of(container, claim["order_id"]) == []
    FIGURES["known corrupted"] += outcome == "gone"
    assert (outcome, evidence_status(container, claim, key)) == ("rejected", "REJECTED")
