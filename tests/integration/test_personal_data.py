"""P6: personal data never appears in logs (docs/reliability.md, part 5, the log scan).

Every flow of the product runs through the emulated API Gateway, the payment webhook, the
evidence check, the schedules, the table stream (event_relay) and the bus (notifier), with
canary values in every personal field and in the Stripe-Signature header. Every log line is
captured and none may hold a canary:

- the service logger's JSON lines, read from the stream its handler writes to (what CloudWatch
  would receive), at DEBUG, stricter than the template's default INFO;
- every other logger (boto, powertools utilities, the local stack) at INFO, the level Lambda
  gives the root logger, exception tracebacks included;
- anything written to stdout or stderr directly.

A sanity check proves the canaries really went through (they come back in the staff view,
the customer's emails are addressed with them) and that the capture saw every function log.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.ses.models import ses_backends

from atelier import observability
from atelier.adapters.stripe_signature import sign_payload
from infra.local.bus import BusDelivery
from infra.local.inprocess import Reply, object_created_event, streams_client
from infra.local.runtime import FunctionHost
from infra.local.streams import StreamDelivery
from infra.local.template import StackModel
from tests.factories import order_body, ring, stripe_session_event
from tests.integration.conftest import WEBHOOK_SECRET, Api, invoke_schedule

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evidence"
REGION = "us-east-1"
CUSTOMER = "cust-pd"  # a pseudonymous id may be logged; the email in its token may not
TOKEN_EMAIL = f"{CUSTOMER}@example.com"  # how the test API's tokens carry the email claim

CANARIES = {
    "name": "CANARY-NAME-7f3a",
    "email": "canary-email-7f3a@example.com",
    "phone": "+1 (202) 555-7391",
    "line1": "12 CANARY-LINE1-7f3a",
    "line2": "Apt CANARY-LINE2-7f3a",
    "city": "CANARY-CITY-7f3a",
    "region": "CANARY-REGION-7f3a",
    "postal_code": "CNRY-ZIP-7F3A",
    "remarks": "CANARY-REMARKS-7f3a: a thinner band, please",
    "expression": "CANARY-EXPR-7f3a",
    "signature": "CANARY-SIG-7f3a",
    "message": "CANARY-MSG-7f3a: my neighbour will sign for it",
    "claim": "CANARY-CLAIM-7f3a: the stone fell out",
    "filename": "CANARY-FILE-7f3a.jpg",
    "token_email": TOKEN_EMAIL,
}
# A leak may be reformatted: the phone's digits alone, the email's local part.
SEARCHED = {
    **CANARIES,
    "phone_digits": "2025557391",
    "email_local_part": "canary-email-7f3a",
}
SEARCH = re.compile("|".join(re.escape(v) for v in SEARCHED.values()), re.IGNORECASE)
BEARER = re.compile(r"Bearer\s+ey", re.IGNORECASE)  # a caller's token is no log material either


# ------------------------------------------------------------------------ the capture


class RecordLines(logging.Handler):
    """Every other logger's records that reach the root logger, formatted with their extras
    and traceback. (The service logger's own lines are read from its stream instead.)"""

    STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def __init__(self, service: str) -> None:
        super().__init__(logging.NOTSET)
        self.service = service
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == self.service:
            return
        extras = {k: v for k, v in vars(record).items() if k not in self.STANDARD}
        self.lines.append(f"{self.format(record)} {json.dumps(extras, default=str)}")


@dataclass
class Captured:
    service: io.StringIO
    records: RecordLines
    capfd: pytest.CaptureFixture[str]
    outputs: list[str] = field(default_factory=list)

    def by_source(self) -> dict[str, list[str]]:
        out, err = self.capfd.readouterr()
        self.outputs += [out, err]
        sources = {
            "service logger (JSON)": self.service.getvalue().splitlines(),
            "other loggers": self.records.lines,
            "stdout/stderr": "".join(self.outputs).splitlines(),
        }
        return {name: [line for line in lines if line.strip()] for name, lines in sources.items()}


@pytest.fixture
def captured(capfd: pytest.CaptureFixture[str]) -> Iterator[Captured]:
    service_logger = logging.getLogger(observability.logger.name)
    handler = observability.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler), handler
    buffer = io.StringIO()
    previous_stream = handler.setStream(buffer)
    root = logging.getLogger()
    records = RecordLines(service_logger.name)
    levels = (root.level, service_logger.level)
    root.addHandler(records)
    root.setLevel(logging.INFO)
    service_logger.setLevel(logging.DEBUG)
    try:
        yield Captured(buffer, records, capfd)
    finally:
        root.removeHandler(records)
        root.setLevel(levels[0])
        service_logger.setLevel(levels[1])
        handler.setStream(previous_stream)


