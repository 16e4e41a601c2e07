"""moto, adjusted where the local stack needs DynamoDB's own behaviour.

One mechanism for the local stack, the integration tests and the bench (`install()`):

- **Transactions cost what they touch.** moto's `TransactWriteItems` deep-copies every table a
  transaction names, once per item, so it can put the copy back when the transaction is
  cancelled; each transition then costs time and memory in proportion to the whole table and
  its stream records, and a rollback swaps the copy in as the table, leaving any stream
  iterator on a dead object. Here a transaction keeps a journal instead: the prior image of
  each item it touches and the stream's length, and a cancelled transaction restores exactly
  those. `tests/integration/test_emulation_differential.py` runs one corpus of transactions
  against moto as shipped and as adjusted and compares everything a client can observe.
- **`ClientRequestToken` is honoured** as DynamoDB does: for 10 minutes after a transaction
  completes, the same token with the same request answers success without a second write;
  with another request, `IdempotentParameterMismatchException`. (moto ignores the token, so an
  SDK retry of a committed transaction failed its own conditions: a false 409.)
- **A query on the table's own key reads its partition**, not every item of the table (moto
  walks them all for each query: the cost of reading an order grew with the number of orders).
- **Streams keep 24 hours**, as DynamoDB Streams does, on the clock given to
  `set_stream_clock` (the local stack's, which `POST /_local/clock` moves); older records are
  trimmed, their sequence numbers never reused, so memory stays bounded however long the
  stack runs. Shard iterators expire after 15 minutes, as in AWS (moto keeps every one).
- **Answers cost what they hold.** moto 5.2 writes every answer through a serializer that
  walks the API model and looks each member up under several spellings: most of the stack's
  time went there. For the item reads and writes of DynamoDB and DynamoDB Streams, whose
  results moto already builds in the wire's own shape, the answer is written by `json.dumps`
  (binary values in base64, times as epoch seconds, as the serializer writes them). With
  `SHADOW` on (the integration tests turn it on), every such answer is also written by moto's
  serializer and the two compared, so any difference fails the test that caused it. Two
  lookups moto repeats per request are remembered: an event rule's JSONPath expressions (it
  built a parser for each, per event) and a handler class's method names.
- **Nothing is kept for moto's dashboard.** moto appends every model object it makes (stream
  records, shard iterators, queue messages, ...) to a class-level list for
  `/moto-api/data.json` and never drops them: trimmed records and deleted messages stayed in
  memory. Here no instance is tracked (that dashboard lists none in the local stack).

The adjustments replace moto internals, so they are proven on the moto versions in
`SUPPORTED_MOTO_VERSIONS` only; `install()` refuses any other with a message saying what to do.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from typing import Any

SUPPORTED_MOTO_VERSIONS = frozenset({"5.2.5"})
TOKEN_WINDOW_S = 600.0  # DynamoDB: a ClientRequestToken is valid 10 minutes
STREAM_RETENTION = timedelta(hours=24)  # DynamoDB Streams keeps records 24 hours
SHARD_ITERATOR_LIFETIME_S = 900.0  # a shard iterator expires 15 minutes after it is returned

# Every request moto answers, from any thread (the local stack's functions, its control API, an
# AWS CLI pointed at the moto port), and every direct read of moto's storage: moto is not
# thread-safe.
BACKEND_LOCK = threading.RLock()


class UnsupportedMoto(RuntimeError):
    """The installed moto is not one the adjustments are proven on."""


def check_moto_version(installed: str | None = None) -> str:
    found = installed if installed is not None else version("moto")
    if found not in SUPPORTED_MOTO_VERSIONS:
        proven = ", ".join(sorted(SUPPORTED_MOTO_VERSIONS))
        raise UnsupportedMoto(
            f"moto {found} is installed, but the local stack's DynamoDB adjustments "
            f"(infra/local/emulation.py) are proven on moto {proven} only. Reinstall the pinned "
            f"version: `rm -rf .venv && make install` (pyproject.toml pins it), or, to move to "
            f"moto {found}, run tests/integration/test_emulation_differential.py against it and "
            "add the version to SUPPORTED_MOTO_VERSIONS once it passes."
        )
    return found


# ---------------------------------------------------------------------------- the journal


@dataclass
class _Journal:
    """What one transaction changed, to undo it: each touched item's prior image (None: it did
    not exist) and each stream's absolute length before the transaction."""

    items: list[tuple[Any, Any, Any, Any]] = field(default_factory=list)  # table, hash, range, item
    streams: list[tuple[Any, int]] = field(default_factory=list)

    def watch_stream(self, table: Any) -> None:
        shard = table.stream_shard
        if shard is not None and all(seen is not shard for seen, _ in self.streams):
            self.streams.append((shard, _absolute_length(shard)))

    def remember(self, table: Any, hash_key: Any, range_key: Any, current: Any) -> None:
        self.items.append((table, hash_key, range_key, copy.deepcopy(current)))

    def undo(self) -> None:
        for table, hash_key, range_key, prior in reversed(self.items):
            if range_key is not None:
                partition = table.items[hash_key]
                if prior is None:
                    partition.pop(range_key, None)
                else:
                    partition[range_key] = prior
            elif prior is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = prior
        for shard, length in self.streams:
            del shard.items[max(0, length - _trimmed(shard)) :]
            stamps = _stamps(shard)
            del stamps[max(0, length - _trimmed(shard)) :]


