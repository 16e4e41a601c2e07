"""Floor for an event-driven function: boto3, Logger and one DynamoDB client."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger

logger = Logger()
dynamodb = boto3.client("dynamodb")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.info("event received")
    return {}
