"""DynamoDB's published sizing and billing rules, applied to attribute maps.

Sources (docs/performance.md quotes them):
- item size: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
- read/write units: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
- GSI writes: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html
- transactions: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html

The emulator reports a constant ConsumedCapacity, so the bench computes what DynamoDB bills.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

READ_UNIT_BYTES = 4096  # one strongly consistent read of up to 4 KB
WRITE_UNIT_BYTES = 1024  # one standard write of up to 1 KB
NESTED_OVERHEAD = 3  # a List or Map costs 3 bytes whatever it holds
ELEMENT_OVERHEAD = 1  # and each of its elements 1 byte more

AttributeMap = Mapping[str, Mapping[str, Any]]


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def number_size(text: str) -> int:
    """About 1 byte per two significant digits, plus 1 (leading and trailing zeros trimmed)."""
    digits = text.strip().lstrip("+-").lower()
    mantissa, _, _exponent = digits.partition("e")
    significant = mantissa.replace(".", "").lstrip("0").rstrip("0")
    return math.ceil(max(len(significant), 1) / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    """The size of one attribute value (without its name), in bytes."""
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return _utf8(inner)
    if kind == "N":
        return number_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(_utf8(v) for v in inner)
    if kind == "NS":
        return sum(number_size(v) for v in inner)
    if kind == "BS":
        return sum(len(v) for v in inner)
    if kind == "L":
        return NESTED_OVERHEAD + sum(value_size(v) + ELEMENT_OVERHEAD for v in inner)
    if kind == "M":
        return NESTED_OVERHEAD + sum(
            _utf8(name) + value_size(v) + ELEMENT_OVERHEAD for name, v in inner.items()
        )
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: AttributeMap | None) -> int:
    """The sum of the lengths of the attribute names and values, in bytes (0: no item)."""
    if not item:
        return 0
    return sum(_utf8(name) + value_size(value) for name, value in item.items())


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    """Read request units for `size` bytes read in one unit of billing (an item, or a whole
    Query/Scan page): rounded up to 4 KB, at least one 4 KB unit even when nothing is found."""
    blocks = max(1, math.ceil(size / READ_UNIT_BYTES))
    if transactional:
        return 2.0 * blocks
    return float(blocks) if consistent else blocks / 2


def write_units(size: int, *, transactional: bool = False) -> float:
    """Write request units for one item write of `size` bytes: rounded up to 1 KB, at least 1."""
    blocks = max(1, math.ceil(size / WRITE_UNIT_BYTES))
    return float(2 * blocks if transactional else blocks)


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index as DescribeTable gives it."""

    name: str
    keys: tuple[str, ...]  # hash key, then range key when there is one
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    included: tuple[str, ...] = ()

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> IndexSpec:
        projection = description.get("Projection", {})
        return cls(
            name=description["IndexName"],
            keys=tuple(k["AttributeName"] for k in description["KeySchema"]),
            projection=projection.get("ProjectionType", "ALL"),
            included=tuple(projection.get("NonKeyAttributes", ())),
        )

    def entry(self, item: AttributeMap | None, table_keys: Iterable[str]) -> dict[str, Any] | None:
        """The index entry `item` projects, or None when the item is not in this (sparse) index."""
        if not item or any(key not in item for key in self.keys):
            return None
        if self.projection == "ALL":
            return dict(item)
        kept = {*table_keys, *self.keys, *(self.included if self.projection == "INCLUDE" else ())}
        return {name: value for name, value in item.items() if name in kept}


@dataclass(frozen=True)
class IndexWrite:
    index: str
    writes: int  # index entries put or deleted
    units: float  # write request units they cost
    # The units by the index partition key value each entry was written under (a changed key
    # writes both the old partition, its delete, and the new one, its put).
    partitions: tuple[tuple[str, float], ...] = ()


def _partition(index: IndexSpec, entry: Mapping[str, Any]) -> str:
    value = entry[index.keys[0]]
    return str(next(iter(value.values())) if isinstance(value, Mapping) else value)


def index_write_cost(
    index: IndexSpec,
    before: AttributeMap | None,
    after: AttributeMap | None,
    table_keys: Iterable[str],
) -> IndexWrite:
    """What changing an item from `before` to `after` costs in one GSI (the GSI page's rules):
    a new entry is one write, a removed entry one write, a changed index key two (delete and
    put), a changed projection one; no entry before or after, or an unchanged entry, nothing.
    Each write is sized by its entry, rounded up to 1 KB. Index updates are not transactional,
    so they are billed as standard writes even when the table write is a transaction."""
    keys = tuple(table_keys)
    old, new = index.entry(before, keys), index.entry(after, keys)
    if old == new:
        return IndexWrite(index.name, 0, 0.0)
    if old is None or new is None:
        present = old if new is None else new
        assert present is not None
        units = write_units(item_size(present))
        return IndexWrite(index.name, 1, units, ((_partition(index, present), units),))
    key_changed = any(old.get(k) != new.get(k) for k in index.keys)
    if key_changed:
        removed, added = write_units(item_size(old)), write_units(item_size(new))
        return IndexWrite(
            index.name,
            2,
            removed + added,
            ((_partition(index, old), removed), (_partition(index, new), added)),
        )
    units = write_units(item_size(new))
    return IndexWrite(index.name, 1, units, ((_partition(index, new), units),))