def _journaled_transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2.5's DynamoDBBackend.transact_write_items, step for step, with the journal in
    place of the table copies: the same checks in the same order, the same errors."""
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    journal = _Journal()
    for item in transact_items:
        _, op = next(iter(item.items()))
        table_name = op.get("TableName")
        if table_name and table_name in self.tables:
            journal.watch_stream(self.tables[table_name])

    targets: set[tuple[str, str]] = set()
    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            # moto leaves the earlier items' writes in place here; DynamoDB refuses the whole
            # request, so the journal is undone (the one deliberate difference, tested).
            journal.undo()
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            names = op.get("ExpressionAttributeNames")
            values = op.get("ExpressionAttributeValues")
            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            target = (str(table_name), str(dict(sorted(key.items()))))
            if target in targets:
                raise MultipleTransactionsException()
            targets.add(target)

            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition = _filter_expression(condition_expression, names, values)
                if not condition.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)

            if op_type != "ConditionCheck":
                table = self.get_table(table_name)
                hash_key, range_key = self.get_keys_value(table, key)
                journal.remember(table, hash_key, range_key, current)
            if op_type == "Put":
                self.put_item(
                    table_name,
                    op["Item"],
                    condition_expression=condition_expression,
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
            elif op_type == "Update":
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    condition_expression=condition_expression,
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            journal.undo()
            raise
        except ConditionalCheckFailed as exc:
            errors.append(("ConditionalCheckFailed", str(exc.message), original_item))
        except Exception as exc:  # moto reports any other failure as that item's reason
            errors.append((type(exc).__name__, str(exc), original_item))

    if any(code is not None for code, _, _ in errors):
        journal.undo()
        raise TransactionCanceledException(errors)


def _filter_expression(expression: str, names: Any, values: Any) -> Any:
    from moto.dynamodb.comparisons import get_filter_expression

    return get_filter_expression(expression, names, values)


# ---------------------------------------------------------------------------- request tokens


class _TokenLedger:
    """Completed transactions by ClientRequestToken, for DynamoDB's 10-minute window."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now
        self._completed: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def lookup(self, token: str) -> str | None:
        self._expire()
        entry = self._completed.get(token)
        return entry[0] if entry else None

    def record(self, token: str, fingerprint: str) -> None:
        self._completed[token] = (fingerprint, self.now())
        self._completed.move_to_end(token)

    def clear(self) -> None:
        self._completed.clear()

    def __len__(self) -> int:
        self._expire()
        return len(self._completed)

    def _expire(self) -> None:
        horizon = self.now() - TOKEN_WINDOW_S
        while self._completed:
            token, (_, completed_at) = next(iter(self._completed.items()))
            if completed_at > horizon:
                break
            del self._completed[token]


TOKENS = _TokenLedger()


