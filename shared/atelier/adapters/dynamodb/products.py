"""The catalog's products in the single table, the active and inactive ones in two partitions
of the status index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from atelier.adapters.cursor import decode_cursor, encode_cursor
from atelier.adapters.dynamodb import keys
from atelier.adapters.items import from_item, to_item
from atelier.adapters.sdk_errors import translated_errors
from atelier.domain.catalog import Product
from atelier.domain.errors import ConflictError
from atelier.ports import Page

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


class DynamoProductRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, product_id: str) -> Product | None:
        with translated_errors("get_product"):
            answer = self._client.get_item(TableName=self._table, Key=keys.product_key(product_id))
        item = answer.get("Item")
        return Product.model_validate(from_item(item)["product"]) if item else None

    def list(
        self, *, limit: int, cursor: str | None, include_inactive: bool = False
    ) -> Page[Product]:
        # Customers see the active catalog's partition; staff also the inactive one.
        partitions = (
            [keys.ACTIVE_CATALOG, keys.INACTIVE_CATALOG]
            if include_inactive
            else [keys.ACTIVE_CATALOG]
        )
        position = decode_cursor(cursor, ("p", "id")) if cursor else None
        if position is not None and position["p"] not in partitions:
            position = None
        items: list[Product] = []
        start = partitions.index(position["p"]) if position else 0
        for partition in partitions[start:]:
            args: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": "ByStatus",
                "KeyConditionExpression": "gsi2pk = :p",
                "ExpressionAttributeValues": to_item({":p": partition}),
                "Limit": limit - len(items),
            }
            if position and position["p"] == partition:
                args["ExclusiveStartKey"] = to_item(
                    {
                        "gsi2pk": partition,
                        "gsi2sk": position["id"],
                        "pk": keys.product_pk(position["id"]),
                        "sk": keys.PRODUCT,
                    }
                )
            with translated_errors("list_products"):
                answer = self._client.query(**args)
            items += [Product.model_validate(from_item(i)["product"]) for i in answer["Items"]]
            if len(items) >= limit:
                last = answer.get("LastEvaluatedKey")
                more = last is not None or partition != partitions[-1]
                next_cursor = (
                    encode_cursor({"p": partition, "id": items[-1].product_id}) if more else None
                )
                return Page(items, next_cursor)
            position = None
        return Page(items, None)

    def save(self, product: Product) -> None:
        with translated_errors("save_product"):
            self._client.put_item(TableName=self._table, Item=_product_item(product))

    def add(self, product: Product) -> None:
        """Store a new product; ConflictError when its id is taken (nothing is written)."""
        try:
            with translated_errors("add_product"):
                self._client.put_item(
                    TableName=self._table,
                    Item=_product_item(product),
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            raise ConflictError(
                f"There is already a product {product.product_id!r} in the catalog.",
                code="PRODUCT_EXISTS",
            ) from exc


def _product_item(product: Product) -> dict[str, Any]:
    return to_item(
        {
            "pk": keys.product_pk(product.product_id),
            "sk": keys.PRODUCT,
            "type": "PRODUCT",
            "gsi2pk": keys.catalog_partition(product.active),
            "gsi2sk": product.product_id,
            "product": product.model_dump(mode="json"),
        }
    )
