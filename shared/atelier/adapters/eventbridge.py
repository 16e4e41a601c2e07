"""Publishing domain events to the EventBridge bus."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from atelier.adapters.sdk_errors import translated_errors
from atelier.domain.errors import ServiceUnavailableError
from atelier.domain.events import SOURCE, DomainEvent

if TYPE_CHECKING:
    from mypy_boto3_events.client import EventBridgeClient


class EventBridgePublisher:
    def __init__(self, client: EventBridgeClient, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, event: DomainEvent) -> None:
        with translated_errors("put_events"):
            answer = self._client.put_events(
                Entries=[
                    {
                        "Source": SOURCE,
                        "DetailType": event.event_type,
                        "Detail": json.dumps(event.detail(), separators=(",", ":")),
                        "EventBusName": self._bus,
                        "Resources": [],
                    }
                ]
            )
        if answer.get("FailedEntryCount"):
            code = answer["Entries"][0].get("ErrorCode", "unknown")
            raise ServiceUnavailableError(
                "The event bus refused the event.", details={"error_code": code}
            )