def _fingerprint(body: dict[str, Any]) -> str:
    request = {name: value for name, value in body.items() if name != "ClientRequestToken"}
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def _idempotent_transact_write_items(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def transact_write_items(handler: Any) -> Any:
        from moto.core.responses import ActionResult
        from moto.dynamodb.exceptions import DynamodbException

        token = handler.body.get("ClientRequestToken")
        if not token:
            return original(handler)
        fingerprint = _fingerprint(handler.body)
        seen = TOKENS.lookup(token)
        if seen is not None:
            if seen != fingerprint:
                raise DynamodbException(
                    "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                    "The request uses the same client token as a previous, but non-identical "
                    "request. Do not reuse a client token with different requests, unless the "
                    "requests are identical and within 10 minutes of the first request.",
                )
            return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
        answer = original(handler)
        TOKENS.record(token, fingerprint)
        return answer

    return transact_write_items


# ---------------------------------------------------------------------------- streams


def _now_utc() -> datetime:
    return datetime.now(UTC)


_stream_clock: Callable[[], datetime] = _now_utc


def set_stream_clock(now: Callable[[], datetime]) -> None:
    """The clock stream retention is counted on (the local stack's own)."""
    global _stream_clock
    _stream_clock = now


def _trimmed(shard: Any) -> int:
    return int(shard.__dict__.get("_atelier_trimmed", 0))


def _stamps(shard: Any) -> list[datetime]:
    stamps: list[datetime] = shard.__dict__.setdefault("_atelier_stamps", [])
    return stamps


def _absolute_length(shard: Any) -> int:
    return _trimmed(shard) + len(shard.items)


def trim_stream(shard: Any, now: datetime | None = None) -> int:
    """Drop the records older than the retention; how many were dropped."""
    horizon = (now or _stream_clock()) - STREAM_RETENTION
    stamps = _stamps(shard)
    drop = 0
    while drop < len(stamps) and stamps[drop] < horizon:
        drop += 1
    if drop:
        del shard.items[:drop]
        del stamps[:drop]
        shard.__dict__["_atelier_trimmed"] = _trimmed(shard) + drop
    return drop


def _stream_add(self: Any, old: Any, new: Any) -> None:
    """StreamShard.add, numbering records after those trimmed (moto numbers by list index)."""
    from moto.dynamodb.models.table import StreamRecord

    view_type = self.table.stream_specification["StreamViewType"]
    event_name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    sequence = self.starting_sequence_number + _absolute_length(self)
    self.items.append(StreamRecord(self.table, view_type, event_name, old, new, sequence))
    _stamps(self).append(_stream_clock())
    stamps = _stamps(self)
    if stamps and stamps[0] < stamps[-1] - STREAM_RETENTION:
        trim_stream(self, stamps[-1])


def _stream_get(self: Any, start: int, quantity: int) -> list[dict[str, Any]]:
    """StreamShard.get: from sequence number `start`, or the oldest record kept when `start` was
    trimmed (TRIM_HORIZON's meaning)."""
    index = max(0, start - self.starting_sequence_number - _trimmed(self))
    return [record.to_json() for record in self.items[index : index + quantity]]


def _iterator_init(original: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: Any, backend: Any, shard: Any, kind: str, sequence: Any = None) -> None:
        original(self, backend, shard, kind, sequence)
        if kind == "LATEST":
            self.sequence_number += _trimmed(shard)
        self._atelier_issued = time.monotonic()

    return __init__


def _get_shard_iterator(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_shard_iterator(self: Any, *args: Any, **kwargs: Any) -> Any:
        _expire_iterators(self)
        return original(self, *args, **kwargs)

    return get_shard_iterator


def _get_records(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_records(self: Any, iterator_arn: str, limit: int) -> Any:
        if iterator_arn not in self.shard_iterators:
            from moto.dynamodb.exceptions import DynamodbException

            raise DynamodbException(
                "com.amazonaws.dynamodb.v20120810#ExpiredIteratorException",
                "The shard iterator has expired or is unknown; ask for a new one",
            )
        answer = original(self, iterator_arn, limit)
        _expire_iterators(self)
        return answer

    return get_records


def _expire_iterators(backend: Any) -> None:
    horizon = time.monotonic() - SHARD_ITERATOR_LIFETIME_S
    iterators = backend.shard_iterators
    while iterators:
        arn, iterator = next(iter(iterators.items()))
        if getattr(iterator, "_atelier_issued", 0.0) > horizon:
            break
        del iterators[arn]


def stream_offset(shard: Any) -> int:
    """How many of the shard's records were trimmed (the index of the first one kept)."""
    return _trimmed(shard)


class _SavedStreamRecord:
    """A stream record read back from a saved state: moto only ever asks for `to_json()`."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record

    def to_json(self) -> dict[str, Any]:
        return self.record


def restore_stream(shard: Any, next_index: int, records: list[dict[str, Any]]) -> None:
    """The shard as saved: `records` are the last ones before `next_index`, numbered as before."""
    now = _stream_clock()
    shard.items[:] = [_SavedStreamRecord(record) for record in records]
    shard.__dict__["_atelier_stamps"] = [now] * len(records)
    shard.__dict__["_atelier_trimmed"] = next_index - len(records)


def store_item(table: Any, attributes: dict[str, Any]) -> None:
    """An item straight into moto's storage, as saved (no condition, no stream record)."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    hash_key = DynamoType(attributes[table.hash_key_attr])
    range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
    item = Item(hash_key, range_key, attributes)
    if range_key is not None:
        table.items[hash_key][range_key] = item
    else:
        table.items[hash_key] = item


# ---------------------------------------------------------------------------- queries

# moto answers a query on a table's own key by walking every item of the table for those of
# the partition: a cost that grows with the table. While such a query runs, `all_items` on
# that table yields the partition alone, which is exactly what the walk keeps.
_partition = threading.local()


def _query(original: Callable[..., Any]) -> Callable[..., Any]:
    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name is not None or hash_key is None:
            return original(self, hash_key, *args, **kwargs)
        _partition.scope = (self, hash_key)
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            _partition.scope = None

    return query


def _all_items(original: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
    def all_items(self: Any) -> list[Any]:
        scope = getattr(_partition, "scope", None)
        if scope is None or scope[0] is not self:
            return original(self)
        partition = self.items.get(scope[1])  # .get: no empty partition left behind
        if partition is None:
            return []
        return list(partition.values()) if self.range_key_attr else [partition]

    return all_items


# ---------------------------------------------------------------------------- answers

# The actions whose results moto builds as the wire's JSON already (dicts with the API's member
# names, DynamoDB values as {type: value}, binary as bytes, times as datetimes).
FAST_ACTIONS = frozenset(
    {
        "BatchGetItem",
        "BatchWriteItem",
        "DeleteItem",
        "GetItem",
        "PutItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "UpdateItem",
        "GetRecords",
        "GetShardIterator",
    }
)
SHADOW = False  # also serialize each fast answer moto's way and fail on any difference


class ShadowMismatch(AssertionError):
    """A fast answer differs from the one moto's serializer writes."""


def _wire_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        from moto.core.serialize import TimestampSerializer

        return TimestampSerializer._timestamp_unixtimestamp(value)
    raise TypeError(f"{type(value).__name__} in a DynamoDB answer")


def _has_none(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_none(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_none(v) for v in value)
    return False


def _fast_serialized(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def serialized(self: Any, action_result: Any) -> Any:
        from moto.core.responses import ActionResult, PaginatedResult

        result = action_result.result
        action = self._get_action()
        if (
            isinstance(action_result, PaginatedResult)
            or not isinstance(action_result, ActionResult)
            or not isinstance(result, dict)
            or action not in FAST_ACTIONS
        ):
            return original(self, action_result)
        output = _output_shape(self.boto3_service_name, action)
        try:  # the model's members only, as the serializer writes (e.g. no ConsumedCapacityUnits)
            body = json.dumps(
                {k: v for k, v in result.items() if k in output.members}, default=_wire_default
            )
        except TypeError:
            return original(self, action_result)
        if "null" in body and _has_none(result):  # moto's serializer leaves out what is None
            return original(self, action_result)
        if SHADOW:
            _compare(output, body, original(self, action_result))
        headers = {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}
        return 200, headers, body

    return serialized


@functools.cache
def _output_shape(service: str, action: str) -> Any:
    from moto.core.utils import get_service_model

    return get_service_model(service).operation_model(action).output_shape


def _compare(output: Any, fast: str, answer: Any) -> None:
    """What botocore makes of each answer (all a client can observe) must be the same."""
    from botocore.parsers import create_parser

    status, headers, body = answer

    def parsed(raw: str) -> Any:
        response = {"status_code": 200, "headers": dict(headers), "body": raw.encode()}
        answer = create_parser("json").parse(response, output)
        answer.pop("ResponseMetadata", None)
        return answer

    if status != 200 or parsed(fast) != parsed(body):
        raise ShadowMismatch(f"fast answer {fast[:400]} != moto's ({status}) {body[:400]}")


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    """BaseModel.__new__ without moto's instance tracking: moto appends every model object it
    ever makes (each stream record with its images, each shard iterator, each queue message)
    to a class-level list, for its dashboard's `/moto-api/data.json`, and never lets go; the
    stack's memory grew with every write and every read, whatever was trimmed or deleted."""
    from moto.core.common_models import BaseModel

    return super(BaseModel, cls).__new__(cls)  # type: ignore[misc]  # as BaseModel.__new__


def _remembered(pure: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`pure` remembered by its argument: jsonpath_ng's `parse` (a parsed path is never
    changed) and moto's `method_names_from_class` (a handler class's methods do not change)."""
    return functools.lru_cache(maxsize=256)(pure)


# ---------------------------------------------------------------------------- install


@dataclass
class _Installed:
    originals: list[tuple[Any, str, Any]]


_installed: _Installed | None = None


def install() -> None:
    """Apply every adjustment (once; later calls do nothing). UnsupportedMoto on another moto."""
    global _installed
    if _installed is not None:
        return
    check_moto_version()
    import jsonpath_ng.ext as jsonpath_ext
    import moto.core.responses as moto_responses
    from moto.core.common_models import BaseModel
    from moto.core.responses import BaseResponse
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard, Table
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    replacements: list[tuple[Any, str, Any]] = [
        (DynamoDBBackend, "transact_write_items", _journaled_transact_write_items),
        (
            DynamoHandler,
            "transact_write_items",
            _idempotent_transact_write_items(DynamoHandler.transact_write_items),
        ),
        (Table, "query", _query(Table.query)),
        (Table, "all_items", _all_items(Table.all_items)),
        (StreamShard, "add", _stream_add),
        (StreamShard, "get", _stream_get),
        (ShardIterator, "__init__", _iterator_init(ShardIterator.__init__)),
        (
            DynamoDBStreamsBackend,
            "get_shard_iterator",
            _get_shard_iterator(DynamoDBStreamsBackend.get_shard_iterator),
        ),
        (
            DynamoDBStreamsBackend,
            "get_records",
            _get_records(DynamoDBStreamsBackend.get_records),
        ),
        (DynamoHandler, "serialized", _fast_serialized(BaseResponse.serialized)),
        (DynamoDBStreamsHandler, "serialized", _fast_serialized(BaseResponse.serialized)),
        (
            moto_responses,
            "method_names_from_class",
            _remembered(moto_responses.__dict__["method_names_from_class"]),
        ),
        (jsonpath_ext, "parse", _remembered(jsonpath_ext.__dict__["parse"])),
        (BaseModel, "__new__", staticmethod(_untracked_new)),
    ]
    originals = [(owner, name, owner.__dict__.get(name)) for owner, name, _ in replacements]
    for owner, name, replacement in replacements:
        setattr(owner, name, replacement)
    _installed = _Installed(originals)


def uninstall() -> None:
    """moto as shipped again (the differential test compares the two)."""
    global _installed
    if _installed is None:
        return
    for owner, name, original in _installed.originals:
        if original is None:  # inherited before: the class's own attribute goes again
            delattr(owner, name)
        else:
            setattr(owner, name, original)
    TOKENS.clear()
    _installed = None


def installed() -> bool:
    return _installed is not None


@contextmanager
def moto_as_shipped() -> Iterator[None]:
    """Within: moto without the adjustments; after: as before."""
    was = installed()
    uninstall()
    try:
        yield
    finally:
        if was:
            install()


class LockedWsgi:
    """moto's server app, answering one request at a time (moto is not thread-safe)."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def __call__(self, environ: Any, start_response: Any) -> Any:
        with BACKEND_LOCK:
            return list(self._app(environ, start_response))


class MotoServer:
    """moto's server on a loopback port, its requests serialized (ThreadedMotoServer's, with
    the lock): binds at construction, so a busy port is an OSError here, not a hang."""

    def __init__(self, host: str, port: int) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        app = LockedWsgi(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            host, port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._server.daemon_threads = True  # type: ignore[attr-defined]  # ThreadedWSGIServer
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=2)
        self._server.server_close()


# ---------------------------------------------------------------------------- in-process calls

# What moto's URL patterns know each service by (botocore's service id → the AWS host).
_AWS_HOSTS = {
    "dynamodb": "dynamodb.{region}.amazonaws.com",
    "dynamodb-streams": "streams.dynamodb.{region}.amazonaws.com",
    "eventbridge": "events.{region}.amazonaws.com",
    "sqs": "sqs.{region}.amazonaws.com",
    "sesv2": "email.{region}.amazonaws.com",
    "ses": "email.{region}.amazonaws.com",
    "s3": "s3.amazonaws.com",
    "ssm": "ssm.{region}.amazonaws.com",
}


class InProcessCalls:
    """A botocore `before-send` hook: a call addressed to the local moto server is answered by
    moto's own request handlers in this process, as `mock_aws` answers them, instead of over
    loopback HTTP (about a third of the cost: no sockets, no werkzeug, no backend lookup by
    host). Same backends, same serializers, same answers; what a browser or the AWS CLI sends
    to the moto port still goes over HTTP."""

    def __init__(self, moto_url: str, region: str) -> None:
        from moto.core.botocore_stubber import BotocoreStubber

        self._prefix = moto_url.rstrip("/")
        self._region = region
        self._stubber = BotocoreStubber()
        self._stubber.enabled = True

    def __call__(self, request: Any, event_name: str, **_: Any) -> Any:
        if not request.url.startswith(self._prefix):
            return None
        service = event_name.split(".")[1]
        host = _AWS_HOSTS.get(service)
        if host is None:
            return None  # a service moto's patterns are not listed for here: plain HTTP
        request.url = (
            f"https://{host.format(region=self._region)}{request.url[len(self._prefix) :]}"
        )
        with BACKEND_LOCK:
            return self._stubber(event_name, request)

    def register(self, session: Any) -> None:
        """On a boto3 Session (clients made from it afterwards use the hook). Their calls to
        the services answered in process go unsigned: moto checks no signature, and SigV4 was
        about 7 % of the stack's time. S3 keeps signing (its presigned URLs are signatures)."""
        session.events.register("before-send", self)
        session.events.register("choose-signer", _unsigned_in_process)


_UNSIGNED_SERVICES = frozenset(
    {"dynamodb", "dynamodb-streams", "eventbridge", "sqs", "sesv2", "ses", "ssm"}
)


def _unsigned_in_process(event_name: str, **_: Any) -> Any:
    from botocore import UNSIGNED

    service = event_name.split(".")[1] if event_name.count(".") >= 1 else ""
    return UNSIGNED if service in _UNSIGNED_SERVICES else None


class Pending:
    """Whether a queue or a stream has anything new, read from moto's storage in this process:
    the local stack looks after every invocation, and most looks find nothing, so an empty look
    costs a dictionary read instead of a request."""

    def __init__(self, account_id: str, region: str) -> None:
        self._account_id = account_id
        self._region = region

    def queue(self, queue_url: str) -> bool:
        """False only when the queue surely holds no message (unknown: True, so it is asked)."""
        from moto.sqs.models import sqs_backends

        with BACKEND_LOCK:
            queue = sqs_backends[self._account_id][self._region].queues.get(
                queue_url.rstrip("/").rsplit("/", 1)[-1]
            )
            return queue is None or bool(queue._messages)

    def stream(self, stream_arn: str) -> int | None:
        """How many records the table's stream has ever held (None: unknown): it changes
        whenever a record is added, so a reader that saw this count has nothing new."""
        from moto.dynamodb.models import dynamodb_backends

        parts = stream_arn.split(":table/", 1)
        if len(parts) != 2:
            return None
        with BACKEND_LOCK:
            table = dynamodb_backends[self._account_id][self._region].tables.get(
                parts[1].split("/", 1)[0]
            )
            shard = getattr(table, "stream_shard", None)
            return None if shard is None else _absolute_length(shard)
