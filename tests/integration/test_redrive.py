"""`make redrive` against moto: every dead-letter queue of template.yaml has a way back, and each
kind of message a sender writes there goes back once, and only once in effect, however often it
is redriven (docs/redrive.md).

The template's real queues and functions are used (Deployment, under the integration `stack`
fixture); "Lambda Invoke" is the function's handler run in-process by FunctionHost, since moto
runs no Lambda code."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.ses.models import ses_backends

from atelier.adapters.items import to_item
from atelier.bootstrap import Container
from atelier.domain.events import DomainEvent
from infra import redrive
from infra.local import emulation
from infra.local.bus import BusDelivery
from infra.local.cfn import load_template_file
from infra.local.inprocess import ACCOUNT, REGION, TEMPLATE, object_created_event, streams_client
from infra.local.inprocess import bus_event as bus_event_of
from infra.local.inprocess import read_template as read_local_template
from infra.local.runtime import FunctionHost, import_handler, module_name_for
from infra.local.template import StackModel
from infra.redrive import (
    DEDUPE_WINDOW,
    InvocationFailed,
    RedriveError,
    Redriver,
    StackLocator,
    dead_letter_queues,
    is_prod,
)
from tests.factories import MONDAY_10AM, order_body, ring
from tests.integration.conftest import Api
from tests.integration.test_claims_api import FIXTURES, delivered, file_claim, ticket  # noqa: F401

# Queues the template declares that are not dead-letter queues (a work queue would be listed
# here, on purpose): none today.
NOT_DEAD_LETTER_QUEUES: set[str] = set()


# ---------------------------------------------------------------------------- the template


def test_every_queue_the_template_declares_is_a_dead_letter_queue_with_a_redrive_path() -> None:
    template = load_template_file(TEMPLATE)
    declared = {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::SQS::Queue"
    }
    found = dead_letter_queues(template)

    assert found.unknown == ()
    assert set(found.queues) == declared - NOT_DEAD_LETTER_QUEUES
    for queue in found.queues.values():
        assert queue.senders, queue.logical_id
    kinds = {q: {(s.kind, s.resource) for s in d.senders} for q, d in found.queues.items()}
    assert kinds == {
        "NotifierDeadLetterQueue": {
            ("eventbridge-target", "NotifierFunction"),
            ("lambda-async", "NotifierFunction"),
        },
        "EvidenceUploadDeadLetterQueue": {
            ("eventbridge-target", "EvidenceUploadFunction"),
            ("lambda-async", "EvidenceUploadFunction"),
        },
        "EventRelayDeadLetterQueue": {("stream", "EventRelayFunction")},
    }
    (relay,) = found.queues["EventRelayDeadLetterQueue"].senders
    assert relay.filters  # the mapping's filter is applied to the records read back


def test_a_dead_letter_sender_no_redrive_path_understands_is_reported() -> None:
    """A rule written as a plain AWS::Events::Rule, or a Kinesis mapping, has no redrive path
    yet: the template test above fails until one is written."""
    template = {
        "Resources": {
            "Dlq": {"Type": "AWS::SQS::Queue"},
            "KinesisDlq": {"Type": "AWS::SQS::Queue"},
            "Rule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "Targets": [
                        {"Id": "f", "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["Dlq", "Arn"]}}}
                    ]
                },
            },
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Policies": [{"Statement": [{"Resource": {"Fn::GetAtt": ["Dlq", "Arn"]}}]}],
                    "Events": {
                        "Feed": {
                            "Type": "Kinesis",
                            "Properties": {
                                "DestinationConfig": {
                                    "OnFailure": {
                                        "Destination": {"Fn::GetAtt": ["KinesisDlq", "Arn"]}
                                    }
                                }
                            },
                        }
                    },
                },
            },
        }
    }
    found = dead_letter_queues(template)
    assert found.queues == {}
    assert found.unknown == (
        "Rule.Targets.0.DeadLetterConfig.Arn → Dlq",
        "Fn.Events.Feed.Properties.DestinationConfig.OnFailure.Destination → KinesisDlq",
    )


def test_a_queue_is_named_by_its_short_name_or_logical_id_and_an_unknown_name_is_refused() -> None:
    found = redrive.load_dead_letters()
    assert found.find("notifier").logical_id == "NotifierDeadLetterQueue"
    assert found.find("EventRelayDeadLetterQueue").short_name == "event-relay"
    assert found.find("Evidence-Upload").logical_id == "EvidenceUploadDeadLetterQueue"
    with pytest.raises(RedriveError, match=r"no dead-letter queue 'mailer'; known: event-relay"):
        found.find("mailer")


def test_the_table_fallback_refuses_events_older_than_the_notifier_remembers(
    stack: StackModel,
) -> None:
    import_handler(stack.functions["NotifierFunction"])
    notifier = sys.modules[module_name_for(stack.functions["NotifierFunction"])]
    assert timedelta(seconds=notifier.KEEP_SECONDS) == DEDUPE_WINDOW


# ---------------------------------------------------------------------------- the emulation


class Emulated:
    """The Locator for the template's resources on moto: queues by the local stack's names."""

    def __init__(self, stack: StackModel, sqs: Any, stage: str = "dev") -> None:
        _model, self._resolver = read_local_template()
        self._stack, self._sqs = stack, sqs
        self.name, self.stage = "atelier-local", stage

    def physical_id(self, logical_id: str) -> str:
        if logical_id in self._stack.functions:
            return self._stack.functions[logical_id].function_name
        name = self._resolver.physical_name(logical_id)
        return str(self._sqs.get_queue_url(QueueName=name)["QueueUrl"])


class HostInvoker:
    """Lambda Invoke (RequestResponse) as the handler run in-process; a raised exception is the
    function error Lambda would answer."""

    def __init__(self, stack: StackModel, fail: set[str] | None = None) -> None:
        self._stack = stack
        self._host = FunctionHost(stack.functions)
        self.fail = fail if fail is not None else set()
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def invoke(self, function_name: str, event: dict[str, Any]) -> Any:
        spec = self._stack.function_named(function_name)
        assert spec is not None, function_name
        self.calls.append((function_name, event))
        if function_name in self.fail:
            raise InvocationFailed(function_name, "ServiceUnavailableError")
        try:
            return self._host.invoke(spec, json.loads(json.dumps(event)))
        except Exception as exc:
            raise InvocationFailed(function_name, type(exc).__name__) from exc


@pytest.fixture
def sqs(stack: StackModel) -> Any:
    return boto3.client("sqs", region_name=REGION)


@pytest.fixture
def locator(stack: StackModel, sqs: Any) -> Emulated:
    return Emulated(stack, sqs)


@pytest.fixture
def invoker(stack: StackModel) -> HostInvoker:
    return HostInvoker(stack)


def redriver(name: str, locator: Emulated, sqs: Any, invoker: Any, **kwargs: Any) -> Redriver:
    queue = redrive.load_dead_letters().find(name)
    return Redriver(queue, locator, sqs, invoker, wait_seconds=0, out=lambda _line: None, **kwargs)


def depth(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def visible(sqs: Any, url: str) -> int:
    answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(answer["Attributes"]["ApproximateNumberOfMessages"])


def emails() -> list[Any]:
    return list(ses_backends[ACCOUNT][REGION].sent_messages)


def bus_event(event: DomainEvent) -> dict[str, Any]:
    return bus_event_of(event.event_type, event.detail(), event.at)


def function_arn(function_name: str, qualifier: str = "") -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def dead_lettered_by_eventbridge(sqs: Any, url: str, event: dict[str, Any], target: str) -> None:
    """What EventBridge writes when it could not deliver to the target: the event itself, the
    reason in message attributes."""
    strings = {
        "RULE_ARN": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/atelier-dev/some-rule",
        "TARGET_ARN": function_arn(target),
        "ERROR_CODE": "Lambda.TooManyRequestsException",
        "ERROR_MESSAGE": "Rate Exceeded.",
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
        "RETRY_ATTEMPTS": "8",
    }
    sqs.send_message(
        QueueUrl=url,
        MessageBody=json.dumps(event),
        MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in strings.items()},
    )


def dead_lettered_by_lambda(sqs: Any, url: str, event: dict[str, Any], function: str) -> None:
    """What Lambda writes to an asynchronous invocation's on-failure destination."""
    record = {
        "version": "1.0",
        "timestamp": "2026-11-30T15:05:00.000Z",
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn(function, "$LATEST"),
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {"errorMessage": "SES is down", "errorType": "ServiceUnavailableError"},
    }
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))


