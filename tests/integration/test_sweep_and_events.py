"""The expiry sweep's schedule and the outbox relay against moto (P3, P11, domain events)."""

import json
from datetime import timedelta

import boto3
import pytest

from atelier.adapters.stripe_signature import sign_payload
from infra.local.cfn import load_template_file
from infra.local.inprocess import ROOT, streams_client
from infra.local.runtime import FunctionHost
from infra.local.streams import StreamReader, passes_filters
from tests.factories import order_body, ring, stripe_session_event
from tests.integration.conftest import WEBHOOK_SECRET, invoke_schedule


@pytest.fixture
def place(api, container):
    container.products.save(ring())

    def place_order():
        reply = api.call("POST", "/orders", order_body())
        assert reply.status == 201
        return reply.json

    return place_order


WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def count_writes(container):
    """Every write request the functions send from now on (an overwrite counts too)."""
    seen = []
    container.dynamodb.meta.events.register(
        "before-call.dynamodb", lambda model, **_: seen.append(model.name)
    )
    return lambda: sum(1 for name in seen if name in WRITES)


def test_P3_sweep_at_deadline_minus_one_second_leaves_it_and_plus_one_expires_it(
    api, place, clock, stack, container
):
    order = place()
    clock.advance(hours=24, seconds=-1)
    assert invoke_schedule(stack, "expiry_sweep")["expired"] == 0
    assert api.call("GET", f"/orders/{order['order_id']}").json["status"] == "PENDING_PAYMENT"
    clock.advance(seconds=2)
    assert invoke_schedule(stack, "expiry_sweep")["expired"] == 1
    assert api.call("GET", f"/orders/{order['order_id']}").json["status"] == "EXPIRED"
    writes = count_writes(container)
    again = invoke_schedule(stack, "expiry_sweep")
    assert (again["expired"], again["failed"]) == (0, 0)
    assert writes() == 0


def test_P11_the_sweep_sends_one_payment_reminder(place, clock, stack):
    place()
    clock.advance(hours=20)
    assert invoke_schedule(stack, "expiry_sweep")["reminded"] == 1
    assert invoke_schedule(stack, "expiry_sweep")["reminded"] == 0


def test_the_sweep_reads_only_due_entries_however_many_orders_exist(place, clock, stack):
    for _ in range(5):
        place()
    clock.advance(hours=1)
    report = invoke_schedule(stack, "expiry_sweep")
    assert report == {
        "expired": 0,
        "paid": 0,
        "reminded": 0,
        "lapsed": 0,
        "warned": 0,
        "late": 0,
        "skipped": 0,
        "lost_races": 0,
        "failed": 0,
        "failures": [],
    }


def relay_stream(stack, container):
    """Deliver the table's stream to event_relay as its event source mapping would."""
    template = load_template_file(ROOT / "template.yaml")
    subscription = template["Resources"]["EventRelayFunction"]["Properties"]["Events"]
    filters = subscription["HistoryStream"]["Properties"]["FilterCriteria"]["Filters"]
    description = container.dynamodb.describe_table(TableName=container.settings.table_name)
    # botocore 1.44 sends DynamoDB Streams to an account-based host moto does not route yet.
    streams = streams_client()
    reader = StreamReader(
        streams,
        description["Table"]["LatestStreamArn"],
        "us-east-1",
    )
    records = [r for r in reader.read() if passes_filters(r, filters)]
    function = stack.functions["EventRelayFunction"]
    result = FunctionHost(stack.functions).invoke(function, {"Records": records})
    return records, result


@pytest.fixture
def bus_queue(container, stack):
    """Everything the bus receives from atelier, captured in a queue."""
    events = boto3.client("events", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    bus = stack.functions["EventRelayFunction"].environment["EVENT_BUS_NAME"]
    url = sqs.create_queue(QueueName="captured")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="capture", EventBusName=bus, EventPattern='{"source": ["atelier.orders"]}')
    events.put_targets(Rule="capture", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    def received():
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in messages.get("Messages", [])]

    return received