# ------------------------------------------------------------------------ the flows


@dataclass
class Flows:
    api: Api
    clock: Any
    stack: StackModel
    container: Any
    replies: list[Reply] = field(default_factory=list)

    def call(self, method: str, target: str, body: Any = None, **kwargs: Any) -> Reply:
        reply = self.api.call(method, target, body, as_user=CUSTOMER, **kwargs)
        self.replies.append(reply)
        return reply

    def staff(self, method: str, target: str, body: Any = None) -> Reply:
        reply = self.api.staff(method, target, body)
        self.replies.append(reply)
        return reply

    def place(self, **changes: Any) -> dict[str, Any]:
        reply = self.call("POST", "/orders", canary_order(**changes))
        assert reply.status == 201, reply.raw
        return reply.json  # type: ignore[no-any-return]

    def webhook(self, raw: bytes, signature: str) -> Reply:
        reply = self.api.call(
            "POST",
            "/webhooks/payments",
            raw=raw,
            as_user=None,
            headers={"Stripe-Signature": signature},
        )
        self.replies.append(reply)
        return reply

    def pay(self, order: dict[str, Any], amount: int | None = None, suffix: str = "") -> None:
        now = int(self.clock.now().timestamp())
        event = stripe_session_event(
            order,
            created=now,
            event_id=f"evt_{order['order_id']}{suffix}",
            amount=amount,
            payment_intent=f"pi_{order['order_id']}{suffix}",
        )
        raw = json.dumps(event).encode()
        # Any v1 may match (secret rotation): the canary rides along as an extra, wrong one.
        signature = f"{sign_payload(raw, WEBHOOK_SECRET, now)},v1={CANARIES['signature']}"
        reply = self.webhook(raw, signature)
        assert reply.status == 200 and reply.json["outcome"] == "confirmed", reply.raw

    def upload_evidence(self, key: str, data: bytes) -> Any:
        """The object lands in S3 as the presigned POST puts it; S3's event reaches the
        evidence function as EventBridge delivers it."""
        bucket = self.container.settings.evidence_bucket
        boto3.client("s3", region_name=REGION).put_object(
            Bucket=bucket, Key=key, Body=data, ContentType="image/jpeg"
        )
        event = object_created_event(bucket, key, len(data))
        function = self.stack.functions["EvidenceUploadFunction"]
        return FunctionHost(self.stack.functions).invoke(function, event)


def canary_order(**changes: Any) -> dict[str, Any]:
    body = order_body(
        customization={
            "style": "oval",
            "color": "gold",
            "expression": CANARIES["expression"],
            "remarks": CANARIES["remarks"],
        },
        contact={"name": CANARIES["name"], "email": CANARIES["email"], "phone": CANARIES["phone"]},
        shipping_address={
            "line1": CANARIES["line1"],
            "line2": CANARIES["line2"],
            "city": CANARIES["city"],
            "region": CANARIES["region"],
            "postal_code": CANARIES["postal_code"],
            "country": "US",
        },
    )
    body.update(changes)
    return body


