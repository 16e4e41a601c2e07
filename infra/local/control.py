"""The local stack's control API (none of it exists in AWS): tokens, the clock, schedules, the
outbox, and the Swagger UI at /docs."""

from __future__ import annotations

import html
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from infra.local.gateway import Invoker
from infra.local.messages import HttpRequest, HttpResponse, control_error
from infra.local.template import FunctionSpec, Schedule, StackModel
from infra.local.tokens import issue_token

log = logging.getLogger("local_stack")

_SCHEDULE_RUN = re.compile(r"^/_local/schedules/([^/]+)/run$")
_SWAGGER_ASSETS = {
    "/docs/swagger-ui-bundle.min.js": ("swagger-ui-bundle.min.js", "text/javascript"),
    "/docs/swagger-ui.min.css": ("swagger-ui.min.css", "text/css"),
}
_DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Atelier API (local stack)</title>
  <link rel="stylesheet" href="/docs/swagger-ui.min.css">
  <style>
    .local-note { font-family: sans-serif; font-size: 14px; margin: 12px 20px; }
    .local-note code { background: #f3f3f3; padding: 1px 4px; }
  </style>
</head>
<body>
  <p class="local-note">Local stack. For a token:
    <code>curl -s -X POST http://HOST/_local/token -d '{"sub": "customer-1",
    "email": "customer@example.com"}'</code> (add <code>"groups": ["staff"]</code> for staff),
    then <em>Authorize</em> with it.</p>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.min.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
      layout: "BaseLayout",
    });
  </script>
</body>
</html>
"""


class AdjustableClock(Protocol):
    offset_seconds: int

    def now(self) -> datetime: ...

    def advance(self, seconds: int) -> None: ...


def isoformat_z(instant: datetime) -> str:
    from atelier.clock import isoformat_z as atelier_isoformat_z

    return atelier_isoformat_z(instant)


def swagger_ui_folder() -> Path:
    """powertools ships Swagger UI's assets, so /docs works offline."""
    import aws_lambda_powertools.event_handler.openapi.swagger_ui as swagger_ui

    return Path(swagger_ui.__file__).parent


def scheduled_event(
    function: FunctionSpec,
    schedule: Schedule,
    now: datetime,
    *,
    region: str,
    account_id: str,
    stack_name: str,
) -> Any:
    """What EventBridge sends a schedule's target: its Input when set, else a Scheduled Event."""
    if schedule.input is not None:
        return json.loads(schedule.input)
    if schedule.kind == "ScheduleV2":
        source_arn = (
            f"arn:aws:scheduler:{region}:{account_id}:schedule/default/"
            f"{stack_name}-{function.logical_id}{schedule.event_name}"
        )
    else:
        source_arn = (
            f"arn:aws:events:{region}:{account_id}:rule/"
            f"{stack_name}-{function.logical_id}{schedule.event_name}"
        )
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": isoformat_z(now),
        "region": region,
        "resources": [source_arn],
        "detail": {},
    }


