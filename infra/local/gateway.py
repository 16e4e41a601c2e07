"""API Gateway HTTP API, emulated: route matching, the JWT authorizer, CORS, the payload 2.0
event the function receives, and the translation of its answer back to HTTP."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote

from infra.local.messages import HttpRequest, HttpResponse, gateway_error
from infra.local.template import Cors, FunctionSpec, HttpApiSpec, Route
from infra.local.tokens import (
    InvalidTokenError,
    bearer_token,
    render_claims,
    usable_subject,
    verify_token,
)

log = logging.getLogger("local_stack")

MAX_BODY_BYTES = 10 * 1024 * 1024  # HTTP API's payload quota
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Set by the server from the body it sends; a function's own values would be wrong.
_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


class Clock(Protocol):
    def now(self) -> datetime: ...


class Invoker(Protocol):
    def invoke(self, function: FunctionSpec, event: dict[str, Any]) -> Any: ...


@dataclass(frozen=True)
class ApiContext:
    """The requestContext values that do not depend on the request."""

    account_id: str = "123456789012"
    api_id: str = "local"
    stage: str = "$default"


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


class InvalidIntegrationResponseError(Exception):
    """The function answered something API Gateway cannot turn into HTTP (a 500)."""


# ---------------------------------------------------------------------------- routing


def _match_path(template: str, raw_path: str) -> dict[str, str] | None:
    wanted = template.split("/")[1:]
    given = raw_path.split("/")[1:]
    parameters: dict[str, str] = {}
    for index, segment in enumerate(wanted):
        if segment.startswith("{") and segment.endswith("+}"):
            rest = given[index:]
            if not rest or not rest[0]:
                return None
            parameters[segment[1:-2]] = unquote("/".join(rest))
            return parameters
        if index >= len(given):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            if not given[index]:
                return None
            parameters[segment[1:-1]] = unquote(given[index])
        elif segment != given[index]:
            return None
    return parameters if len(given) == len(wanted) else None


def _specificity(route: Route) -> tuple[int, tuple[int, ...], int]:
    """Sort key: literal segments beat variables, which beat greedy ones; a method beats ANY;
    `$default` comes last."""
    if route.path == "$default":
        return (1, (), 1)
    kinds = tuple(
        2 if segment.endswith("+}") else 1 if segment.startswith("{") else 0
        for segment in route.path.split("/")[1:]
    )
    return (0, kinds, 1 if route.method == "ANY" else 0)


class RouteTable:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes = sorted(routes, key=_specificity)

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        for route in self._routes:
            if route.method not in (method.upper(), "ANY") and route.path != "$default":
                continue
            if route.path == "$default":
                return RouteMatch(route, {})
            parameters = _match_path(route.path, raw_path)
            if parameters is not None:
                return RouteMatch(route, parameters)
        return None

    def matches_any_method(self, raw_path: str) -> Route | None:
        return next(
            (
                route
                for route in self._routes
                if route.path == "$default" or _match_path(route.path, raw_path) is not None
            ),
            None,
        )


# ---------------------------------------------------------------------------- the event


def new_request_id() -> str:
    """Shaped like HTTP API's request ids (`JKJaXmPLvHcESHA=`)."""
    return base64.b64encode(secrets.token_bytes(10)).decode("ascii")


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for key, value in pairs:
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def _request_time(now: datetime) -> str:
    now = now.astimezone(UTC)
    return f"{now:%d}/{_MONTHS[now.month - 1]}/{now:%Y:%H:%M:%S} +0000"