def deliveries(stack: StackModel, container: Any) -> tuple[StreamDelivery, BusDelivery]:
    """The table stream → event_relay and the bus → notifier, wired as the local stack wires
    them; created before the flows, so they deliver everything the flows write."""
    host = FunctionHost(stack.functions)
    settings = container.settings
    streams = StreamDelivery(
        stack.functions,
        {"AtelierTable": settings.table_name, "IdempotencyTable": settings.idempotency_table_name},
        container.dynamodb,
        # botocore sends DynamoDB Streams to an account-based host moto does not route yet.
        streams_client(),
        REGION,
    )
    bus = BusDelivery(
        stack.functions,
        boto3.client("events", region_name=REGION),
        boto3.client("sqs", region_name=REGION),
    )
    streams.invoker = bus.invoker = host
    return streams, bus


def run_every_flow(flows: Flows) -> None:
    clock = flows.clock

    # Placing: with an idempotency key (and its replay), and a refused body full of canaries.
    key = {"Idempotency-Key": "pd-order-1"}
    first = flows.call("POST", "/orders", canary_order(), headers=key)
    assert first.status == 201, first.raw
    assert flows.call("POST", "/orders", canary_order(), headers=key).status == 201
    refused = flows.call("POST", "/orders", canary_order(price_cents=1))
    assert refused.status == 422
    order = first.json
    oid = order["order_id"]

    # Paying: a forged signature carrying a canary is refused, then a good one (plus a canary).
    raw = json.dumps(stripe_session_event(order, created=int(clock.now().timestamp()))).encode()
    forged = f"t={int(clock.now().timestamp())},v1={CANARIES['signature']}"
    assert flows.webhook(raw, forged).status == 400
    flows.pay(order)

    # The consultation (P8), a surcharge asked, accepted and paid (P5).
    assert (
        flows.call("POST", f"/orders/{oid}/messages", {"text": CANARIES["message"]}).status == 201
    )
    assert flows.staff("POST", f"/staff/orders/{oid}/messages", {"text": "How thin?"}).status == 201
    asked = flows.staff(
        "POST",
        f"/staff/orders/{oid}/review",
        {"decision": "SURCHARGE", "surcharge_cents": 2500, "note": "A new mold"},
    )
    assert asked.status == 200, asked.raw
    accepted = flows.call("POST", f"/orders/{oid}/surcharge/accept")
    assert accepted.status == 200, accepted.raw
    flows.pay(accepted.json, amount=2500, suffix="_surcharge")

    # A surcharge the customer declines; a request the designer declines (refunds).
    declined = flows.place()
    flows.pay(declined)
    flows.staff(
        "POST",
        f"/staff/orders/{declined['order_id']}/review",
        {"decision": "SURCHARGE", "surcharge_cents": 900, "note": "Extra polish"},
    )
    reply = flows.call("POST", f"/orders/{declined['order_id']}/surcharge/decline")
    assert reply.status == 200 and reply.json["status"] == "CANCELLED", reply.raw
    refused_design = flows.place()
    flows.pay(refused_design)
    reply = flows.staff(
        "POST",
        f"/staff/orders/{refused_design['order_id']}/review",
        {"decision": "DECLINE", "note": "We cannot make this"},
    )
    assert reply.status == 200 and reply.json["status"] == "CANCELLED", reply.raw

    # Delay (P7), ship, deliver.
    for action, body in (
        ("delay", {"reason": "The setter is out", "expected_ship_date": "2026-12-15"}),
        ("ship", {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}),
        ("deliver", {"delivered_at": clock.now().isoformat()}),
    ):
        reply = flows.staff("POST", f"/staff/orders/{oid}/{action}", body)
        assert reply.status == 200, (action, reply.raw)

    # A claim with a photo (P9, P10), submitted and approved.
    claim = flows.call(
        "POST", f"/orders/{oid}/claims", {"reason": "DAMAGED", "description": CANARIES["claim"]}
    )
    assert claim.status == 201, claim.raw
    cid = claim.json["claim_id"]
    photo = (FIXTURES / "photo.jpg").read_bytes()
    ticket = flows.call(
        "POST",
        f"/orders/{oid}/claims/{cid}/evidence",
        {"filename": CANARIES["filename"], "content_type": "image/jpeg", "size_bytes": len(photo)},
    )
    assert ticket.status == 201, ticket.raw
    checked = flows.upload_evidence(f"claims/{cid}/{ticket.json['evidence_id']}", photo)
    assert checked["outcome"] == "verified", checked
    assert flows.call("POST", f"/orders/{oid}/claims/{cid}/submit").status == 200
    flows.staff("GET", "/staff/claims?status=SUBMITTED")
    decided = flows.staff(
        "POST",
        f"/staff/claims/{cid}/decision",
        {"decision": "APPROVE", "resolution": "REMAKE", "shipping_cost_cents": 1600},
    )
    assert decided.status == 200, decided.raw

    # Reading everything back, as the customer and as staff.
    flows.call("GET", "/orders")
    flows.call("GET", f"/orders/{oid}")
    flows.call("GET", f"/orders/{oid}/messages")
    flows.call("GET", f"/orders/{oid}/claims/{cid}")
    flows.staff("GET", "/staff/orders?status=IN_PRODUCTION")
    flows.staff("GET", f"/staff/orders/{oid}")

    # An order left unpaid: the reminder, then the expiry; the ship-by watch.
    flows.place()
    clock.advance(hours=20)
    assert invoke_schedule(flows.stack, "expiry_sweep")["reminded"] == 1
    clock.advance(hours=5)
    assert invoke_schedule(flows.stack, "expiry_sweep")["expired"] == 1
    invoke_schedule(flows.stack, "sla_watch")


