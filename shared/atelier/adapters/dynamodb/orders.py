"""Orders in the single table (docs/data-model.md): each save one transaction of the order
item, its new history and due entries, its pointers and the events it absorbs, conditioned on
the status and version it was read with."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from atelier.adapters.cursor import decode_cursor, encode_cursor
from atelier.adapters.dynamodb import keys
from atelier.adapters.dynamodb.entries import (
    due_item,
    history_entry,
    history_to_item,
    message,
    message_item,
)
from atelier.adapters.dynamodb.order_items import item_to_order, order_to_item
from atelier.adapters.dynamodb.parking import ParkedEvents, pointer_put
from atelier.adapters.items import from_item, to_item
from atelier.adapters.sdk_errors import cancellation_codes, translated_errors
from atelier.adapters.snapshots import Seen
from atelier.clock import isoformat_z
from atelier.domain.claims import Claim, ClaimStatus
from atelier.domain.due import DueKind
from atelier.domain.errors import ConflictError, DuplicateEventError
from atelier.domain.messages import Message
from atelier.domain.order import ERASED, Order, OrderStatus, Payment
from atelier.ports import Clock, OrderDetails, Page

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


class DynamoOrderRepository:
    def __init__(self, client: DynamoDBClient, table_name: str, clock: Clock) -> None:
        self._client = client
        self._table = table_name
        self._seen = Seen()
        self._parked = ParkedEvents(client, table_name, clock)

    def _loaded(self, item: Mapping[str, Any]) -> Order:
        order = item_to_order(item)
        self._seen.remember(order)
        return order

    def new_payments(self, order: Order) -> tuple[Payment, ...]:
        return self._seen.new_payments(order)

    def get(self, order_id: str) -> Order | None:
        with translated_errors("get_order"):
            answer = self._client.get_item(
                TableName=self._table, Key=keys.order_key(order_id), ConsistentRead=True
            )
        item = answer.get("Item")
        return self._loaded(item) if item else None

    def list_for_customer(self, customer_id: str, *, limit: int, cursor: str | None) -> Page[Order]:
        # Newest first. The cursor is rebuilt inside the caller's own partition, so it can
        # never reach another customer's orders.
        return self._orders_page(
            "ByCustomer",
            "gsi1",
            keys.customer_partition(customer_id),
            newest_first=True,
            limit=limit,
            cursor=cursor,
        )

    def add(self, order: Order) -> None:
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": order_to_item(order),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if order.checkout is not None:
            writes.append(
                self._pointer(keys.checkout_pointer(order.checkout.session_id), order.order_id)
            )
        writes += self._history_and_due(order, previous_due={})
        with translated_errors("add_order"):
            self._client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        self._seen.remember(order)

    def save(
        self,
        order: Order,
        *,
        event_id: str | None = None,
        parked: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        read = self._seen.of(order)
        status, version = read.status, read.version
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": order_to_item(order),
                    "ConditionExpression": "#s = :s AND version = :v",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": to_item({":s": str(status), ":v": version}),
                }
            }
        ]
        writes += self._history_and_due(order, previous_due=dict(read.due))
        for payment in self._seen.new_payments(order):
            intent = payment.payment_intent
            writes.append(self._pointer(keys.payment_pointer(intent), order.order_id))
            writes += self._parked.absorb(intent, (parked or {}).get(intent, ()), order.order_id)
        session = order.checkout.session_id if order.checkout else None
        if session is not None and session != read.checkout_session:
            writes.append(self._pointer(keys.checkout_pointer(session), order.order_id))
        before = dict(read.claims)
        for claim in order.claims:
            if before.get(claim.claim_id) != claim.status:
                writes.append(self._claim_pointer(order.order_id, claim))
        if event_id is not None:
            writes.append(self._parked.ledger(event_id, order.order_id))  # last: see below
        try:
            with translated_errors("save_order"):
                self._client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ConflictError as exc:
            if event_id is not None and cancellation_codes(exc)[-1:] == ["ConditionalCheckFailed"]:
                raise DuplicateEventError("This provider event was already applied.") from exc
            raise
        self._seen.remember(order)

    def find_by_payment_intent(self, payment_intent: str) -> Order | None:
        return self._by_pointer(keys.payment_pointer(payment_intent))

    def list_by_status(self, status: OrderStatus, *, limit: int, cursor: str | None) -> Page[Order]:
        return self._orders_page(
            "ByStatus",
            "gsi2",
            keys.status_partition(status),
            newest_first=False,
            limit=limit,
            cursor=cursor,
        )

    def _orders_page(
        self,
        index: str,
        prefix: str,
        partition: str,
        *,
        newest_first: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Order]:
        """One page of orders from an index whose sort key is `<created_at>#<order_id>`."""
        pk, sk = f"{prefix}pk", f"{prefix}sk"
        args: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": f"{pk} = :p",
            "ExpressionAttributeValues": to_item({":p": partition}),
            "ScanIndexForward": not newest_first,
            "Limit": limit,
        }
        if cursor:
            position = decode_cursor(cursor, ("s", "o"))
            args["ExclusiveStartKey"] = to_item(
                {
                    pk: partition,
                    sk: position["s"],
                    "pk": keys.order_pk(position["o"]),
                    "sk": keys.ORDER,
                }
            )
        with translated_errors("list_orders"):
            answer = self._client.query(**args)
        orders = [self._loaded(item) for item in answer["Items"]]
        last = answer.get("LastEvaluatedKey")
        next_cursor = None
        if last is not None and orders:
            values = from_item(last)
            next_cursor = encode_cursor({"s": values[sk], "o": keys.order_id_of(values["pk"])})
        return Page(orders, next_cursor)

    def details(self, order_id: str) -> OrderDetails | None:
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.order_pk(order_id)}),
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            with translated_errors("order_details"):
                answer = self._client.query(**args)
            items += answer["Items"]
            if "LastEvaluatedKey" not in answer:
                break
            args["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        order, history, messages = None, [], []
        for item in items:
            kind = item.get("type", {}).get("S")
            if kind == "ORDER":
                order = self._loaded(item)
            elif kind == "HISTORY":
                history.append(history_entry(from_item(item)))
            elif kind == "MESSAGE":
                messages.append(message(from_item(item)))
        if order is None:
            return None
        history.sort(key=lambda h: h.version)
        messages.sort(key=lambda m: (m.at, m.message_id))
        return OrderDetails(order, history, messages)

    def add_message(self, message: Message) -> None:
        with translated_errors("add_message"):
            self._client.put_item(
                TableName=self._table,
                Item=message_item(message),
                ConditionExpression="attribute_not_exists(pk)",
            )

    def redact_messages(self, order_id: str) -> None:
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :m)",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.order_pk(order_id), ":m": keys.MESSAGE_PREFIX}
            ),
            "ProjectionExpression": "pk, sk",
        }
        while True:
            with translated_errors("find_messages"):
                answer = self._client.query(**args)
            for key in answer["Items"]:
                with translated_errors("redact_message"):
                    self._client.update_item(
                        TableName=self._table,
                        Key=key,
                        UpdateExpression="SET #t = :erased",
                        ExpressionAttributeNames={"#t": "text"},
                        ExpressionAttributeValues=to_item({":erased": ERASED}),
                    )
            if "LastEvaluatedKey" not in answer:
                return
            args["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def find_by_checkout_session(self, session_id: str) -> Order | None:
        return self._by_pointer(keys.checkout_pointer(session_id))

    def _by_pointer(self, pointer: tuple[str, str]) -> Order | None:
        with translated_errors("find_by_pointer"):
            answer = self._client.get_item(TableName=self._table, Key=keys.key_of(pointer))
        item = answer.get("Item")
        return self.get(from_item(item)["order_id"]) if item else None

    def due(self, kind: DueKind, until: datetime, *, page_size: int = 100) -> Iterator[str]:
        # Sort keys are "<due time>#<order id>"; "$" sorts right after "#", so the bound takes
        # every entry due at or before `until`'s second.
        args: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByDue",
            "KeyConditionExpression": "gsi3pk = :k AND gsi3sk < :until",
            "ExpressionAttributeValues": to_item(
                {":k": keys.due_partition(kind), ":until": isoformat_z(until) + "$"}
            ),
            "Limit": page_size,
        }
        while True:
            with translated_errors("query_due"):
                answer = self._client.query(**args)
            for item in answer["Items"]:
                yield keys.order_id_of(from_item(item)["pk"])
            if "LastEvaluatedKey" not in answer:
                return
            args["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def _claim_pointer(self, order_id: str, claim: Claim) -> dict[str, Any]:
        """Lists claims by status for staff (the claim id itself names its order)."""
        put = self._pointer(keys.claim_pointer(claim.claim_id), order_id)
        put["Put"]["Item"].update(
            to_item(
                {
                    "claim_id": claim.claim_id,
                    "gsi2pk": keys.claims_partition(claim.status),
                    "gsi2sk": keys.by_time(claim.created_at, claim.claim_id),
                }
            )
        )
        return put

    def claims_by_status(self, status: ClaimStatus, *, limit: int, cursor: str | None) -> Page[str]:
        """Claim ids in one status, oldest first (their orders are read one by one)."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByStatus",
            "KeyConditionExpression": "gsi2pk = :p",
            "ExpressionAttributeValues": to_item({":p": keys.claims_partition(status)}),
            "Limit": limit,
        }
        if cursor:
            position = decode_cursor(cursor, ("s", "c"))
            pk, sk = keys.claim_pointer(position["c"])
            args["ExclusiveStartKey"] = to_item(
                {
                    "gsi2pk": keys.claims_partition(status),
                    "gsi2sk": position["s"],
                    "pk": pk,
                    "sk": sk,
                }
            )
        with translated_errors("list_claims"):
            answer = self._client.query(**args)
        ids = [from_item(item)["claim_id"] for item in answer["Items"]]
        last = answer.get("LastEvaluatedKey")
        next_cursor = None
        if last is not None and ids:
            values = from_item(last)
            next_cursor = encode_cursor({"s": values["gsi2sk"], "c": ids[-1]})
        return Page(ids, next_cursor)

    def _pointer(self, pointer: tuple[str, str], order_id: str) -> dict[str, Any]:
        return pointer_put(self._table, pointer, order_id)

    def park_event(self, payment_intent: str, event_id: str, record: Mapping[str, Any]) -> bool:
        return self._parked.park(payment_intent, event_id, record)

    def parked_events(self, payment_intent: str) -> list[Mapping[str, Any]]:
        return self._parked.events(payment_intent)

    def _history_and_due(
        self, order: Order, previous_due: dict[str, datetime]
    ) -> list[dict[str, Any]]:
        """History entries, plus the due-index entries that appeared, moved or went away."""
        writes: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": history_to_item(order.order_id, entry)}}
            for entry in order.new_history
        ]
        due = order.due_entries()
        writes += [
            {"Put": {"TableName": self._table, "Item": due_item(order.order_id, kind, at)}}
            for kind, at in due.items()
            if previous_due.get(kind) != at
        ]
        writes += [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_item({"pk": keys.order_pk(order.order_id), "sk": keys.due_sk(kind)}),
                }
            }
            for kind in sorted(set(previous_due) - set(due))
        ]
        return writes