def history_events(container: Container, order_id: str) -> list[DomainEvent]:
    from atelier.adapters.items import domain_event_from_stream_image

    answer = container.dynamodb.query(
        TableName=container.settings.table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :history)",
        ExpressionAttributeValues=to_item({":pk": f"ORDER#{order_id}", ":history": "HISTORY#"}),
    )
    events = [domain_event_from_stream_image(item) for item in answer["Items"]]
    return [e for e in events if e is not None]


@pytest.fixture
def placed(api: Api, container: Container) -> DomainEvent:
    ses_backends[ACCOUNT][REGION].sent_messages.clear()
    container.products.save(ring())
    reply = api.call("POST", "/orders", order_body())
    assert reply.status == 201, reply.raw
    (event,) = history_events(container, reply.json["order_id"])
    return event


# ---------------------------------------------------------------------------- the notifier


def test_notifier_dead_letters_of_both_kinds_send_one_email_however_often_redriven(
    placed: DomainEvent, locator: Emulated, sqs: Any, invoker: HostInvoker
) -> None:
    """Idempotent on detail.event_id: tests/integration/test_notifier.py::
    test_P11_an_event_delivered_three_times_sends_one_email."""
    url = locator.physical_id("NotifierDeadLetterQueue")
    notifier = locator.physical_id("NotifierFunction")
    for _ in range(2):  # the second time as if the first run's deletes were lost
        dead_lettered_by_eventbridge(sqs, url, bus_event(placed), notifier)
        dead_lettered_by_lambda(sqs, url, bus_event(placed), notifier)

        report = redriver("notifier", locator, sqs, invoker).run()

        assert [(o.kind, o.action, o.target) for o in report.outcomes] == [
            ("eventbridge-event", "redriven", notifier),
            ("async-record", "redriven", notifier),
        ]
        assert report.ok and depth(sqs, url) == 0
        assert len(emails()) == 1
    assert [name for name, _ in invoker.calls] == [notifier] * 4
    assert all(event["detail"]["event_id"] == placed.event_id for _, event in invoker.calls)


