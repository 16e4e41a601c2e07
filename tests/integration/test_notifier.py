"""The notifier against moto (P11): the EventBridge target handler, its idempotency on the
domain event id, SES through the real adapter, and the local stack's bus delivery."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyKeyError
from botocore.exceptions import ClientError
from moto.ses.models import ses_backends

from atelier.adapters.items import domain_event_from_stream_image, to_item
from atelier.bootstrap import Container
from atelier.domain.errors import ServiceUnavailableError
from atelier.domain.events import DomainEvent
from infra.local.bus import BusDelivery
from infra.local.inprocess import bus_event as bus_event_of
from infra.local.runtime import FunctionHost
from infra.local.template import StackModel
from tests.factories import order_body, ring
from tests.integration.conftest import Api

ACCOUNT, REGION = "123456789012", "us-east-1"


def sent() -> list[Any]:
    return list(ses_backends[ACCOUNT][REGION].sent_messages)


def envelope(event: DomainEvent) -> dict[str, Any]:
    return bus_event_of(event.event_type, event.detail(), event.at)


def published(container: Container, order_id: str, event_type: str) -> DomainEvent:
    """The domain event the relay publishes for an order's history entry."""
    answer = container.dynamodb.query(
        TableName=container.settings.table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :history)",
        ExpressionAttributeValues=to_item({":pk": f"ORDER#{order_id}", ":history": "HISTORY#"}),
    )
    events = [domain_event_from_stream_image(item) for item in answer["Items"]]
    matching = [e for e in events if e is not None and e.event_type == event_type]
    assert len(matching) == 1
    return matching[0]


def idempotency_records(container: Container) -> list[dict[str, Any]]:
    table = container.settings.idempotency_table_name
    assert table
    items: list[dict[str, Any]] = container.dynamodb.scan(TableName=table)["Items"]  # a test
    return items


@pytest.fixture
def placed(api: Api, container: Container) -> DomainEvent:
    ses_backends[ACCOUNT][REGION].sent_messages.clear()
    container.products.save(ring())
    reply = api.call("POST", "/orders", order_body())
    assert reply.status == 201, reply.raw
    return published(container, reply.json["order_id"], "OrderPlaced")


@pytest.fixture
def notifier(stack: StackModel) -> Iterator[Any]:
    host = FunctionHost(stack.functions)
    function = stack.functions["NotifierFunction"]
    yield lambda event: host.invoke(function, event)


def test_P11_an_event_delivered_three_times_sends_one_email(
    placed: DomainEvent, notifier: Any, container: Container
) -> None:
    results = [notifier(envelope(placed)) for _ in range(3)]

    messages = sent()
    assert len(messages) == 1
    assert messages[0].destinations == {"ToAddresses": ["ada@example.com"]}
    assert messages[0].source == "orders@shop.example.com"
    assert placed.order_id in messages[0].subject and "$139.00" in messages[0].subject
    assert "$139.00" in messages[0].body
    assert results == [{"event_id": placed.event_id, "sent": 1, "kinds": ["customer"]}] * 3
    assert len(idempotency_records(container)) == 1


def test_a_throttled_send_raises_for_a_retry_and_is_not_marked_done(
    placed: DomainEvent, notifier: Any, container: Container
) -> None:
    client = container.email_sender._client  # type: ignore[attr-defined]

    def throttled(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate"}},
            "SendEmail",
        )

    client.meta.events.register("before-call.sesv2.SendEmail", throttled)
    with pytest.raises(ServiceUnavailableError):
        notifier(envelope(placed))
    assert sent() == []
    assert idempotency_records(container) == []

    client.meta.events.unregister("before-call.sesv2.SendEmail", throttled)
    notifier(envelope(placed))  # EventBridge's retry
    assert len(sent()) == 1


def test_an_event_without_a_domain_event_id_is_refused(notifier: Any, placed: DomainEvent) -> None:
    broken = envelope(placed)
    del broken["detail"]["event_id"]
    with pytest.raises(IdempotencyKeyError):
        notifier(broken)
    assert sent() == []


def test_the_local_bus_delivers_events_to_the_notifier_as_its_rules_say(
    stack: StackModel, container: Container, placed: DomainEvent
) -> None:
    bus = BusDelivery(
        stack.functions,
        boto3.client("events", region_name=REGION),
        boto3.client("sqs", region_name=REGION),
    )
    bus.invoker = FunctionHost(stack.functions)
    assert bus.rule_count == sum(len(f.rules) for f in stack.functions.values())

    container.publisher.publish(placed)
    container.publisher.publish(placed)  # a re-sent event: a new EventBridge id, one email
    not_emailed = DomainEvent(**{**placed.__dict__, "event_id": "evt_x", "event_type": "Other"})
    container.publisher.publish(not_emailed)  # no rule matches: never delivered
    bus()

    assert len(sent()) == 1
    bus()  # drained: nothing more
    assert len(sent()) == 1


def test_the_local_bus_retries_a_failing_event_then_dead_letters_it(
    stack: StackModel,
    container: Container,
    placed: DomainEvent,
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []

    class Failing:
        def invoke(self, function: Any, event: dict[str, Any]) -> Any:
            calls.append(event["detail"]["event_id"])
            raise ServiceUnavailableError("SES is down")

    bus = BusDelivery(
        stack.functions,
        boto3.client("events", region_name=REGION),
        boto3.client("sqs", region_name=REGION),
    )
    bus.invoker = Failing()
    container.publisher.publish(placed)
    with caplog.at_level(logging.ERROR, logger="local_stack"):
        bus()

    assert calls == [placed.event_id] * 3  # the first attempt and Lambda's 2 retries
    assert "dead-lettered after 3 attempts" in caplog.text
    bus()
    assert len(calls) == 3  # gone from the queue


def test_a_keyed_order_and_the_notifier_share_a_process_without_sharing_idempotency(
    stack: StackModel, container: Container, api: Any
) -> None:
    """On the local stack every function runs in one process: orders_api's Idempotency-Key and
    the notifier's event ids must each keep their own idempotency configuration."""
    from tests.factories import order_body, ring

    container.products.save(ring())
    placed = api.call("POST", "/orders", order_body(), headers={"Idempotency-Key": "k-1"})
    assert placed.status == 201, placed.raw
    event = DomainEvent(
        event_id="evt_shared_process",
        event_type="OrderPlaced",
        order_id=placed.json["order_id"],
        version=1,
        at="2026-11-30T15:00:00Z",
        actor="customer",
        from_status=None,
        to_status="PENDING_PAYMENT",
        data={"total_cents": 13900},
    )
    function = stack.functions["NotifierFunction"]
    FunctionHost(stack.functions).invoke(function, {"detail": event.detail()})
    assert len(sent()) == 1
    again = api.call("POST", "/orders", order_body(), headers={"Idempotency-Key": "k-2"})
    assert again.status == 201, again.raw
