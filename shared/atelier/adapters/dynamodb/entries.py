"""The items beside an order in its partition: history entries (the outbox the stream carries),
due-index entries and the consultation's messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from atelier.adapters.dynamodb import keys
from atelier.adapters.items import to_item
from atelier.clock import isoformat_z, parse_iso
from atelier.domain.due import DueKind
from atelier.domain.events import EventType
from atelier.domain.messages import Message
from atelier.domain.order import HistoryEntry, OrderStatus


def history_to_item(order_id: str, entry: HistoryEntry) -> dict[str, Any]:
    return to_item(
        {
            "pk": keys.order_pk(order_id),
            "sk": keys.history_sk(entry.version),
            "type": "HISTORY",
            "order_id": order_id,
            "version": entry.version,
            "at": isoformat_z(entry.at),
            "actor": entry.actor,
            "from_status": None if entry.from_status is None else str(entry.from_status),
            "to_status": str(entry.to_status),
            "reason": entry.reason,
            "event_type": entry.event_type,
            "event_id": entry.event_id,
            "data": dict(entry.data),
        }
    )


def history_entry(values: Mapping[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        version=values["version"],
        at=parse_iso(values["at"]),
        actor=values["actor"],
        from_status=OrderStatus(values["from_status"]) if values.get("from_status") else None,
        to_status=OrderStatus(values["to_status"]),
        reason=values["reason"],
        event_type=values["event_type"],
        event_id=values["event_id"],
        data=values.get("data", {}),
    )


def due_item(order_id: str, kind: DueKind, due_at: datetime) -> dict[str, Any]:
    return to_item(
        {
            "pk": keys.order_pk(order_id),
            "sk": keys.due_sk(kind),
            "type": "DUE",
            "gsi3pk": keys.due_partition(kind),
            "gsi3sk": keys.by_time(due_at, order_id),
        }
    )


def message_item(message: Message) -> dict[str, Any]:
    return to_item(
        {
            "pk": keys.order_pk(message.order_id),
            "sk": keys.message_sk(message.at, message.message_id),
            "type": "MESSAGE",
            "order_id": message.order_id,
            "message_id": message.message_id,
            "author": message.author,
            "author_id": message.author_id,
            "text": message.text,
            "at": isoformat_z(message.at),
            "event_type": EventType.MESSAGE_POSTED,
            "event_id": message.event_id,
        }
    )


def message(values: Mapping[str, Any]) -> Message:
    return Message(
        message_id=values["message_id"],
        order_id=values["order_id"],
        author=values["author"],
        author_id=values["author_id"],
        text=values["text"],
        at=parse_iso(values["at"]),
        event_id=values["event_id"],
    )