def test_a_dry_run_lists_ids_and_types_invokes_nothing_and_leaves_every_message_visible(
    placed: DomainEvent, locator: Emulated, sqs: Any, invoker: HostInvoker
) -> None:
    url = locator.physical_id("NotifierDeadLetterQueue")
    notifier = locator.physical_id("NotifierFunction")
    dead_lettered_by_eventbridge(sqs, url, bus_event(placed), notifier)
    dead_lettered_by_lambda(sqs, url, bus_event(placed), notifier)
    lines: list[str] = []

    runner = redriver("notifier", locator, sqs, invoker)
    runner.out = lines.append
    report = runner.run(dry_run=True)

    assert invoker.calls == [] and emails() == []
    assert [o.action for o in report.outcomes] == ["would-redrive"] * 2
    assert visible(sqs, url) == 2  # released at once, not after the visibility timeout
    assert all(f"OrderPlaced {placed.event_id}" in line for line in lines)
    assert all("dead-lettered 0 d 0 h ago" in line for line in lines)
    for personal in ("Ada", "ada@example.com", "Main St", "555"):
        assert personal not in "\n".join(lines)


def test_max_redrives_that_many_and_leaves_the_rest(
    placed: DomainEvent, locator: Emulated, sqs: Any, invoker: HostInvoker
) -> None:
    url = locator.physical_id("NotifierDeadLetterQueue")
    for _ in range(3):
        dead_lettered_by_eventbridge(
            sqs, url, bus_event(placed), locator.physical_id("NotifierFunction")
        )

    report = redriver("notifier", locator, sqs, invoker).run(limit=2)

    assert report.count("redriven") == 2
    assert depth(sqs, url) == 1 and len(emails()) == 1


def test_a_failed_invoke_keeps_its_message_and_stops_the_run_until_the_cause_is_fixed(
    placed: DomainEvent, locator: Emulated, sqs: Any, invoker: HostInvoker
) -> None:
    url = locator.physical_id("NotifierDeadLetterQueue")
    notifier = locator.physical_id("NotifierFunction")
    dead_lettered_by_lambda(sqs, url, bus_event(placed), notifier)
    dead_lettered_by_eventbridge(sqs, url, bus_event(placed), notifier)
    invoker.fail.add(notifier)

    report = redriver("notifier", locator, sqs, invoker).run()

    assert [o.action for o in report.outcomes] == ["failed"]  # the second was never tried
    assert not report.ok and visible(sqs, url) == 2
    invoker.fail.clear()
    assert redriver("notifier", locator, sqs, invoker).run().ok
    assert depth(sqs, url) == 0 and len(emails()) == 1


