"""Floor for an API function: the same validating resolver, one small model, Logger and one
DynamoDB client. Nothing an API function could do without."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import BaseModel, Field

logger = Logger()
app = APIGatewayHttpResolver(enable_validation=True)
dynamodb = boto3.client("dynamodb")


class Item(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    quantity: int = Field(default=1, ge=1)


@app.post("/items")
def create_item(item: Item) -> Item:
    return item


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
