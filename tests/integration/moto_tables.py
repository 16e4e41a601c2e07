"""A table with a stream, and a streams client, in moto: what the emulation's tests start from."""

from __future__ import annotations

from typing import Any

import boto3

REGION = "us-east-1"


def streams_client() -> Any:
    # botocore resolves an endpoint moto does not serve: name the classic one.
    return boto3.client(
        "dynamodbstreams",
        region_name=REGION,
        endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com",
    )


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
