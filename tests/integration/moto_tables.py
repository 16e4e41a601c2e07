"""A table with a stream, and a streams client, in moto: what the emulation's tests start from."""

from __future__ import annotations

from typing import Any

from infra.local.inprocess import REGION, streams_client

__all__ = ["REGION", "create_table", "streams_client"]


def create_table(client: Any, name: str, *, index: str | None = None) -> str:
    """A `pk`/`sk` table streaming new and old images (with `index` on `gpk`/`gsk`); its
    stream's ARN."""
    keys = ("pk", "sk", "gpk", "gsk") if index else ("pk", "sk")
    extra: dict[str, Any] = {}
    if index:
        extra["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": "gpk", "KeyType": "HASH"},
                    {"AttributeName": "gsk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    answer = client.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in keys],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        **extra,
    )
    return str(answer["TableDescription"]["LatestStreamArn"])
