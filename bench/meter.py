"""Counts the AWS requests the functions make and what DynamoDB would bill for each.

A botocore event hook (as in tests/integration/test_request_counts.py), registered on the
default boto3 session before any function builds a client, so every client the functions
create inherits it. Item sizes come from the request and response, and from reading the
touched items before and after a write through a second session, which is not counted.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

from bench.capacity import (
    IndexSpec,
    index_write_cost,
    item_size,
    read_units,
    write_units,
)

READ_OPERATIONS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "ExecuteStatement"}
)
WRITE_OPERATIONS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)
# Parameters that make DynamoDB return less than it read: the bill is for what it read.
_NARROWING = ("ProjectionExpression", "FilterExpression", "Select", "AttributesToGet")
_PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")


class TransactionCancelledError(RuntimeError):
    """A transaction the bench expected to commit was cancelled."""


@dataclass
class Request:
    """One DynamoDB API call and what it is billed."""

    operation: str
    table: str
    function: str
    scope: str
    ok: bool = True
    items_read: int = 0  # items (or index entries) DynamoDB read for the call
    read_units: float = 0.0
    write_units: float = 0.0  # on the table
    index_write_units: float = 0.0  # on its global secondary indexes
    index_writes: int = 0
    # GSI write units by "index partition key value" ("ByStatus STATUS#PAID"): where a hot
    # partition would throttle (bench/scale.py).
    index_partitions: dict[str, float] = field(default_factory=dict)
    items_written: int = 0
    index: str | None = None  # the index a Query read, if any
    partition: str | None = None  # the partition key value a GetItem or Query asked for

    @property
    def units(self) -> float:
        return self.read_units + self.write_units + self.index_write_units


@dataclass
class _Table:
    name: str
    keys: tuple[str, ...]
    indexes: tuple[IndexSpec, ...]


@dataclass
class _Pending:
    request: Request
    params: dict[str, Any]
    before: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)


class Meter:
    """Records every request made while a function runs (and, with `scope`, labels them)."""

    def __init__(
        self,
        region: str,
        peek: Callable[[str, Mapping[str, Any]], dict[str, Any] | None] | None = None,
    ) -> None:
        """`peek(table, key)` reads an item without being counted (default: a second boto3
        session's client)."""
        self.requests: list[Request] = []
        self.other_calls: Counter[str] = Counter()  # "eventbridge.events", "s3.HeadObject", ...
        self._s3_by_scope: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._functions: list[str] = []
        self._scope = ""
        self._tables: dict[str, _Table] = {}
        # Out-of-band reads (sizes before and after a write) go through their own session,
        # whose clients carry no hook.
        self._peek = boto3.session.Session(region_name=region).client("dynamodb")
        self._peek_item = peek
        boto3.setup_default_session(region_name=region)
        events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]  # set just above
        events.register("before-parameter-build.dynamodb", self._before)
        events.register("after-call.dynamodb", self._after)
        events.register("after-call.eventbridge.PutEvents", self._put_events)
        events.register("after-call.sesv2.SendEmail", self._send_email)
        events.register("after-call.s3", self._s3_call)

    # ------------------------------------------------------------------ labelling

    @contextmanager
    def function(self, name: str) -> Iterator[None]:
        self._functions.append(name)
        try:
            yield
        finally:
            self._functions.pop()

    @contextmanager
    def scope(self, label: str) -> Iterator[list[Request]]:
        """Requests made inside the block, labelled `label`; yields the list as it fills."""
        previous, self._scope = self._scope, label
        start = len(self.requests)
        taken: list[Request] = []
        try:
            yield taken
        finally:
            taken.extend(self.requests[start:])
            self._scope = previous

    def s3_calls(self, scope: str) -> Counter[str]:
        """S3 requests functions made in a scope (evidence tickets, upload checks)."""
        return Counter(self._s3_by_scope.get(scope, Counter()))

    @property
    def _active(self) -> bool:
        return bool(self._functions)

    # ------------------------------------------------------------------ hooks

    def _before(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        if not self._active:
            return
        operation = model.name
        request = Request(operation, _table_of(params), self._functions[-1], self._scope)
        request.partition = _partition_of(params)
        pending = _Pending(request, dict(params))
        for table, key in self._write_targets(operation, params):
            pending.before[(table, _key_id(key))] = self._get(table, key)
        context["bench_pending"] = pending

    def _after(self, parsed: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        pending: _Pending | None = context.pop("bench_pending", None)
        if pending is None:
            return
        request = pending.request
        request.ok = "Error" not in parsed
        if not request.ok and request.operation == "TransactWriteItems":
            # Every transaction of a bench scenario is meant to commit: a cancelled one means
            # the scenario went wrong, and the counts after it are not the ones it measures.
            raise TransactionCancelledError(f"{request.scope}: {parsed.get('Error')}")
        if request.ok:
            self._bill(request, pending, parsed)
        self.requests.append(request)

    def _put_events(self, params: Any = None, parsed: Any = None, **_: Any) -> None:
        if self._active:
            self.other_calls["eventbridge.PutEvents"] += 1
            entries = len((parsed or {}).get("Entries", []))
            self.other_calls["eventbridge.events"] += entries

    def _send_email(self, **_: Any) -> None:
        if self._active:
            self.other_calls["sesv2.SendEmail"] += 1

    def _s3_call(self, model: Any, **_: Any) -> None:
        if self._active:
            self.other_calls[f"s3.{model.name}"] += 1
            self._s3_by_scope[self._scope][model.name] += 1

    # ------------------------------------------------------------------ billing

    def _bill(self, request: Request, pending: _Pending, parsed: Mapping[str, Any]) -> None:
        params, op = pending.params, request.operation
        if op == "GetItem":
            item = parsed.get("Item")
            if any(p in params for p in _NARROWING):
                item = self._get(params["TableName"], params["Key"])
            size = item_size(item)
            request.items_read = 1 if item else 0
            request.read_units = read_units(size, consistent=bool(params.get("ConsistentRead")))
        elif op in ("Query", "Scan"):
            items = parsed.get("Items", [])
            if any(p in params for p in _NARROWING):
                items = self._rerun_unnarrowed(op, params)
            size = sum(item_size(i) for i in items)
            request.index = params.get("IndexName")
            request.items_read = len(items)
            request.read_units = read_units(size, consistent=bool(params.get("ConsistentRead")))
        elif op == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                consistent = bool(params["RequestItems"][table].get("ConsistentRead"))
                for item in items:
                    request.items_read += 1
                    request.read_units += read_units(item_size(item), consistent=consistent)
        elif op == "TransactGetItems":
            for entry in parsed.get("Responses", []):
                size = item_size(entry.get("Item"))
                request.items_read += 1
                request.read_units += read_units(size, consistent=True, transactional=True)
        elif op in WRITE_OPERATIONS:
            self._bill_writes(request, pending)

    def _bill_writes(self, request: Request, pending: _Pending) -> None:
        transactional = request.operation == "TransactWriteItems"
        for action, table_name, key in _write_actions(
            request.operation, pending.params, self._key_of
        ):
            table = self._table(table_name)
            before = pending.before.get((table_name, _key_id(key)))
            if action == "ConditionCheck":
                # A ConditionCheck is billed as a transactional write of the item it checks.
                request.write_units += write_units(item_size(before), transactional=True)
                continue
            after = self._get(table_name, key)
            size = max(item_size(before), item_size(after))
            request.items_written += 1
            request.write_units += write_units(size, transactional=transactional)
            for index in table.indexes:
                cost = index_write_cost(index, before, after, table.keys)
                request.index_writes += cost.writes
                request.index_write_units += cost.units
                for partition, units in cost.partitions:
                    name = f"{index.name} {partition}"
                    request.index_partitions[name] = request.index_partitions.get(name, 0) + units

    # ------------------------------------------------------------------ out-of-band reads

    def _table(self, name: str) -> _Table:
        table = self._tables.get(name)
        if table is None:
            description = self._peek.describe_table(TableName=name)["Table"]
            table = _Table(
                name,
                tuple(k["AttributeName"] for k in description["KeySchema"]),
                tuple(
                    IndexSpec.from_description(i)
                    for i in description.get("GlobalSecondaryIndexes", [])
                ),
            )
            self._tables[name] = table
        return table

    def _get(self, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        if self._peek_item is not None:
            return self._peek_item(table, key)
        answer = self._peek.get_item(TableName=table, Key=dict(key), ConsistentRead=True)
        item: dict[str, Any] | None = answer.get("Item")
        return item

    def _key_of(self, table: str, item: Mapping[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self._table(table).keys}

    def _write_targets(
        self, operation: str, params: Mapping[str, Any]
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        if operation not in WRITE_OPERATIONS:
            return
        for _action, table, key in _write_actions(operation, params, self._key_of):
            yield table, key

    def _rerun_unnarrowed(self, operation: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The items a narrowed Query/Scan evaluated: the same call without projection,
        filter or Select (Limit applies before a filter, so it stays)."""
        plain = {k: v for k, v in params.items() if k not in _NARROWING}
        used = set(_PLACEHOLDER.findall(str(plain.get("KeyConditionExpression", ""))))
        for mapping in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
            kept = {k: v for k, v in (plain.pop(mapping, None) or {}).items() if k in used}
            if kept:
                plain[mapping] = kept
        call = self._peek.query if operation == "Query" else self._peek.scan
        answer = call(**plain)
        items: list[dict[str, Any]] = answer.get("Items", [])
        return items


def _table_of(params: Mapping[str, Any]) -> str:
    if "TableName" in params:
        return str(params["TableName"])
    if "RequestItems" in params:
        return ",".join(sorted(params["RequestItems"]))
    tables = {
        next(iter(action.values()))["TableName"] for action in params.get("TransactItems", [])
    }
    return ",".join(sorted(tables))


def _partition_of(params: Mapping[str, Any]) -> str | None:
    key = params.get("Key") or {}
    for value in key.values():
        if "S" in value:
            return str(value["S"])
    values = params.get("ExpressionAttributeValues") or {}
    first = next(iter(values.values()), None)
    return str(first["S"]) if first and "S" in first else None


def _key_id(key: Mapping[str, Any]) -> str:
    return repr(sorted((name, sorted(value.items())) for name, value in key.items()))


def _write_actions(
    operation: str,
    params: Mapping[str, Any],
    key_of: Callable[[str, Mapping[str, Any]], dict[str, Any]],
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(action, table, key) for every item a write request touches."""

    def key_for(table: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(body["Key"]) if "Key" in body else key_of(table, body["Item"])

    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        action = operation.removesuffix("Item")
        yield action, params["TableName"], key_for(params["TableName"], params)
    elif operation == "TransactWriteItems":
        for entry in params.get("TransactItems", []):
            action, body = next(iter(entry.items()))
            yield action, body["TableName"], key_for(body["TableName"], body)
    elif operation == "BatchWriteItem":
        for table, writes in params.get("RequestItems", {}).items():
            for write in writes:
                action, body = next(iter(write.items()))
                yield action.removesuffix("Request"), table, key_for(table, body)