def test_messages_no_sender_writes_or_naming_another_function_are_left_in_the_queue(
    placed: DomainEvent, locator: Emulated, sqs: Any, invoker: HostInvoker
) -> None:
    url = locator.physical_id("NotifierDeadLetterQueue")
    sqs.send_message(QueueUrl=url, MessageBody="not json")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"hello": "world"}))
    staff_api = locator.physical_id("StaffApiFunction")
    dead_lettered_by_lambda(sqs, url, bus_event(placed), staff_api)
    dead_lettered_by_eventbridge(sqs, url, bus_event(placed), staff_api)

    report = redriver("notifier", locator, sqs, invoker).run()

    assert [o.action for o in report.outcomes] == ["left"] * 4
    assert all("sends no such failure here" in o.detail for o in report.outcomes[2:])
    assert not report.ok and invoker.calls == [] and visible(sqs, url) == 4


def test_a_stream_batch_record_in_the_wrong_queue_or_malformed_is_left(
    locator: Emulated, sqs: Any, invoker: HostInvoker
) -> None:
    batch = {"DDBStreamBatchInfo": {"shardId": "shardId-1"}}
    notifier_dlq = locator.physical_id("NotifierDeadLetterQueue")
    relay_dlq = locator.physical_id("EventRelayDeadLetterQueue")
    sqs.send_message(QueueUrl=notifier_dlq, MessageBody=json.dumps(batch))
    sqs.send_message(QueueUrl=relay_dlq, MessageBody=json.dumps(batch))

    wrong = redriver("notifier", locator, sqs, invoker).run()
    malformed = redriver("event-relay", locator, sqs, invoker, streams=streams_client()).run()

    assert [(o.action, o.detail) for o in wrong.outcomes] == [
        ("left", "no function sends that kind of failure to this queue; dead-lettered 0 d 0 h ago")
    ]
    assert [o.action for o in malformed.outcomes] == ["left"]
    assert malformed.outcomes[0].detail.startswith("malformed (KeyError)")
    assert invoker.calls == [] and visible(sqs, notifier_dlq) == visible(sqs, relay_dlq) == 1


# ---------------------------------------------------------------------------- evidence


def test_an_evidence_upload_dead_letter_verifies_the_upload_once(
    api: Api,
    delivered: dict[str, Any],  # noqa: F811
    stack: StackModel,
    container: Container,
    locator: Emulated,
    sqs: Any,
    invoker: HostInvoker,
) -> None:
    """Re-checking an upload changes nothing: tests/integration/test_claims_api.py::
    test_P10_full_claim_verified_submitted_approved_reshipped_resolved ("already_verified")."""
    claim = file_claim(api, delivered).json
    jpeg = (FIXTURES / "photo.jpg").read_bytes()
    reply, _ = ticket(api, delivered, claim, size=len(jpeg))
    key = f"claims/{claim['claim_id']}/{reply.json['evidence_id']}"
    bucket = container.settings.evidence_bucket
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=bucket, Key=key, Body=jpeg, ContentType="image/jpeg"
    )
    url = locator.physical_id("EvidenceUploadDeadLetterQueue")
    function = locator.physical_id("EvidenceUploadFunction")
    evidence = f"/orders/{delivered['order_id']}/claims/{claim['claim_id']}"
    assert [e["status"] for e in api.call("GET", evidence).json["evidence"]] == ["PENDING"]

    dead_lettered_by_eventbridge(sqs, url, object_created_event(bucket, key, len(jpeg)), function)
    first = redriver("evidence-upload", locator, sqs, invoker).run()
    dead_lettered_by_lambda(sqs, url, object_created_event(bucket, key, len(jpeg)), function)
    second = redriver("evidence-upload", locator, sqs, invoker).run()

    assert first.ok and second.ok and depth(sqs, url) == 0
    assert len(invoker.calls) == 2
    assert [e["status"] for e in api.call("GET", evidence).json["evidence"]] == ["VERIFIED"]


# ---------------------------------------------------------------------------- the stream