def test_committed_history_reaches_the_bus_once_as_domain_events_without_personal_data(
    api, place, clock, stack, container, bus_queue
):
    order = place()
    raw = json.dumps(stripe_session_event(order, created=int(clock.now().timestamp()))).encode()
    signature = sign_payload(raw, WEBHOOK_SECRET, int(clock.now().timestamp()))
    for _ in range(3):  # the provider retries: one transition, one event
        api.call(
            "POST",
            "/webhooks/payments",
            raw=raw,
            as_user=None,
            headers={"Stripe-Signature": signature},
        )
    records, result = relay_stream(stack, container)
    assert result == {"batchItemFailures": []}
    assert all(r["dynamodb"]["NewImage"]["type"]["S"] == "HISTORY" for r in records)
    events = bus_queue()
    assert [e["detail-type"] for e in events] == ["OrderPlaced", "PaymentConfirmed"]
    details = [e["detail"] for e in events]
    assert len({d["event_id"] for d in details}) == 2
    assert details[1]["to_status"] == "IN_PRODUCTION"
    assert details[1]["data"]["ship_by"] == "2026-12-07"
    text = json.dumps(events)
    for personal in ("Ada", "ada@example.com", "Main St", "555"):
        assert personal not in text


def bus_fails_once(monkeypatch):
    """The bus refuses the next event, then accepts every one."""
    from atelier.adapters.eventbridge import EventBridgePublisher
    from atelier.domain.errors import ServiceUnavailableError

    real_publish = EventBridgePublisher.publish
    failures = {"left": 1}

    def flaky(self, event):
        if failures["left"]:
            failures["left"] -= 1
            raise ServiceUnavailableError("bus down")
        return real_publish(self, event)

    monkeypatch.setattr(EventBridgePublisher, "publish", flaky)


def test_a_failed_put_is_reported_so_lambda_retries_from_that_record(
    stack, container, place, monkeypatch, bus_queue
):
    """Lambda re-sends from the first reported record; consumers dedupe on event_id."""
    place()
    place()
    bus_fails_once(monkeypatch)
    records, result = relay_stream(stack, container)
    assert len(records) == 2
    first = records[0]["dynamodb"]["SequenceNumber"]
    assert result == {"batchItemFailures": [{"itemIdentifier": first}]}
    retried = FunctionHost(stack.functions).invoke(
        stack.functions["EventRelayFunction"], {"Records": records}
    )
    assert retried == {"batchItemFailures": []}
    ids = [e["detail"]["event_id"] for e in bus_queue()]
    assert len(set(ids)) == 2  # every event arrived; the re-sent one is a duplicate by id


def test_the_relay_counts_the_business_figures_of_what_it_published_once(
    stack, container, place, monkeypatch, bus_queue
):
    """A record the bus refused is not counted; Lambda's retry from it counts it once."""
    from atelier.observability import metrics

    place()
    place()
    bus_fails_once(monkeypatch)
    metrics.clear_metrics()  # metrics are disabled here, so what was counted stays readable
    records, result = relay_stream(stack, container)
    assert result["batchItemFailures"]
    assert "OrdersPlaced" not in metrics.metric_set

    FunctionHost(stack.functions).invoke(
        stack.functions["EventRelayFunction"], {"Records": records}
    )
    counted = {name: list(m["Value"]) for name, m in metrics.metric_set.items()}
    assert counted == {"OrdersPlaced": [1.0, 1.0]}
    metrics.clear_metrics()


def test_the_due_index_holds_only_open_deadlines(place, container, clock):
    order = place()
    due = list(container.orders.due("PAYMENT", clock.now() + timedelta(days=2)))
    assert due == [order["order_id"]]
    assert list(container.orders.due("PAYMENT", clock.now())) == []
