"""`template.yaml` read as the local stack needs it: functions, their routes and schedules, the
HTTP API's authorizers and CORS, and the resources to create. Nothing here is re-declared."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from infra.local.cfn import Resolver, TemplateError

IMPLICIT_HTTP_API = "ServerlessHttpApi"
FUNCTION_TYPES = ("AWS::Serverless::Function",)


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # e.g. /orders/{order_id}/cancel, or $default
    function: str  # logical id
    authorizer: str | None  # None: public route
    api: str  # logical id of the HttpApi

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class Schedule:
    event_name: str
    kind: Literal["Schedule", "ScheduleV2"]
    expression: str
    input: str | None  # the JSON text the schedule sends instead of the scheduled event


@dataclass(frozen=True)
class StreamSubscription:
    """A `Type: DynamoDB` event: the function reads a table's stream."""

    event_name: str
    table: str  # logical id of the table whose StreamArn it names
    batch_size: int
    max_retries: int
    filters: tuple[Mapping[str, Any], ...]  # FilterCriteria.Filters, each {"Pattern": "<json>"}


@dataclass(frozen=True)
class BusRule:
    """A `Type: EventBridgeRule` event: a rule on a bus whose target is the function."""

    event_name: str
    bus: str  # the bus's name; "default" when the event names none
    pattern: Mapping[str, Any]  # the event pattern, resolved
    max_retries: int  # RetryPolicy.MaximumRetryAttempts: EventBridge's delivery retries
    max_event_age_s: int  # RetryPolicy.MaximumEventAgeInSeconds


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str  # the CodeUri folder, e.g. orders_api: how the control API names functions
    function_name: str  # the physical name Lambda would show
    arn: str
    code_dir: Path
    handler: str  # e.g. app.lambda_handler
    memory_mb: int
    timeout_s: int
    environment: dict[str, str]
    schedules: tuple[Schedule, ...] = ()
    streams: tuple[StreamSubscription, ...] = ()
    rules: tuple[BusRule, ...] = ()
    # EventInvokeConfig.MaximumRetryAttempts: how often Lambda retries a function error of an
    # asynchronous invocation (an EventBridge delivery) before its on-failure destination.
    async_retries: int = 2

    @property
    def handler_file(self) -> Path:
        module, _, _attribute = self.handler.rpartition(".")
        return self.code_dir.joinpath(*module.split(".")).with_suffix(".py")

    @property
    def handler_attribute(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class Cors:
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True)
class HttpApiSpec:
    logical_id: str
    default_authorizer: str | None
    authorizers: Mapping[str, Any]
    cors: Cors | None


@dataclass(frozen=True)
class StackModel:
    functions: dict[str, FunctionSpec]  # by logical id
    routes: list[Route]
    apis: dict[str, HttpApiSpec]
    resources: dict[str, str]  # every other (non-SAM) resource: logical id -> type
    notes: list[str] = field(default_factory=list)  # things skipped, for the debug output

    def function_named(self, name: str) -> FunctionSpec | None:
        """By CodeUri folder name (expiry_sweep), logical id or physical name."""
        for spec in self.functions.values():
            if name in (spec.name, spec.logical_id, spec.function_name):
                return spec
        return None

    def environment_union(self) -> tuple[dict[str, str], list[str]]:
        """Every function's variables in one mapping (they share this process), and a warning
        for each name two functions set differently."""
        union: dict[str, str] = {}
        owners: dict[str, str] = {}
        conflicts: list[str] = []
        for spec in self.functions.values():
            for key, value in spec.environment.items():
                if key in union and union[key] != value:
                    conflicts.append(
                        f"{key} differs between {owners[key]} and {spec.logical_id}; "
                        f"using {owners[key]}'s value"
                    )
                    continue
                union.setdefault(key, value)
                owners.setdefault(key, spec.logical_id)
        return union, conflicts