@pytest.fixture
def bus(stack: StackModel, container: Container) -> BusDelivery:
    """The bus's rules delivering to the notifier, as in AWS."""
    delivery = BusDelivery(
        stack.functions,
        boto3.client("events", region_name=REGION),
        boto3.client("sqs", region_name=REGION),
    )
    delivery.invoker = FunctionHost(stack.functions)
    return delivery


def stream_of(container: Container) -> tuple[str, str, list[dict[str, Any]]]:
    description = container.dynamodb.describe_table(TableName=container.settings.table_name)
    arn = description["Table"]["LatestStreamArn"]
    streams = streams_client()
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return arn, shard["ShardId"], streams.get_records(ShardIterator=iterator)["Records"]


def dead_lettered_by_the_stream_mapping(
    sqs: Any, url: str, function: str, arn: str, shard: str, records: list[dict[str, Any]]
) -> None:
    """What the event source mapping writes on failure: the batch's place in the stream, none
    of its records."""
    first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
    info = {
        "shardId": shard,
        "startSequenceNumber": first["SequenceNumber"],
        "endSequenceNumber": last["SequenceNumber"],
        "approximateArrivalOfFirstRecord": "2026-11-30T15:00:00Z",
        "approximateArrivalOfLastRecord": "2026-11-30T15:00:01Z",
        "batchSize": len(records),
        "streamArn": arn,
    }
    body = {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn(function),
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 11,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": "2026-11-30T16:00:00.000Z",
        "DDBStreamBatchInfo": info,
    }
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))


@pytest.fixture
def two_orders(api: Api, container: Container) -> list[str]:
    ses_backends[ACCOUNT][REGION].sent_messages.clear()
    container.products.save(ring())
    ids = []
    for _ in range(2):
        reply = api.call("POST", "/orders", order_body())
        assert reply.status == 201, reply.raw
        ids.append(reply.json["order_id"])
    return ids


def test_a_relay_batch_is_read_back_from_the_stream_and_each_event_emails_once(
    two_orders: list[str],
    container: Container,
    bus: BusDelivery,
    locator: Emulated,
    sqs: Any,
    invoker: HostInvoker,
) -> None:
    """The relay publishes the batch again; the notifier dedupes on event_id
    (test_notifier.py::test_the_local_bus_delivers_events_to_the_notifier_as_its_rules_say)."""
    arn, shard, records = stream_of(container)
    url = locator.physical_id("EventRelayDeadLetterQueue")
    relay = locator.physical_id("EventRelayFunction")
    expected = {e.event_id for oid in two_orders for e in history_events(container, oid)}
    for _ in range(2):  # redriven twice
        dead_lettered_by_the_stream_mapping(sqs, url, relay, arn, shard, records)

        report = redriver("event-relay", locator, sqs, invoker, streams=streams_client()).run()
        bus()

        assert report.ok and depth(sqs, url) == 0
        assert len(emails()) == 2  # one OrderPlaced email per order
    batches = [event["Records"] for _, event in invoker.calls]
    assert len(batches) == 2
    for batch in batches:  # only what the mapping's filter lets through: history entries
        assert {r["dynamodb"]["NewImage"]["type"]["S"] for r in batch} == {"HISTORY"}
        assert {r["dynamodb"]["NewImage"]["event_id"]["S"] for r in batch} == expected
        assert all(r["eventSourceARN"] == arn for r in batch)
    assert len(records) > len(batches[0])  # the order and due items were filtered out
    assert bus.events_delivered == {"OrderPlaced": 4}


@pytest.fixture
def stream_trimmed(container: Container) -> Iterator[None]:
    """A day and more later: the stream has dropped the records (24-hour retention)."""
    later = datetime.now(UTC) + timedelta(hours=25)
    emulation.set_stream_clock(lambda: later)
    try:
        container.dynamodb.put_item(
            TableName=container.settings.table_name,
            Item=to_item({"pk": "REDRIVE#probe", "sk": "x", "type": "PROBE"}),
        )
        yield
    finally:
        emulation.set_stream_clock(emulation._now_utc)