def build_http_event(
    request: HttpRequest,
    match: RouteMatch,
    *,
    now: datetime,
    request_id: str,
    claims: Mapping[str, str] | None = None,
    api: ApiContext | None = None,
) -> dict[str, Any]:
    """The API Gateway HTTP API payload format 2.0 event for `request` on its route."""
    api = api or ApiContext()
    headers: list[tuple[str, str]] = []
    cookies: list[str] = []
    for key, value in request.headers:
        name = key.lower()
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
        else:
            headers.append((name, value))
    present = {name for name, _ in headers}
    host = request.header("host") or "127.0.0.1"
    hostname, _, port = host.partition(":")
    for name, value in (
        ("x-forwarded-for", request.source_ip),
        ("x-forwarded-port", port or "80"),
        ("x-forwarded-proto", "http"),
        ("x-amzn-trace-id", f"Root=1-{int(now.timestamp()):08x}-{secrets.token_hex(12)}"),
    ):
        if name not in present:
            headers.append((name, value))

    http_context = {
        "method": request.method.upper(),
        "path": request.raw_path,
        "protocol": request.protocol,
        "sourceIp": request.source_ip,
        "userAgent": request.header("user-agent") or "",
    }
    request_context: dict[str, Any] = {
        "accountId": api.account_id,
        "apiId": api.api_id,
        "domainName": hostname,
        "domainPrefix": hostname.split(".")[0],
        "http": http_context,
        "requestId": request_id,
        "routeKey": match.route.route_key,
        "stage": api.stage,
        "time": _request_time(now),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": dict(claims), "scopes": None}}

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = _joined(headers)
    if request.raw_query:
        event["queryStringParameters"] = _joined(
            parse_qsl(request.raw_query, keep_blank_values=True)
        )
    event["requestContext"] = request_context
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    if request.body:
        try:
            event["body"] = request.body.decode("utf-8")
            event["isBase64Encoded"] = False
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


# ---------------------------------------------------------------------------- the answer


def response_from_result(result: Any) -> HttpResponse:
    """Payload 2.0 response rules: a dict with `statusCode` is a full response; anything else
    is a 200 whose JSON body is the function's return value."""
    if not (isinstance(result, dict) and "statusCode" in result):
        body = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, [("content-type", "application/json")], body.encode())

    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise InvalidIntegrationResponseError(f"statusCode {status!r} is not an HTTP status")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(value)) for value in values)
    headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or ())
    headers = [(name, value) for name, value in headers if name.lower() not in _HOP_BY_HOP]

    raw_body = result.get("body")
    if raw_body is None:
        payload = b""
    elif not isinstance(raw_body, str):
        raise InvalidIntegrationResponseError("body is not a string")
    elif result.get("isBase64Encoded") is True:
        try:
            payload = base64.b64decode(raw_body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidIntegrationResponseError("body is not valid base64") from exc
    else:
        payload = raw_body.encode("utf-8")
    return HttpResponse(status, headers, payload)


# ---------------------------------------------------------------------------- CORS


def _allowed_origin(cors: Cors, origin: str) -> str | None:
    if "*" in cors.allow_origins:
        return "*"
    return origin if origin in cors.allow_origins else None


def preflight_response(cors: Cors, request: HttpRequest) -> HttpResponse:
    """API Gateway answers CORS preflights itself when the API has a CorsConfiguration."""
    response = HttpResponse(204)
    origin = request.header("origin") or ""
    allowed = _allowed_origin(cors, origin)
    if allowed is None:
        return response
    response.headers.append(("access-control-allow-origin", allowed))
    if cors.allow_methods:
        response.headers.append(("access-control-allow-methods", ",".join(cors.allow_methods)))
    if cors.allow_headers:
        response.headers.append(("access-control-allow-headers", ",".join(cors.allow_headers)))
    if cors.max_age is not None:
        response.headers.append(("access-control-max-age", str(cors.max_age)))
    if cors.allow_credentials:
        response.headers.append(("access-control-allow-credentials", "true"))
    return response


def add_cors_headers(cors: Cors, request: HttpRequest, response: HttpResponse) -> None:
    origin = request.header("origin")
    allowed = _allowed_origin(cors, origin) if origin else None
    if allowed is None:
        return
    response.headers = [
        (name, value)
        for name, value in response.headers
        if not name.lower().startswith("access-control-")
    ]
    response.headers.append(("access-control-allow-origin", allowed))
    if cors.expose_headers:
        response.headers.append(("access-control-expose-headers", ",".join(cors.expose_headers)))
    if cors.allow_credentials:
        response.headers.append(("access-control-allow-credentials", "true"))


# ---------------------------------------------------------------------------- the gateway


class Gateway:
    """Turns an HTTP request into the event `template.yaml` routes to a function, and back."""

    def __init__(
        self,
        routes: Iterable[Route],
        apis: Mapping[str, HttpApiSpec],
        functions: Mapping[str, FunctionSpec],
        invoker: Invoker,
        clock: Clock,
        jwt_secret: str,
        api_context: ApiContext | None = None,
    ) -> None:
        self._routes = RouteTable(routes)
        self._apis = apis
        self._functions = functions
        self._invoker = invoker
        self._clock = clock
        self._secret = jwt_secret
        self._api_context = api_context or ApiContext()

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id()
        response = self._answer(request, request_id)
        response.headers.append(("apigw-requestid", request_id))
        return response

    def _answer(self, request: HttpRequest, request_id: str) -> HttpResponse:
        if len(request.body) > MAX_BODY_BYTES:
            return gateway_error(413, "Request Entity Too Large")
        cors = self._cors_for(request.raw_path)
        if (
            cors is not None
            and request.method.upper() == "OPTIONS"
            and request.header("origin")
            and request.header("access-control-request-method")
        ):
            return preflight_response(cors, request)

        match = self._routes.match(request.method, request.raw_path)
        if match is None:
            response = gateway_error(404, "Not Found")
        else:
            response = self._call(request, request_id, match)
        if cors is not None:
            add_cors_headers(cors, request, response)
        return response

    def _call(self, request: HttpRequest, request_id: str, match: RouteMatch) -> HttpResponse:
        now = self._clock.now()
        claims: dict[str, str] | None = None
        if match.route.authorizer is not None:
            header = self._identity_header(match.route)
            token = bearer_token(request.header(header))
            # The client only ever hears "Unauthorized"; the developer's console says why.
            # Never the token, never a claim's value (a person may be named by one).
            if token is None:
                log.info("401 on %s: no token in the %s header", match.route.route_key, header)
                return gateway_error(401, "Unauthorized")
            try:
                verified = verify_token(token, self._secret, now)
            except InvalidTokenError as exc:
                log.info("401 on %s: token %s", match.route.route_key, exc)
                return gateway_error(401, "Unauthorized")
            problem = usable_subject(verified)
            if problem is not None:
                log.info(
                    "token with %s on %s: API Gateway lets it through; the function answers 401",
                    problem,
                    match.route.route_key,
                )
            claims = render_claims(verified)

        event = build_http_event(
            request, match, now=now, request_id=request_id, claims=claims, api=self._api_context
        )
        function = self._functions[match.route.function]
        try:
            result = self._invoker.invoke(function, event)
        except Exception:
            log.exception("%s raised on %s", function.name, match.route.route_key)
            return gateway_error(500, "Internal Server Error")
        try:
            return response_from_result(result)
        except InvalidIntegrationResponseError as exc:
            log.error("%s answered an invalid response: %s", function.name, exc)
            return gateway_error(500, "Internal Server Error")

    def _identity_header(self, route: Route) -> str:
        authorizer = self._apis[route.api].authorizers.get(route.authorizer or "") or {}
        source = authorizer.get("IdentitySource") if isinstance(authorizer, dict) else None
        prefix = "$request.header."
        if isinstance(source, str) and source.startswith(prefix):
            return source[len(prefix) :]
        return "Authorization"

    def _cors_for(self, raw_path: str) -> Cors | None:
        route = self._routes.matches_any_method(raw_path)
        if route is not None:
            return self._apis[route.api].cors
        return next((api.cors for api in self._apis.values() if api.cors is not None), None)
