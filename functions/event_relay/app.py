"""event_relay: the outbox. Carries each committed history entry (and posted message) from the
table's stream to the event bus as a domain event (docs/events.md), strictly in stream order:
at the first record that cannot be published it stops and reports that record, so Lambda
retries from there and no later event overtakes it. Consumers dedupe on `event_id`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from atelier.bootstrap import Container, get_container
from atelier.entry import lambda_entry
from atelier.observability import logger
from atelier.services.figures import count_figures


@lambda_entry(needs=("event_bus_name",))
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, container: Container | None = None
) -> dict[str, Any]:
    container = container or get_container()
    publisher, outbox = container.publisher, container.outbox
    for record in event.get("Records", []):
        stream = record.get("dynamodb") or {}
        image = stream.get("NewImage")
        domain_event = outbox.event_in(image) if image else None
        if domain_event is None:
            continue  # not an event item (the subscription's filter should not send these)
        try:
            publisher.publish(domain_event)
        except Exception as exc:
            logger.error(
                "event not published; the batch resumes here",
                event_id=domain_event.event_id,
                error_type=type(exc).__name__,
            )
            return {"batchItemFailures": [{"itemIdentifier": stream.get("SequenceNumber")}]}
        # Counted once published: Lambda retries from the reported record, not before it.
        count_figures(domain_event)
        logger.info(
            "event published",
            event_id=domain_event.event_id,
            event_type=domain_event.event_type,
            order_id=domain_event.order_id,
        )
    return {"batchItemFailures": []}
