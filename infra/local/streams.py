"""DynamoDB stream → Lambda, as an event source mapping delivers it: records read from the
emulated stream, filtered by the mapping's FilterCriteria, handed over in batches in the
format Lambda uses."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


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
