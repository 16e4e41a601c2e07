"""moto's storage read and written straight, where going through boto3 would cost the bench
minutes: the meter's before/after item sizes, and the sweep's bulk copies of seed orders.
(Transactions go through moto as the local stack runs it: infra/local/emulation.py.)"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb import models
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict


class MotoStorage:
    """Items read straight from moto's storage, for the meter's before/after sizes: through
    boto3, moto's response serializer takes some 40 ms per order item here."""

    def __init__(self, region: str) -> None:
        self._backend = models.dynamodb_backends[DEFAULT_ACCOUNT_ID][region]

    def get(self, table_name: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        table = self._backend.get_table(table_name)
        item = table.get_item(
            DynamoType(key[table.hash_key_attr]),
            DynamoType(key[table.range_key_attr]) if table.range_key_attr else None,
        )
        if item is None:
            return None
        attributes: dict[str, Any] = item.to_json()["Attributes"]
        return attributes


class MotoTable:
    """Bulk copies of an item straight into moto's storage for a table.

    BatchWriteItem through moto costs about 0.5-1 ms per attribute of each item here (moto
    re-sums the item's size for every attribute it adds), some 100-200 order items a second:
    50,000 orders would take minutes. A copy instead shares the template's attribute values
    and replaces only the strings that hold its id. Copies get no stream record (they are
    seed data, not writes a function made)."""

    def __init__(self, table_name: str, region: str) -> None:
        self._table = models.dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(table_name)

    def copy_item(self, key: dict[str, Any], old: str, new_ids: Iterator[str]) -> int:
        """Copies of the item at `key`, with `old` replaced by each new id; how many."""
        table = self._table
        template = table.get_item(
            DynamoType(key[table.hash_key_attr]),
            DynamoType(key[table.range_key_attr]) if table.range_key_attr else None,
        )
        if template is None:
            raise LookupError(f"no item {key} to copy")
        renamed = {
            name: value.value
            for name, value in template.attrs.items()
            if value.type == "S" and old in value.value
        }
        count = 0
        for new in new_ids:
            attrs = LimitedSizeDict(template.attrs)  # dict.update: no size re-check per item
            for name, text in renamed.items():
                dict.__setitem__(attrs, name, DynamoType({"S": text.replace(old, new)}))
            item: Item = object.__new__(Item)
            item.hash_key = attrs[table.hash_key_attr]
            item.range_key = attrs[table.range_key_attr] if table.range_key_attr else None
            item.attrs = attrs
            table.items[item.hash_key][item.range_key] = item
            count += 1
        return count
