"""Create the template's data resources in the embedded moto: tables, buckets, queues, buses and
SES identities. Anything else (Cognito, log groups, …) has no local counterpart and is skipped."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from infra.local.cfn import Resolver

log = logging.getLogger("local_stack")


@dataclass(frozen=True)
class CreatedResource:
    logical_id: str
    kind: str
    physical_name: str


def create_resources(
    resources: Mapping[str, str], resolver: Resolver, endpoint_url: str | None
) -> list[CreatedResource]:
    """Create every supported resource; queues without a redrive policy first, so that a
    dead-letter queue exists before the queue that points at it."""
    creators: dict[str, Callable[[str, dict[str, Any], str, Any], None]] = {
        "AWS::DynamoDB::Table": _create_table,
        "AWS::S3::Bucket": _create_bucket,
        "AWS::SQS::Queue": _create_queue,
        "AWS::Events::EventBus": _create_event_bus,
        "AWS::SES::EmailIdentity": _create_email_identity,
    }
    service_of = {
        "AWS::DynamoDB::Table": "dynamodb",
        "AWS::S3::Bucket": "s3",
        "AWS::SQS::Queue": "sqs",
        "AWS::Events::EventBus": "events",
        "AWS::SES::EmailIdentity": "sesv2",
    }
    clients: dict[str, Any] = {}
    new_client: Any = boto3.client  # the typed overloads want a literal service name
    region = resolver.context.region

    def order(item: tuple[str, str]) -> int:
        logical_id, kind = item
        if kind != "AWS::SQS::Queue":
            return 0
        return 2 if "RedrivePolicy" in resolver.resource_properties(logical_id) else 1

    created: list[CreatedResource] = []
    for logical_id, kind in sorted(resources.items(), key=order):
        creator = creators.get(kind)
        if creator is None:
            log.debug("skipping %s (%s): no local counterpart", logical_id, kind)
            continue
        service = service_of[kind]
        if service not in clients:
            clients[service] = new_client(service, endpoint_url=endpoint_url, region_name=region)
        properties = resolver.resolve(resolver.resource_properties(logical_id))
        physical = str(resolver.ref(logical_id))
        name = resolver.physical_name(logical_id)
        creator(name, properties, physical, clients[service])
        created.append(CreatedResource(logical_id, kind, physical))
    return created


def table_request(name: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """CreateTable arguments from an `AWS::DynamoDB::Table`'s properties (resolved)."""
    billing = str(properties.get("BillingMode", "PROVISIONED"))
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": billing,
    }

    def throughput(spec: Mapping[str, Any]) -> dict[str, int]:
        given = spec.get("ProvisionedThroughput") or {}
        return {
            "ReadCapacityUnits": int(given.get("ReadCapacityUnits", 5)),
            "WriteCapacityUnits": int(given.get("WriteCapacityUnits", 5)),
        }

    if billing == "PROVISIONED":
        request["ProvisionedThroughput"] = throughput(properties)
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        indexes = []
        for index in properties.get(key) or ():
            entry = {
                "IndexName": index["IndexName"],
                "KeySchema": index["KeySchema"],
                "Projection": index.get("Projection", {"ProjectionType": "ALL"}),
            }
            if billing == "PROVISIONED" and key == "GlobalSecondaryIndexes":
                entry["ProvisionedThroughput"] = throughput(index)
            indexes.append(entry)
        if indexes:
            request[key] = indexes
    stream = properties.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    return request


def _create_table(name: str, properties: dict[str, Any], _physical: str, client: Any) -> None:
    client.create_table(**table_request(name, properties))
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled") in (True, "true"):
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )


def _create_bucket(name: str, properties: dict[str, Any], _physical: str, client: Any) -> None:
    client.create_bucket(Bucket=name)
    versioning = (properties.get("VersioningConfiguration") or {}).get("Status")
    if versioning:
        client.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": str(versioning)}
        )
    notifications = properties.get("NotificationConfiguration") or {}
    bridge = (notifications.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled")
    if bridge in (True, "true"):
        client.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
    rules = (properties.get("CorsConfiguration") or {}).get("CorsRules") or []
    if rules:
        keys = {
            "AllowedHeaders": "AllowedHeaders",
            "AllowedMethods": "AllowedMethods",
            "AllowedOrigins": "AllowedOrigins",
            "ExposedHeaders": "ExposeHeaders",
            "MaxAge": "MaxAgeSeconds",
            "Id": "ID",
        }
        cors_rules = [
            {keys[key]: value for key, value in rule.items() if key in keys} for rule in rules
        ]
        client.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": cors_rules})


def _create_queue(name: str, properties: dict[str, Any], _physical: str, client: Any) -> None:
    attributes: dict[str, str] = {}
    for key in (
        "DelaySeconds",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ReceiveMessageWaitTimeSeconds",
        "VisibilityTimeout",
        "FifoQueue",
        "ContentBasedDeduplication",
    ):
        if key in properties:
            value = properties[key]
            attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
    if "RedrivePolicy" in properties:
        attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
    client.create_queue(QueueName=name, Attributes=attributes)


def _create_event_bus(name: str, _properties: dict[str, Any], _physical: str, client: Any) -> None:
    client.create_event_bus(Name=name)


def _create_email_identity(
    _name: str, properties: dict[str, Any], physical: str, client: Any
) -> None:
    client.create_email_identity(EmailIdentity=str(properties.get("EmailIdentity", physical)))
