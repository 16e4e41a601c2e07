"""DynamoDB stream → Lambda, as an event source mapping delivers it: records read from the
emulated stream, filtered by the mapping's FilterCriteria, handed over in batches in the
format Lambda uses."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra.local.delivery import Delivery
from infra.local.template import FunctionSpec, StreamSubscription

log = logging.getLogger("local_stack")


def matches(pattern: Mapping[str, Any], value: Any) -> bool:
    """EventBridge-style pattern matching, the subset filter criteria use here: a dict pattern
    matches a dict whose fields match; a list pattern lists the allowed values."""
    if isinstance(pattern, Mapping):
        if not isinstance(value, Mapping):
            return False
        return all(key in value and matches(sub, value[key]) for key, sub in pattern.items())
    if isinstance(pattern, list):
        return value in pattern
    return bool(pattern == value)


def passes_filters(record: Mapping[str, Any], filters: Sequence[Mapping[str, Any]]) -> bool:
    """No filters: every record. Otherwise a record passes when any filter's pattern matches."""
    if not filters:
        return True
    return any(matches(json.loads(f["Pattern"]), record) for f in filters)


class StreamReader:
    """Reads new records from one table's stream, remembering the last sequence number it
    handed over. Each read asks for an iterator after that number, so the reader never holds
    on to a shard object: a table swapped for another (as moto as shipped does on a cancelled
    transaction) or an expired iterator costs nothing, and after a restart it resumes from the
    number it was given. When the stream cannot be read it says so, loudly, every time."""

    def __init__(
        self,
        client: Any,
        stream_arn: str,
        region: str,
        version: Callable[[str], int | None] | None = None,
    ) -> None:
        self._client = client
        self._arn = stream_arn
        self._region = region
        # The stream's record count (Pending.stream): unchanged since the last full read
        # means nothing new, and the read is skipped.
        self._version = version
        self._read_at: int | None = None
        self.last_sequence: dict[str, str] = {}  # shard id -> last sequence number handed over
        self._shards: list[str] | None = None
        self.gaps = 0  # records trimmed (24-hour retention) before they were read

    def skip_existing(self) -> None:
        """Start after what the stream holds now (the seed data), as LATEST does."""
        self.read()

    def read(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        current = self._version(self._arn) if self._version is not None else None
        if current is not None and current == self._read_at and self._shards is not None:
            return records
        try:
            if self._shards is None:  # described once, and again after any failure
                description = self._client.describe_stream(StreamArn=self._arn)
                self._shards = [s["ShardId"] for s in description["StreamDescription"]["Shards"]]
            for shard_id in self._shards:
                records += self._read_shard(shard_id)
            self._read_at = current
        except Exception as exc:
            self._shards = None
            self._read_at = None
            log.error(
                "STREAM NOT READ: %s (%s: %s); its records wait, and are read again on the next "
                "delivery",
                self._arn.rsplit("/", 3)[-3] if "/" in self._arn else self._arn,
                type(exc).__name__,
                exc,
            )
        return records

    def _read_shard(self, shard_id: str) -> list[dict[str, Any]]:
        last = self.last_sequence.get(shard_id)
        position: dict[str, str] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
            if last
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = self._client.get_shard_iterator(
            StreamArn=self._arn, ShardId=shard_id, **position
        )["ShardIterator"]
        records: list[dict[str, Any]] = []
        while iterator:
            answer = self._client.get_records(ShardIterator=iterator, Limit=1000)
            batch = answer.get("Records", [])
            if not batch:
                break
            first = int(batch[0]["dynamodb"]["SequenceNumber"])
            if last is not None and first > int(last) + 1:
                missed = first - int(last) - 1
                self.gaps += missed
                log.error(
                    "STREAM GAP: %d records were trimmed (24-hour retention) before they were "
                    "read; their events are lost",
                    missed,
                )
            records += [self._as_lambda_record(r) for r in batch]
            last = batch[-1]["dynamodb"]["SequenceNumber"]
            self.last_sequence[shard_id] = last
            iterator = answer.get("NextShardIterator")
        return records

    def _as_lambda_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        converted = json.loads(json.dumps(record, default=str))
        converted.setdefault("eventSource", "aws:dynamodb")
        converted["awsRegion"] = self._region
        converted["eventSourceARN"] = self._arn
        return dict(converted)


@dataclass
class _Subscription:
    function: FunctionSpec
    stream: StreamSubscription
    reader: StreamReader
    table_name: str


class StreamDelivery(Delivery):
    """After every invocation, hands the new stream records to the functions that subscribe,
    in batches, retrying a batch from its first reported failure as Lambda does (up to the
    subscription's MaximumRetryAttempts, then the records are dropped with an error line, where
    AWS would send them to the on-failure destination)."""

    def __init__(
        self,
        functions: Mapping[str, FunctionSpec],
        table_names: Mapping[str, str],
        dynamodb: Any,
        streams: Any,
        region: str,
        version: Callable[[str], int | None] | None = None,
    ) -> None:
        super().__init__()
        self._subscriptions: list[_Subscription] = []
        self.records_delivered = 0
        self.records_dropped = 0
        for function in functions.values():
            for stream in function.streams:
                table = dynamodb.describe_table(TableName=table_names[stream.table])["Table"]
                arn = table.get("LatestStreamArn")
                if not arn:
                    log.warning("%s: table %s has no stream", function.name, stream.table)
                    continue
                reader = StreamReader(streams, arn, region, version)
                reader.skip_existing()
                self._subscriptions.append(
                    _Subscription(function, stream, reader, table_names[stream.table])
                )

    @property
    def gaps(self) -> int:
        return sum(sub.reader.gaps for sub in self._subscriptions)

    def positions(self) -> dict[str, dict[str, str]]:
        """Where each subscription has read to, by function: kept across a restart."""
        return {
            sub.function.logical_id: dict(sub.reader.last_sequence) for sub in self._subscriptions
        }

    def lowest_positions(self) -> dict[str, int]:
        """By table name: the lowest sequence number its subscribers have all read to (the
        records after it are not delivered to every one yet)."""
        lowest: dict[str, int] = {}
        for sub in self._subscriptions:
            for sequence in sub.reader.last_sequence.values():
                current = lowest.get(sub.table_name, int(sequence))
                lowest[sub.table_name] = min(current, int(sequence))
        return lowest

    def resume_from(self, positions: Mapping[str, Mapping[str, str]]) -> None:
        for sub in self._subscriptions:
            if sub.function.logical_id in positions:
                sub.reader.last_sequence = dict(positions[sub.function.logical_id])

    def _deliver_once(self) -> bool:
        delivered = False
        for sub in self._subscriptions:
            records = [r for r in sub.reader.read() if passes_filters(r, sub.stream.filters)]
            for start in range(0, len(records), sub.stream.batch_size):
                self._invoke_with_retries(sub, records[start : start + sub.stream.batch_size])
                delivered = True
        return delivered

    def _invoke_with_retries(self, sub: _Subscription, batch: list[dict[str, Any]]) -> None:
        assert self.invoker is not None
        for _attempt in range(sub.stream.max_retries + 1):
            try:
                result = self.invoker.invoke(sub.function, {"Records": batch})
            except Exception:
                log.exception("%s failed on a stream batch", sub.function.name)
                continue
            failures = [f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])]
            if not failures:
                self.records_delivered += len(batch)
                return
            sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
            resume = min(sequence.index(f) for f in failures if f in sequence)
            self.records_delivered += resume
            batch = batch[resume:]
        self.records_dropped += len(batch)
        log.error(
            "%s: %d stream records dropped after retries (AWS: on-failure destination)",
            sub.function.name,
            len(batch),
        )
