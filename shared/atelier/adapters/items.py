"""DynamoDB attribute maps and plain values, and the table stream's images as domain events.

Apart from the DynamoDB adapter, which needs the whole order domain (and pydantic, through the
catalog), so that event_relay's cold start loads only what relaying needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from atelier.domain.events import DomainEvent, EventType

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values to a DynamoDB attribute map; None values are left out."""
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value


def domain_event_from_stream_image(image: Mapping[str, Any]) -> DomainEvent | None:
    """The domain event a table stream's NEW_IMAGE carries: a history entry's, or a posted
    message's (its text stays in the table: events carry no personal data)."""
    values = from_item(image)
    if values.get("type") == "MESSAGE":
        return DomainEvent(
            event_id=values["event_id"],
            event_type=EventType.MESSAGE_POSTED,
            order_id=values["order_id"],
            version=0,
            at=values["at"],
            actor=values["author"],
            from_status=None,
            to_status="",
            data={"message_id": values["message_id"], "author": values["author"]},
        )
    if values.get("type") != "HISTORY":
        return None
    return DomainEvent(
        event_id=values["event_id"],
        event_type=values["event_type"],
        order_id=values["order_id"],
        version=values["version"],
        at=values["at"],
        actor=values["actor"],
        from_status=values.get("from_status"),
        to_status=values["to_status"],
        data=values.get("data", {}),
    )


class StreamOutbox:
    """The Outbox port over the table's stream images."""

    def event_in(self, new_image: Mapping[str, Any]) -> DomainEvent | None:
        return domain_event_from_stream_image(new_image)
