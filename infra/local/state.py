"""The local stack's state across a stop and a start, when `ATELIER_LOCAL_STATE=<dir>` is set.

Saved at every stop into one file, `<dir>/atelier-local-state.json.gz`, written to a temporary
file and renamed over the old one, so a stop cut short leaves the previous state whole. It
holds every table's items (the catalog, orders, idempotency records), the stream records not
yet delivered and where each subscriber had read to, the evidence objects, the outbox, and the
clock's offset. At start the whole file is read and checked before anything is loaded: a file
that is corrupt, or written by another format or another version of Atelier, is refused with
a message saying what to do, and nothing of it is loaded.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import tempfile
import zlib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

STATE_FILE = "atelier-local-state.json.gz"
FORMAT = 1


class StateError(Exception):
    """The saved state cannot be used; the message says why and what to do."""


def atelier_version() -> str:
    try:
        return version("atelier")
    except PackageNotFoundError:  # a checkout run without `pip install -e .`
        return "unknown"


@dataclass
class SavedState:
    clock_offset_seconds: int
    tables: dict[str, dict[str, Any]]  # name -> {"items": [...], "stream": {...} | None}
    buckets: dict[str, list[dict[str, Any]]]  # name -> [{"key", "body", "content_type", ...}]
    emails: list[dict[str, str]]
    emails_sent_total: int
    stream_positions: dict[str, dict[str, str]]


def state_path(directory: Path) -> Path:
    return directory / STATE_FILE


def load(directory: Path, tables: set[str], buckets: set[str]) -> SavedState | None:
    """The state saved in `directory`, checked whole; None when none was saved yet."""
    path = state_path(directory)
    if not path.exists():
        return None
    fresh = f"delete {path} (or point ATELIER_LOCAL_STATE at another folder) to start afresh"
    try:
        document = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise StateError(f"{path} is corrupt ({exc}); {fresh}") from exc
    if not isinstance(document, dict):
        raise StateError(f"{path} is not a saved state; {fresh}")
    if document.get("format") != FORMAT:
        raise StateError(
            f"{path} was written in state format {document.get('format')!r}, this stack reads "
            f"format {FORMAT}; {fresh}"
        )
    written_by = document.get("atelier")
    if written_by != atelier_version():
        raise StateError(
            f"{path} was written by Atelier {written_by}, this is Atelier {atelier_version()}: "
            f"its items may not fit this version's data model; {fresh}"
        )
    try:
        state = SavedState(
            clock_offset_seconds=int(document["clock_offset_seconds"]),
            tables=dict(document["tables"]),
            buckets=dict(document["buckets"]),
            emails=list(document["emails"]),
            emails_sent_total=int(document["emails_sent_total"]),
            stream_positions=dict(document["stream_positions"]),
        )
        for name, table in state.tables.items():
            if not isinstance(table.get("items"), list):
                raise ValueError(f"table {name} has no item list")
        for objects in state.buckets.values():
            for entry in objects:
                base64.b64decode(entry["body"], validate=True)
                str(entry["key"])
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError(f"{path} is incomplete or malformed ({exc}); {fresh}") from exc
    unknown = (set(state.tables) - tables) | (set(state.buckets) - buckets)
    if unknown:
        raise StateError(
            f"{path} holds {', '.join(sorted(unknown))}, which this template does not declare; "
            f"{fresh}"
        )
    return state


def save(directory: Path, state: SavedState) -> Path:
    """Write the state atomically; its path."""
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "format": FORMAT,
        "atelier": atelier_version(),
        "clock_offset_seconds": state.clock_offset_seconds,
        "tables": state.tables,
        "buckets": state.buckets,
        "emails": state.emails,
        "emails_sent_total": state.emails_sent_total,
        "stream_positions": state.stream_positions,
    }
    payload = gzip.compress(json.dumps(document, separators=(",", ":")).encode(), compresslevel=1)
    path = state_path(directory)
    handle, temporary = tempfile.mkstemp(prefix=".state-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


# ---------------------------------------------------------------------------- moto's storage


def capture_tables(backend: Any, names: set[str], positions: dict[str, int]) -> dict[str, Any]:
    """Every item of each table, and its stream records after `positions[name]` (the lowest
    sequence number any subscriber has read to; the rest were delivered)."""
    from infra.local import emulation

    tables: dict[str, Any] = {}
    for name in sorted(names):
        table = backend.get_table(name)
        items = [item.to_json()["Attributes"] for item in table.all_items()]
        stream = None
        shard = table.stream_shard
        if shard is not None:
            after = positions.get(name)
            keep = [
                record.to_json()
                for record in shard.items
                if after is None or int(record.to_json()["dynamodb"]["SequenceNumber"]) > after
            ]
            stream = {
                "next_index": emulation.stream_offset(shard) + len(shard.items),
                "records": keep,
            }
        tables[name] = {"items": items, "stream": stream}
    return tables


def restore_tables(backend: Any, tables: dict[str, Any]) -> int:
    """Put the saved items back straight into moto's storage (no stream records: they were
    delivered before the stop); how many items."""
    from infra.local import emulation

    count = 0
    for name, saved in tables.items():
        table = backend.get_table(name)
        for attributes in saved["items"]:
            emulation.store_item(table, attributes)
            count += 1
        if saved.get("stream") and table.stream_shard is not None:
            emulation.restore_stream(
                table.stream_shard, saved["stream"]["next_index"], saved["stream"]["records"]
            )
    return count


def capture_buckets(s3: Any, names: set[str]) -> dict[str, list[dict[str, Any]]]:
    buckets: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(names):
        objects = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            for summary in page.get("Contents", []):
                got = s3.get_object(Bucket=name, Key=summary["Key"])
                objects.append(
                    {
                        "key": summary["Key"],
                        "body": base64.b64encode(got["Body"].read()).decode(),
                        "content_type": got.get("ContentType") or "binary/octet-stream",
                        "metadata": got.get("Metadata") or {},
                    }
                )
        buckets[name] = objects
    return buckets


def restore_buckets(s3: Any, buckets: dict[str, list[dict[str, Any]]]) -> int:
    count = 0
    for name, objects in buckets.items():
        for entry in objects:
            s3.put_object(
                Bucket=name,
                Key=entry["key"],
                Body=base64.b64decode(entry["body"]),
                ContentType=entry["content_type"],
                Metadata=entry.get("metadata") or {},
            )
            count += 1
    return count
