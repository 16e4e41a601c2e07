"""The local stack in this process, without its socket: the template's resources on moto (under
`mock_aws`), and requests through the emulated API Gateway into the real handlers.

The integration tests and the bench build on these, as `make run` builds on the same pieces, so
all three read the template, sign a token, shape a schedule's or S3's event the same way.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import boto3

from infra.local.cfn import Resolver, StackContext, load_template_file, parameter_values
from infra.local.gateway import Gateway, Invoker
from infra.local.messages import HttpRequest
from infra.local.resources import create_resources
from infra.local.template import FunctionSpec, StackModel, read_stack
from infra.local.tokens import issue_token

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"


def read_template(overrides: Mapping[str, str] | None = None) -> tuple[StackModel, Resolver]:
    """The project's template as the local stack reads it, with its parameters' defaults."""
    template = load_template_file(TEMPLATE)
    resolver = Resolver(template, StackContext(), parameter_values(template, {}))
    return read_stack(template, resolver, ROOT, overrides), resolver


@dataclass(frozen=True)
class Deployment:
    """The template's resources, created on moto, and the environment its functions get."""

    model: StackModel
    tables: dict[str, str]  # logical id → table name
    buckets: dict[str, str]  # logical id → bucket name
    environment: dict[str, str]

    @classmethod
    def create(cls, overrides: Mapping[str, str]) -> Deployment:
        """Call inside `mock_aws()`: every resource of the template the emulation holds."""
        model, resolver = read_template(overrides)
        created = create_resources(model.resources, resolver, endpoint_url=None)
        variables, _conflicts = model.environment_union()
        variables.update(overrides)
        return cls(
            model,
            {r.logical_id: r.physical_name for r in created if r.kind == "AWS::DynamoDB::Table"},
            {r.logical_id: r.physical_name for r in created if r.kind == "AWS::S3::Bucket"},
            variables,
        )

    def function(self, name: str) -> FunctionSpec:
        spec = self.model.function_named(name)
        if spec is None:
            raise LookupError(f"template.yaml has no function {name}")
        return spec


class _Caller(Enum):
    OWN = "the client's own user"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


class ApiClient:
    """HTTP requests as a client sends them, through the emulated API Gateway (routing, the
    JWT authorizer, the payload v2 event) into the handlers the invoker runs."""

    def __init__(
        self, model: StackModel, invoker: Invoker, clock: Any, jwt_secret: str, user: str
    ) -> None:
        self.clock = clock
        self.jwt_secret = jwt_secret
        self.user = user
        self.calls = 0
        self.gateway = Gateway(
            model.routes, model.apis, model.functions, invoker, clock, jwt_secret
        )

    def token(self, sub: str, groups: tuple[str, ...] = ()) -> str:
        return issue_token(
            self.jwt_secret,
            sub=sub,
            email=f"{sub}@example.com",
            groups=groups,
            now=self.clock.now(),
        )

    def call(
        self,
        method: str,
        target: str,
        body: Any = None,
        *,
        as_user: str | Literal[_Caller.OWN] | None = _Caller.OWN,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        groups: tuple[str, ...] = (),
    ) -> Reply:
        """`as_user` is the caller's `sub` (left out: the client's own user), or None to send
        no token; `raw` is sent as the body as it is, else `body` as JSON."""
        sent = dict(headers or {})
        user = self.user if as_user is _Caller.OWN else as_user
        if user is not None:
            sent["Authorization"] = f"Bearer {self.token(user, groups)}"
        payload = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
        if payload:
            sent.setdefault("Content-Type", "application/json")
        self.calls += 1
        response = self.gateway.handle(HttpRequest(method, target, tuple(sent.items()), payload))
        return Reply(response.status, dict(response.headers), response.body)

    def staff(self, method: str, target: str, body: Any = None) -> Reply:
        """A call by a designer (a token in the staff group)."""
        return self.call(method, target, body, as_user="designer-1", groups=("staff",))


def scheduled_event(at: datetime) -> dict[str, Any]:
    """What an EventBridge schedule hands its function."""
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": at.isoformat(),
        "region": REGION,
        "resources": [],
        "detail": {},
    }


def bus_event(detail_type: str, detail: dict[str, Any], at: str) -> dict[str, Any]:
    """What an EventBridge rule hands its target for an event on atelier's bus (each re-send
    has a new `id`)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "atelier.orders",
        "account": ACCOUNT,
        "time": at,
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


def object_created_event(bucket: str, key: str, size: int) -> dict[str, Any]:
    """What S3's EventBridge notification hands evidence_upload (the key URL-encoded, as S3
    sends it)."""
    return {
        "version": "0",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {
            "bucket": {"name": bucket},
            "object": {"key": key.replace("/", "%2F"), "size": size},
        },
    }


def streams_client(session: Any = None) -> Any:
    """A DynamoDB Streams client moto answers: botocore resolves an account-based endpoint
    moto does not route, so the classic one is named."""
    return (session or boto3).client(
        "dynamodbstreams",
        region_name=REGION,
        endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com",
    )