def merge_globals(defaults: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: maps merge (the resource wins), lists add up, scalars are replaced."""
    merged: dict[str, Any] = dict(defaults)
    for key, value in own.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = merge_globals(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            merged[key] = current + value
        else:
            merged[key] = value
    return merged


DEFAULT_WEBHOOK_SECRET = "whsec_local"  # noqa: S105 - the local stack's documented default


def local_environment_overrides(
    api_url: str, webhook_secret: str = DEFAULT_WEBHOOK_SECRET
) -> dict[str, str]:
    """What differs from the cloud on purpose: the sandbox payment gateway on this stack, and
    the webhook secret from the environment instead of SSM."""
    return {
        "PAYMENT_PROVIDER": "sandbox",
        "SANDBOX_PAY_URL": f"{api_url}/_local/pay",
        "WEBHOOK_SECRET_PARAMETER": "",
        "WEBHOOK_SECRETS": webhook_secret,
    }


def read_stack(
    template: Mapping[str, Any],
    resolver: Resolver,
    root: Path,
    environment_overrides: Mapping[str, str] | None = None,
) -> StackModel:
    """The local view of the template. `root` is the template's folder (CodeUri is relative to
    it); `environment_overrides` replace variables the functions declare."""
    overrides = dict(environment_overrides or {})
    globals_section = template.get("Globals") or {}
    function_globals = globals_section.get("Function") or {}
    api_globals = globals_section.get("HttpApi") or {}

    notes: list[str] = []
    functions: dict[str, FunctionSpec] = {}
    routes: list[Route] = []
    apis: dict[str, HttpApiSpec] = {}
    resources: dict[str, str] = {}

    for logical_id, kind in _existing_resources(template, resolver):
        if kind == "AWS::Serverless::HttpApi":
            properties = merge_globals(api_globals, resolver.resource_properties(logical_id))
            apis[logical_id] = _http_api(logical_id, properties, resolver)
        elif kind not in FUNCTION_TYPES and not kind.startswith("AWS::Serverless::"):
            resources[logical_id] = kind
        elif kind not in FUNCTION_TYPES:
            notes.append(f"{logical_id} ({kind}) is not emulated")

    for logical_id, kind in _existing_resources(template, resolver):
        if kind not in FUNCTION_TYPES:
            continue
        properties = merge_globals(function_globals, resolver.resource_properties(logical_id))
        runtime = str(properties.get("Runtime", ""))
        if not runtime.startswith("python"):
            notes.append(f"{logical_id} skipped: runtime {runtime!r} is not Python")
            continue
        spec, events = _function(logical_id, properties, resolver, root, overrides)
        functions[logical_id] = spec
        for event_name, event in events.items():
            route = _route(spec, event_name, event, apis, api_globals, resolver, notes)
            if route is not None:
                routes.append(route)

    seen: dict[str, Route] = {}
    for route in routes:
        if route.route_key in seen:
            notes.append(f"route {route.route_key} is declared twice; the first one wins")
        seen.setdefault(route.route_key, route)
    return StackModel(functions, list(seen.values()), apis, resources, notes)


def _existing_resources(
    template: Mapping[str, Any], resolver: Resolver
) -> Iterator[tuple[str, str]]:
    for logical_id, resource in (template.get("Resources") or {}).items():
        if not isinstance(resource, dict):
            raise TemplateError(f"resource {logical_id} is not a mapping")
        condition = resource.get("Condition")
        if condition is not None and not resolver.condition(str(condition)):
            continue
        yield logical_id, str(resource.get("Type", ""))


def _function(
    logical_id: str,
    properties: Mapping[str, Any],
    resolver: Resolver,
    root: Path,
    overrides: Mapping[str, str],
) -> tuple[FunctionSpec, dict[str, Any]]:
    code_uri = properties.get("CodeUri")
    if not isinstance(code_uri, str):
        raise TemplateError(f"{logical_id}: only a local folder CodeUri is supported locally")
    handler = properties.get("Handler")
    if not isinstance(handler, str) or "." not in handler:
        raise TemplateError(f"{logical_id}: Handler must look like module.function")
    code_dir = (root / code_uri).resolve()
    variables = (properties.get("Environment") or {}).get("Variables") or {}
    environment = {str(key): resolver.resolve_text(value) for key, value in variables.items()}
    environment.update({key: value for key, value in overrides.items() if key in environment})
    events = properties.get("Events") or {}
    schedules = tuple(
        schedule
        for event_name, event in events.items()
        if (schedule := _schedule(event_name, event, resolver)) is not None
    )
    spec = FunctionSpec(
        logical_id=logical_id,
        name=code_dir.name,
        function_name=resolver.physical_name(logical_id),
        arn=str(resolver.get_att(logical_id, "Arn")),
        code_dir=code_dir,
        handler=handler,
        memory_mb=int(resolver.resolve_text(properties.get("MemorySize", 128))),
        timeout_s=int(resolver.resolve_text(properties.get("Timeout", 3))),
        environment=environment,
        schedules=schedules,
        streams=tuple(
            stream
            for event_name, event in events.items()
            if (stream := _stream(event_name, event, resolver)) is not None
        ),
        rules=tuple(
            rule
            for event_name, event in events.items()
            if (rule := _rule(event_name, event, resolver)) is not None
        ),
        async_retries=int(
            resolver.resolve_text(
                (properties.get("EventInvokeConfig") or {}).get("MaximumRetryAttempts", 2)
            )
        ),
    )
    return spec, dict(events)


def _rule(event_name: str, event: Any, resolver: Resolver) -> BusRule | None:
    if not isinstance(event, dict) or event.get("Type") != "EventBridgeRule":
        return None
    properties = event.get("Properties") or {}
    pattern = resolver.resolve(properties.get("Pattern"))
    if not isinstance(pattern, dict) or not pattern:
        raise TemplateError(f"{event_name}: an EventBridgeRule needs a Pattern")
    if "Input" in properties or "InputPath" in properties or "InputTransformer" in properties:
        raise TemplateError(f"{event_name}: Input, InputPath and InputTransformer are not emulated")
    bus = properties.get("EventBusName")
    retry = properties.get("RetryPolicy") or {}
    return BusRule(
        event_name=event_name,
        bus="default" if bus is None else resolver.resolve_text(bus),
        pattern=pattern,
        max_retries=int(resolver.resolve_text(retry.get("MaximumRetryAttempts", 185))),
        max_event_age_s=int(resolver.resolve_text(retry.get("MaximumEventAgeInSeconds", 86400))),
    )


def _stream(event_name: str, event: Any, resolver: Resolver) -> StreamSubscription | None:
    if not isinstance(event, dict) or event.get("Type") != "DynamoDB":
        return None
    properties = event.get("Properties") or {}
    source = properties.get("Stream")
    table: Any = None
    if isinstance(source, dict) and "Fn::GetAtt" in source:
        target = source["Fn::GetAtt"]
        table = target.split(".")[0] if isinstance(target, str) else target[0]
    if not isinstance(table, str):
        raise TemplateError(f"{event_name}: Stream must be !GetAtt <Table>.StreamArn locally")
    filters = (properties.get("FilterCriteria") or {}).get("Filters") or []
    return StreamSubscription(
        event_name=event_name,
        table=table,
        batch_size=int(resolver.resolve_text(properties.get("BatchSize", 100))),
        max_retries=int(resolver.resolve_text(properties.get("MaximumRetryAttempts", 2))),
        filters=tuple(resolver.resolve(f) for f in filters),
    )


def _schedule(event_name: str, event: Any, resolver: Resolver) -> Schedule | None:
    kind = event.get("Type") if isinstance(event, dict) else None
    if kind not in ("Schedule", "ScheduleV2"):
        return None
    properties = event.get("Properties") or {}
    expression_key = "Schedule" if kind == "Schedule" else "ScheduleExpression"
    payload = properties.get("Input")
    return Schedule(
        event_name=event_name,
        kind=kind,
        expression=resolver.resolve_text(properties.get(expression_key, "")),
        input=None if payload is None else resolver.resolve_text(payload),
    )


def _route(
    spec: FunctionSpec,
    event_name: str,
    event: Any,
    apis: dict[str, HttpApiSpec],
    api_globals: Mapping[str, Any],
    resolver: Resolver,
    notes: list[str],
) -> Route | None:
    kind = event.get("Type") if isinstance(event, dict) else None
    if kind != "HttpApi":
        if kind not in ("Schedule", "ScheduleV2", "EventBridgeRule"):
            notes.append(f"{spec.logical_id}.{event_name}: {kind} events are not delivered yet")
        return None
    properties = event.get("Properties") or {}
    api_ref = properties.get("ApiId")
    if api_ref is None:
        api_id = IMPLICIT_HTTP_API
        if api_id not in apis:
            apis[api_id] = _http_api(api_id, dict(api_globals), resolver)
    elif isinstance(api_ref, dict) and isinstance(api_ref.get("Ref"), str):
        api_id = api_ref["Ref"]
    else:
        raise TemplateError(f"{spec.logical_id}.{event_name}: ApiId must be !Ref <HttpApi>")
    api = apis.get(api_id)
    if api is None:
        raise TemplateError(f"{spec.logical_id}.{event_name}: no HttpApi named {api_id}")

    path = resolver.resolve_text(properties.get("Path", "$default"))
    method = resolver.resolve_text(properties.get("Method", "ANY")).upper()
    if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
        method = "ANY"
    auth = properties.get("Auth") or {}
    authorizer = auth.get("Authorizer", api.default_authorizer)
    if authorizer == "NONE":
        authorizer = None
    if authorizer is not None and authorizer not in api.authorizers:
        raise TemplateError(f"{spec.logical_id}.{event_name}: unknown authorizer {authorizer}")
    return Route(method, path, spec.logical_id, authorizer, api_id)


def _http_api(logical_id: str, properties: Mapping[str, Any], resolver: Resolver) -> HttpApiSpec:
    auth = properties.get("Auth") or {}
    cors_setting = properties.get("CorsConfiguration")
    cors: Cors | None = None
    if cors_setting is True:
        cors = Cors(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
    elif isinstance(cors_setting, dict):
        resolved = resolver.resolve(cors_setting)

        def texts(key: str) -> tuple[str, ...]:
            return tuple(str(item) for item in resolved.get(key) or ())

        max_age = resolved.get("MaxAge")
        cors = Cors(
            allow_origins=texts("AllowOrigins"),
            allow_methods=tuple(method.upper() for method in texts("AllowMethods")),
            allow_headers=tuple(header.lower() for header in texts("AllowHeaders")),
            expose_headers=tuple(header.lower() for header in texts("ExposeHeaders")),
            max_age=None if max_age is None else int(max_age),
            allow_credentials=resolved.get("AllowCredentials") in (True, "true"),
        )
    default = auth.get("DefaultAuthorizer")
    return HttpApiSpec(
        logical_id=logical_id,
        default_authorizer=None if default in (None, "NONE") else str(default),
        authorizers=dict(auth.get("Authorizers") or {}),
        cors=cors,
    )
