"""event_relay: the outbox. Carries each committed history entry from the table's stream to
the event bus as a domain event (docs/events.md), in order, retrying from the first failure."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from atelier.adapters.dynamodb import domain_event_from_stream_image
from atelier.bootstrap import Container, get_container
from atelier.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, container: Container | None = None
) -> dict[str, Any]:
    publisher = (container or get_container()).publisher

    def relay(record: DynamoDBRecord) -> None:
        image = (record.raw_event.get("dynamodb") or {}).get("NewImage")
        domain_event = domain_event_from_stream_image(image) if image else None
        if domain_event is None:
            return  # not a history entry (the subscription filter should not send these)
        publisher.publish(domain_event)
        logger.info(
            "event published",
            event_id=domain_event.event_id,
            event_type=domain_event.event_type,
            order_id=domain_event.order_id,
        )

    return dict(
        process_partial_response(
            event=event, record_handler=relay, processor=processor, context=context
        )
    )