def test_a_relay_batch_past_the_streams_retention_stays_unless_the_table_fallback_is_asked(
    two_orders: list[str],
    container: Container,
    bus: BusDelivery,
    locator: Emulated,
    sqs: Any,
    invoker: HostInvoker,
    request: pytest.FixtureRequest,
) -> None:
    arn, shard, records = stream_of(container)
    records = [r for r in records if r["dynamodb"]["NewImage"]["type"]["S"] == "HISTORY"]
    request.getfixturevalue("stream_trimmed")
    url = locator.physical_id("EventRelayDeadLetterQueue")
    relay = locator.physical_id("EventRelayFunction")
    dead_lettered_by_the_stream_mapping(sqs, url, relay, arn, shard, records)
    two_days_later = MONDAY_10AM + timedelta(days=2)

    def runner() -> Redriver:
        return redriver(
            "event-relay",
            locator,
            sqs,
            invoker,
            streams=streams_client(),
            dynamodb=container.dynamodb,
            now=lambda: two_days_later,
        )

    kept = runner().run()
    assert [o.action for o in kept.outcomes] == ["left"]
    assert "no longer holds" in kept.outcomes[0].detail and invoker.calls == []

    for _ in range(2):  # redriven from the table twice
        if depth(sqs, url) == 0:
            dead_lettered_by_the_stream_mapping(sqs, url, relay, arn, shard, records)
        report = runner().run(from_table=True)
        bus()
        assert report.ok and depth(sqs, url) == 0
        assert len(emails()) == 2
    (batch, _again) = [event["Records"] for _, event in invoker.calls]
    ids = [r["dynamodb"]["NewImage"]["event_id"]["S"] for r in batch]
    assert set(ids) == {e.event_id for oid in two_orders for e in history_events(container, oid)}


def test_the_table_fallback_refuses_a_batch_older_than_the_notifiers_memory(
    two_orders: list[str],
    container: Container,
    locator: Emulated,
    sqs: Any,
    invoker: HostInvoker,
    request: pytest.FixtureRequest,
) -> None:
    arn, shard, records = stream_of(container)
    request.getfixturevalue("stream_trimmed")
    url = locator.physical_id("EventRelayDeadLetterQueue")
    dead_lettered_by_the_stream_mapping(
        sqs, url, locator.physical_id("EventRelayFunction"), arn, shard, records
    )
    report = redriver(
        "event-relay",
        locator,
        sqs,
        invoker,
        streams=streams_client(),
        dynamodb=container.dynamodb,
        now=lambda: MONDAY_10AM + timedelta(days=6, hours=1),
    ).run(from_table=True)

    assert [o.action for o in report.outcomes] == ["left"]
    assert "could email twice" in report.outcomes[0].detail
    assert invoker.calls == [] and visible(sqs, url) == 1


# ---------------------------------------------------------------------------- SQS → SQS

WORK_TEMPLATE = {
    "Resources": {
        "WorkQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": ["WorkDeadLetterQueue", "Arn"]},
                    "maxReceiveCount": 3,
                }
            },
        },
        "WorkDeadLetterQueue": {"Type": "AWS::SQS::Queue"},
    }
}


class Queues:
    name, stage = "atelier-test", "dev"

    def __init__(self, sqs: Any) -> None:
        self.urls = {}
        dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3})
        work = sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": policy})["QueueUrl"]
        self.urls = {"WorkQueue": work, "WorkDeadLetterQueue": dlq}

    def physical_id(self, logical_id: str) -> str:
        return self.urls[logical_id]


def work_redriver(sqs: Any, queues: Queues) -> Redriver:
    queue = dead_letter_queues(WORK_TEMPLATE).find("work")
    return Redriver(queue, queues, sqs, invoker=None, wait_seconds=0, out=lambda _l: None)  # type: ignore[arg-type]


