"""DynamoDB stream → Lambda, as an event source mapping delivers it: records read from the
emulated stream, filtered by the mapping's FilterCriteria, handed over in batches in the
format Lambda uses."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
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
    """Reads new records from one table's stream, shard by shard, remembering where it was."""

    def __init__(self, client: Any, stream_arn: str, region: str) -> None:
        self._client = client
        self._arn = stream_arn
        self._region = region
        self._iterators: dict[str, str | None] = {}

    def read(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        description = self._client.describe_stream(StreamArn=self._arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._client.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            iterator = self._iterators[shard_id]
            while iterator:
                answer = self._client.get_records(ShardIterator=iterator, Limit=1000)
                iterator = answer.get("NextShardIterator")
                self._iterators[shard_id] = iterator
                batch = answer.get("Records", [])
                records += [self._as_lambda_record(r) for r in batch]
                if not batch:
                    break
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
    ) -> None:
        super().__init__()
        self._subscriptions: list[_Subscription] = []
        for function in functions.values():
            for stream in function.streams:
                table = dynamodb.describe_table(TableName=table_names[stream.table])["Table"]
                arn = table.get("LatestStreamArn")
                if not arn:
                    log.warning("%s: table %s has no stream", function.name, stream.table)
                    continue
                reader = StreamReader(streams, arn, region)
                reader.read()  # start after what exists now (seeding), like LATEST
                self._subscriptions.append(_Subscription(function, stream, reader))

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
                return
            sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
            batch = batch[min(sequence.index(f) for f in failures if f in sequence) :]
        log.error(
            "%s: %d stream records dropped after retries (AWS: on-failure destination)",
            sub.function.name,
            len(batch),
        )