# ------------------------------------------------------------------------ the test


def test_P6_no_log_line_of_any_flow_holds_personal_data(
    api: Api, clock: Any, stack: StackModel, container: Any, captured: Captured
) -> None:
    ses_backends["123456789012"][REGION].sent_messages.clear()
    container.products.save(ring())
    streams, bus = deliveries(stack, container)
    flows = Flows(api, clock, stack, container)

    run_every_flow(flows)
    streams()  # history → event_relay → the bus
    bus()  # the bus → notifier → SES

    # Sanity: the canaries went through (the filename, signature and token email are never
    # answered back: their requests were accepted above), and the capture saw every function.
    answered = "\n".join(r.raw.decode("utf-8", "replace") for r in flows.replies)
    never_answered = {"filename", "signature", "token_email"}
    for name in CANARIES.keys() - never_answered:
        assert CANARIES[name] in answered, f"the {name} canary never came back"
    emails = ses_backends["123456789012"][REGION].sent_messages
    to_customer = [m for m in emails if m.destinations["ToAddresses"] == [CANARIES["email"]]]
    assert len(to_customer) >= 10, [m.subject for m in emails]
    sources = captured.by_source()
    lines = [line for found in sources.values() for line in found]
    text = "\n".join(lines)
    for seen in (
        "order placed",
        "payment event applied",
        "webhook signature rejected",
        "review decided",
        "claim filed",
        "scheduled run finished",
    ):
        assert seen in text, f"no {seen!r} line: the capture misses a logger"
    logged = {json.loads(line).get("function_name") for line in sources["service logger (JSON)"]}
    silent = {f.function_name for f in stack.functions.values()} - logged
    assert not silent, f"functions whose log lines the capture never saw: {silent}"

    leaks = [line for line in lines if SEARCH.search(line) or BEARER.search(line)]
    counts = ", ".join(f"{len(found)} {name}" for name, found in sources.items())
    print(
        f"\npersonal data in logs: {len(lines)} log lines scanned ({counts}; "
        f"{len(flows.replies)} requests, {len(emails)} emails), {len(leaks)} leaks"
    )
    assert not leaks, "\n".join(leaks[:20])