def test_a_queues_dead_letters_move_back_by_hand_where_moto_lacks_start_message_move_task(
    sqs: Any,
) -> None:
    queues = Queues(sqs)
    dlq, work = queues.urls["WorkDeadLetterQueue"], queues.urls["WorkQueue"]
    for n in range(12):
        sqs.send_message(
            QueueUrl=dlq,
            MessageBody=json.dumps({"n": n}),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": f"k{n}"}},
        )

    first = work_redriver(sqs, queues).run(limit=5)
    assert first.count("moved") == 5 and depth(sqs, dlq) == 7
    rest = work_redriver(sqs, queues).run()
    assert any("StartMessageMoveTask is not implemented" in note for note in rest.notes)

    assert rest.count("moved") == 7 and depth(sqs, dlq) == 0
    moved = []
    while messages := sqs.receive_message(
        QueueUrl=work, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages"):
        moved += [
            (json.loads(m["Body"])["n"], m["MessageAttributes"]["kind"]["StringValue"])
            for m in messages
        ]
        sqs.delete_message_batch(
            QueueUrl=work,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
    assert sorted(moved) == [(n, f"k{n}") for n in range(12)]


def test_a_queues_dead_letters_move_with_start_message_move_task_where_sqs_has_it(
    sqs: Any,
) -> None:
    queues = Queues(sqs)
    sqs.send_message(QueueUrl=queues.urls["WorkDeadLetterQueue"], MessageBody="{}")
    started: list[dict[str, Any]] = []

    class WithMoveTask:
        def __getattr__(self, name: str) -> Any:
            return getattr(sqs, name)

        def start_message_move_task(self, **kwargs: Any) -> dict[str, Any]:
            started.append(kwargs)
            return {"TaskHandle": "handle-1"}

    report = work_redriver(WithMoveTask(), queues).run()  # type: ignore[arg-type]

    dlq_arn = sqs.get_queue_attributes(
        QueueUrl=queues.urls["WorkDeadLetterQueue"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert started == [{"SourceArn": dlq_arn}]  # back to each message's own source
    assert report.outcomes == [] and "task handle handle-1" in report.notes[0]
    assert depth(sqs, queues.urls["WorkDeadLetterQueue"]) == 1  # SQS moves it, not we


# ---------------------------------------------------------------------------- the command


def test_a_queue_that_does_not_exist_is_named_in_the_error(
    stack: StackModel, sqs: Any, invoker: HostInvoker
) -> None:
    class Missing(Emulated):
        def physical_id(self, logical_id: str) -> str:
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/gone-{logical_id}"

    with pytest.raises(
        RedriveError, match=r"queue NotifierDeadLetterQueue \(.*gone-.*\) cannot be read: "
    ):
        redriver("notifier", Missing(stack, sqs), sqs, invoker).run()
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    with pytest.raises(
        RedriveError, match="stack 'atelier-nope' has no resource NotifierDeadLetterQueue"
    ):
        StackLocator(cloudformation, "atelier-nope").physical_id("NotifierDeadLetterQueue")


@pytest.mark.parametrize(
    "stack_name, stage, production",
    [
        ("atelier-prod", "prod", True),
        ("atelier", "prod", True),
        ("atelier-production", "live", True),
        ("prod_atelier", None, True),
        ("atelier-dev", "dev", False),
        ("atelier-product-demo", "demo", False),
    ],
)
def test_prod_is_a_stage_or_a_word_of_the_stack_name(
    stack_name: str, stage: str | None, production: bool
) -> None:
    assert is_prod(stack_name, stage) is production


class FakeSession:
    """Only CloudFormation answers: the command must stop before touching anything else."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.asked: list[str] = []

    def client(self, service: str, **_: Any) -> Any:
        self.asked.append(service)
        assert service == "cloudformation", f"asked for {service} before the prod check"
        stage = self.stage

        class CloudFormation:
            def describe_stacks(self, StackName: str) -> dict[str, Any]:
                return {
                    "Stacks": [{"Parameters": [{"ParameterKey": "Stage", "ParameterValue": stage}]}]
                }

        return CloudFormation()


def test_the_command_refuses_a_prod_stage_without_the_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    session = FakeSession("prod")
    assert redrive.main(["notifier", "--stack", "atelier-shop", "--dry-run"], session) == 2
    assert "is production: pass --i-know-this-is-prod" in capsys.readouterr().err
    assert session.asked == ["cloudformation"]


def test_a_stack_names_its_queues_by_url_and_its_stage_once_asked(sqs: Any) -> None:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    body = {
        "Parameters": {"Stage": {"Type": "String"}},
        "Resources": {"NotifierDeadLetterQueue": {"Type": "AWS::SQS::Queue"}},
    }
    cloudformation.create_stack(
        StackName="atelier-staging",
        TemplateBody=json.dumps(body),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": "staging"}],
    )
    asked: list[str] = []
    cloudformation.meta.events.register(
        "before-call.cloudformation", lambda model, **_: asked.append(model.name)
    )
    stack = StackLocator(cloudformation, "atelier-staging")

    url = stack.physical_id("NotifierDeadLetterQueue")
    assert stack.physical_id("NotifierDeadLetterQueue") == url
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    assert stack.stage == "staging" and stack.stage == "staging"
    assert asked == ["DescribeStackResource", "DescribeStacks"]
    assert not is_prod(stack.name, stack.stage)