class ControlApi:
    def __init__(
        self,
        *,
        stack: StackModel,
        invoker: Invoker,
        clock: AdjustableClock,
        jwt_secret: str,
        outbox: Callable[[], list[dict[str, str]]],
        lock: threading.RLock,
        region: str,
        account_id: str,
        stack_name: str,
        stats: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self._stats = stats
        self._stack = stack
        self._invoker = invoker
        self._clock = clock
        self._secret = jwt_secret
        self._outbox = outbox
        self._lock = lock
        self._region = region
        self._account_id = account_id
        self._stack_name = stack_name

    @staticmethod
    def owns(raw_path: str) -> bool:
        return raw_path in ("/_local", "/docs", "/docs/") or raw_path.startswith(
            ("/_local/", "/docs/")
        )

    def handle(self, request: HttpRequest) -> HttpResponse:
        path, method = request.raw_path, request.method.upper()
        exact: dict[str, dict[str, Callable[[HttpRequest], HttpResponse]]] = {
            "/_local/token": {"POST": self._token},
            "/_local/clock": {"GET": self._get_clock, "POST": self._advance_clock},
            "/_local/outbox": {"GET": self._get_outbox},
            "/_local/stats": {"GET": self._get_stats},
            "/docs": {"GET": self._docs_page},
            "/docs/": {"GET": self._docs_page},
        }
        handlers = exact.get(path)
        if handlers is None and path in _SWAGGER_ASSETS:
            handlers = {"GET": self._docs_asset}
        schedule = _SCHEDULE_RUN.match(path)
        if handlers is None and schedule is not None:
            name = schedule.group(1)
            handlers = {"POST": lambda _request: self._run_schedule(name)}
        if handlers is None:
            return control_error(404, "NOT_FOUND", f"no local control endpoint {path}")
        handler = handlers.get(method)
        if handler is None:
            response = control_error(
                405, "METHOD_NOT_ALLOWED", f"{path} takes {', '.join(handlers)}"
            )
            response.headers.append(("allow", ", ".join(handlers)))
            return response
        return handler(request)

    # ------------------------------------------------------------------ tokens

    def _token(self, request: HttpRequest) -> HttpResponse:
        try:
            body = request.json_body()
        except ValueError:
            return control_error(400, "BAD_REQUEST", "the body is not JSON")
        if not isinstance(body, dict):
            return control_error(400, "BAD_REQUEST", "the body must be a JSON object")
        sub, email, groups = body.get("sub"), body.get("email"), body.get("groups", [])
        if not isinstance(sub, str) or not sub.strip():
            return control_error(400, "BAD_REQUEST", "sub must be a non-empty string")
        if email is not None and not isinstance(email, str):
            return control_error(400, "BAD_REQUEST", "email must be a string")
        if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
            return control_error(400, "BAD_REQUEST", "groups must be a list of group names")
        token = issue_token(
            self._secret, sub=sub, email=email, groups=groups, now=self._clock.now()
        )
        return HttpResponse.json(200, {"token": token})

    # ------------------------------------------------------------------ the clock

    def _clock_state(self) -> dict[str, Any]:
        return {"now": isoformat_z(self._clock.now()), "offset_seconds": self._clock.offset_seconds}

    def _get_clock(self, _request: HttpRequest) -> HttpResponse:
        return HttpResponse.json(200, self._clock_state())

    def _advance_clock(self, request: HttpRequest) -> HttpResponse:
        try:
            body = request.json_body()
        except ValueError:
            return control_error(400, "BAD_REQUEST", "the body is not JSON")
        seconds = body.get("advance_seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            return control_error(
                400,
                "BAD_REQUEST",
                "advance_seconds must be an integer >= 0 (the clock only moves forward)",
            )
        with self._lock:  # never in the middle of an invocation
            self._clock.advance(seconds)
            state = self._clock_state()
        log.info("clock advanced by %d s, now %s", seconds, state["now"])
        return HttpResponse.json(200, state)

    # ------------------------------------------------------------------ schedules

    def _run_schedule(self, name: str) -> HttpResponse:
        function = self._stack.function_named(name)
        if function is None:
            return control_error(404, "NOT_FOUND", f"no function named {name}")
        if not function.schedules:
            return control_error(404, "NOT_FOUND", f"{name} has no Schedule event")
        results: list[Any] = []
        for schedule in function.schedules:
            event = scheduled_event(
                function,
                schedule,
                self._clock.now(),
                region=self._region,
                account_id=self._account_id,
                stack_name=self._stack_name,
            )
            try:
                result = self._invoker.invoke(function, event)
            except Exception as exc:
                log.exception("%s raised on its schedule %s", function.name, schedule.event_name)
                return control_error(
                    500,
                    "FUNCTION_ERROR",
                    f"{function.name} raised {type(exc).__name__}; see the stack's console",
                )
            results.append(json.loads(json.dumps(result, default=str)))
        return HttpResponse.json(
            200, {"function": function.name, "result": results[0] if len(results) == 1 else results}
        )

    # ------------------------------------------------------------------ outbox

    def _get_outbox(self, _request: HttpRequest) -> HttpResponse:
        with self._lock:
            emails = self._outbox()
        return HttpResponse.json(200, emails)

    # ------------------------------------------------------------------ stats

    def _get_stats(self, _request: HttpRequest) -> HttpResponse:
        if self._stats is None:
            return control_error(404, "NOT_FOUND", "this stack keeps no statistics")
        with self._lock:
            stats = self._stats()
        return HttpResponse.json(200, stats)

    # ------------------------------------------------------------------ docs

    def _docs_page(self, request: HttpRequest) -> HttpResponse:
        host = request.header("host") or "127.0.0.1:3000"
        page = _DOCS_PAGE.replace("HOST", html.escape(host))
        return HttpResponse(200, [("content-type", "text/html; charset=utf-8")], page.encode())

    def _docs_asset(self, request: HttpRequest) -> HttpResponse:
        file_name, content_type = _SWAGGER_ASSETS[request.raw_path]
        body = (swagger_ui_folder() / file_name).read_bytes()
        return HttpResponse(
            200, [("content-type", content_type), ("cache-control", "max-age=3600")], body
        )
