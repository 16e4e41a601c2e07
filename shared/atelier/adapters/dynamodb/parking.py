"""Provider events about a payment no order records yet, kept under its payment intent until
the payment's save absorbs them; and the ledger of applied webhook events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from atelier.adapters.dynamodb import keys
from atelier.adapters.items import from_item, to_item
from atelier.adapters.sdk_errors import cancellation_codes, translated_errors
from atelier.domain.errors import ConflictError
from atelier.ports import MAX_PARKED_EVENTS, PARKED_RETENTION, Clock, too_many_parked_events

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# Applied webhook events are remembered this long (providers retry for up to 3 days).
LEDGER_RETENTION = timedelta(days=90)


def pointer_put(table: str, pointer: tuple[str, str], order_id: str) -> dict[str, Any]:
    """A transaction's Put of an item that points at an order."""
    pk, sk = pointer
    item = {"pk": pk, "sk": sk, "type": "POINTER", "order_id": order_id}
    return {"Put": {"TableName": table, "Item": to_item(item)}}


class ParkedEvents:
    def __init__(self, client: DynamoDBClient, table_name: str, clock: Clock) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock

    def ledger(self, event_id: str, order_id: str) -> dict[str, Any]:
        ledger = pointer_put(self._table, keys.webhook_pointer(event_id), order_id)
        ledger["Put"]["ConditionExpression"] = "attribute_not_exists(pk)"
        expires = self._clock.now() + LEDGER_RETENTION
        ledger["Put"]["Item"]["expires_at"] = {"N": str(int(expires.timestamp()))}
        return ledger

    def absorb(
        self, payment_intent: str, event_ids: Sequence[str], order_id: str
    ) -> list[dict[str, Any]]:
        """A new payment's parked events: exactly those applied (none: nothing parked), their
        parking removed and each recorded in the ledger."""
        key = keys.parked_key(payment_intent)
        if not event_ids:
            return [
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": key,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ]
        writes: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": key,
                    "ConditionExpression": "#n = :n",
                    "ExpressionAttributeNames": {"#n": "parked_count"},
                    "ExpressionAttributeValues": to_item({":n": len(event_ids)}),
                }
            }
        ]
        return writes + [self.ledger(event_id, order_id) for event_id in event_ids]

    def park(self, payment_intent: str, event_id: str, record: Mapping[str, Any]) -> bool:
        expires = self._clock.now() + PARKED_RETENTION
        writes: list[dict[str, Any]] = [
            {
                # Only while no order records the payment: the payment's own save is
                # conditioned on this item, so one of the two always sees the other.
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": keys.key_of(keys.payment_pointer(payment_intent)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.parked_key(payment_intent),
                    "UpdateExpression": (
                        "SET #e = list_append(if_not_exists(#e, :none), :one), #x = :x, "
                        "#t = :t ADD #ids :ids, #n :inc"
                    ),
                    "ConditionExpression": (
                        "attribute_not_exists(pk) OR (NOT contains(#ids, :id) AND #n < :max)"
                    ),
                    "ExpressionAttributeNames": {
                        "#e": "events",
                        "#x": "expires_at",
                        "#t": "type",
                        "#ids": "event_ids",
                        "#n": "parked_count",
                    },
                    "ExpressionAttributeValues": {
                        **to_item(
                            {
                                ":none": [],
                                ":one": [dict(record)],
                                ":x": int(expires.timestamp()),
                                ":t": "PARKED",
                                ":id": event_id,
                                ":inc": 1,
                                ":max": MAX_PARKED_EVENTS,
                            }
                        ),
                        ":ids": {"SS": [event_id]},
                    },
                }
            },
        ]
        try:
            with translated_errors("park_event"):
                self._client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ConflictError as exc:
            if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
                raise ConflictError(
                    "The payment was recorded while this event was kept; try again.",
                    code="CONCURRENT_UPDATE",
                ) from exc
            if any(r["event_id"] == event_id for r in self.events(payment_intent)):
                return False
            raise too_many_parked_events(payment_intent) from exc
        return True

    def events(self, payment_intent: str) -> list[Mapping[str, Any]]:
        with translated_errors("parked_events"):
            answer = self._client.get_item(
                TableName=self._table, Key=keys.parked_key(payment_intent), ConsistentRead=True
            )
        item = answer.get("Item")
        return list(from_item(item)["events"]) if item else []
