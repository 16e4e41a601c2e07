"""The control API (tokens, clock, schedules, outbox, docs) and the in-process function host,
driven with a fixture template whose functions live in a temporary folder."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from atelier.clock import OffsetClock, parse_iso
from infra.local.cfn import Resolver, StackContext, load_yaml, parameter_values
from infra.local.control import ControlApi, swagger_ui_folder
from infra.local.messages import HttpRequest, HttpResponse
from infra.local.runtime import FunctionHost, FunctionLoadError
from infra.local.template import StackModel, read_stack
from infra.local.tokens import verify_token

pytestmark = pytest.mark.unit

SECRET = "unit-secret"

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.13
    Handler: app.lambda_handler
    Timeout: 30
Resources:
  ExpirySweepFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/expiry_sweep/
      Events:
        Every5Minutes:
          Type: Schedule
          Properties: {Schedule: rate(5 minutes)}
  SlaWatchFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/sla_watch/
      Events:
        Hourly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(1 hour)
            Input: '{"kind": "ship-by"}'
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/broken/
      Events:
        Daily:
          Type: Schedule
          Properties: {Schedule: rate(1 day)}
  WebFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/web/
"""

# Both handlers live in a file named app.py; each must keep its own module.
EXPIRY_SWEEP = """
MARKER = "expiry"

def lambda_handler(event, context):
    return {
        "marker": MARKER,
        "detail_type": event["detail-type"],
        "source": event["source"],
        "time": event["time"],
        "resources": event["resources"],
        "function_name": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
"""
SLA_WATCH = """
MARKER = "sla"

def lambda_handler(event, context):
    return {"marker": MARKER, "event": event}
"""
BROKEN = """
def lambda_handler(event, context):
    raise RuntimeError("the sweep failed")
"""


@pytest.fixture
def stack(tmp_path: Path) -> StackModel:
    for folder, code in {
        "expiry_sweep": EXPIRY_SWEEP,
        "sla_watch": SLA_WATCH,
        "broken": BROKEN,
    }.items():
        (tmp_path / "functions" / folder).mkdir(parents=True)
        (tmp_path / "functions" / folder / "app.py").write_text(code)
    template = load_yaml(TEMPLATE)
    resolver = Resolver(template, StackContext(), parameter_values(template, {}))
    return read_stack(template, resolver, tmp_path)


@pytest.fixture
def environ() -> dict[str, str]:
    return {}


@pytest.fixture
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture
def outbox() -> list[dict[str, str]]:
    return []


@pytest.fixture
def control(
    stack: StackModel,
    environ: dict[str, str],
    clock: OffsetClock,
    outbox: list[dict[str, str]],
) -> ControlApi:
    lock = threading.RLock()
    return ControlApi(
        stack=stack,
        invoker=FunctionHost(stack.functions, lock=lock, environ=environ),
        clock=clock,
        jwt_secret=SECRET,
        outbox=lambda: list(outbox),
        lock=lock,
        region="us-east-1",
        account_id="123456789012",
        stack_name="atelier-local",
    )


def call(control: ControlApi, method: str, path: str, body: Any = None) -> HttpResponse:
    payload = b"" if body is None else json.dumps(body).encode()
    return control.handle(HttpRequest(method, path, (("Host", "127.0.0.1:3000"),), payload))


def answer(response: HttpResponse) -> Any:
    return json.loads(response.body)


# ------------------------------------------------------------------ tokens


def test_a_token_is_issued_on_the_local_clock(control: ControlApi, clock: OffsetClock) -> None:
    response = call(
        control,
        "POST",
        "/_local/token",
        {"sub": "staff-1", "email": "s@example.com", "groups": ["staff"]},
    )

    assert response.status == 200
    claims = verify_token(answer(response)["token"], SECRET, clock.now())
    assert claims["sub"] == "staff-1"
    assert claims["cognito:groups"] == ["staff"]


@pytest.mark.parametrize(
    "body",
    [{}, {"sub": ""}, {"sub": 5}, {"sub": "x", "groups": "staff"}, {"sub": "x", "email": 3}, []],
)
def test_a_token_request_without_a_proper_sub_is_400(control: ControlApi, body: Any) -> None:
    response = call(control, "POST", "/_local/token", body)

    assert response.status == 400
    assert answer(response)["error"]["code"] == "BAD_REQUEST"


# ------------------------------------------------------------------ the clock


def test_the_clock_moves_forward_for_everyone(control: ControlApi, clock: OffsetClock) -> None:
    before = answer(call(control, "GET", "/_local/clock"))
    advanced = answer(call(control, "POST", "/_local/clock", {"advance_seconds": 86_400}))

    assert before["offset_seconds"] == 0
    assert advanced["offset_seconds"] == 86_400
    assert clock.offset_seconds == 86_400
    assert advanced["now"] > before["now"]
    assert advanced["now"].endswith("Z")


@pytest.mark.parametrize("seconds", [-1, 1.5, "60", True, None])
def test_the_clock_refuses_anything_but_a_non_negative_integer(
    control: ControlApi, clock: OffsetClock, seconds: Any
) -> None:
    response = call(control, "POST", "/_local/clock", {"advance_seconds": seconds})

    assert response.status == 400
    assert clock.offset_seconds == 0


# ------------------------------------------------------------------ schedules


def test_running_a_schedule_invokes_the_function_with_a_scheduled_event(
    control: ControlApi, environ: dict[str, str], clock: OffsetClock
) -> None:
    clock.advance(3600)
    response = call(control, "POST", "/_local/schedules/expiry_sweep/run")

    assert response.status == 200
    body = answer(response)
    assert body["function"] == "expiry_sweep"
    result = body["result"]
    assert result["marker"] == "expiry"
    assert result["detail_type"] == "Scheduled Event"
    assert result["source"] == "aws.events"
    assert parse_iso(result["time"]) - datetime.now(UTC) > timedelta(seconds=3590)  # local clock
    assert result["resources"][0].startswith("arn:aws:events:us-east-1:123456789012:rule/")
    assert result["function_name"] == "atelier-local-ExpirySweepFunction"
    assert 0 < result["remaining_ms"] <= 30_000
    assert environ["AWS_LAMBDA_FUNCTION_NAME"] == "atelier-local-ExpirySweepFunction"


def test_a_schedule_with_input_sends_that_input(control: ControlApi) -> None:
    result = answer(call(control, "POST", "/_local/schedules/sla_watch/run"))["result"]

    assert result == {"marker": "sla", "event": {"kind": "ship-by"}}


def test_functions_with_the_same_file_name_keep_their_own_module(control: ControlApi) -> None:
    first = answer(call(control, "POST", "/_local/schedules/expiry_sweep/run"))
    second = answer(call(control, "POST", "/_local/schedules/sla_watch/run"))

    assert (first["result"]["marker"], second["result"]["marker"]) == ("expiry", "sla")


@pytest.mark.parametrize("name", ["nowhere", "web"])
def test_an_unknown_or_unscheduled_function_is_404(control: ControlApi, name: str) -> None:
    response = call(control, "POST", f"/_local/schedules/{name}/run")

    assert response.status == 404
    assert answer(response)["error"]["code"] == "NOT_FOUND"


def test_a_schedule_whose_function_raises_is_a_500(control: ControlApi) -> None:
    response = call(control, "POST", "/_local/schedules/broken/run")

    assert response.status == 500
    assert answer(response)["error"]["code"] == "FUNCTION_ERROR"


def test_a_function_whose_file_is_missing_fails_to_load_with_its_path(
    stack: StackModel, environ: dict[str, str]
) -> None:
    failures = FunctionHost(stack.functions, environ=environ).warm_up()

    assert set(failures) == {"WebFunction"}
    assert isinstance(failures["WebFunction"], FunctionLoadError)
    assert "functions/web/app.py" in str(failures["WebFunction"])


# ------------------------------------------------------------------ outbox, docs, the rest


def test_the_outbox_answers_what_the_reader_returns(
    control: ControlApi, outbox: list[dict[str, str]]
) -> None:
    assert answer(call(control, "GET", "/_local/outbox")) == []
    outbox.append({"to": "a@example.com", "subject": "s", "body": "b", "sent_at": "t"})

    assert answer(call(control, "GET", "/_local/outbox"))[0]["to"] == "a@example.com"


def test_docs_serve_swagger_ui_from_the_powertools_assets(control: ControlApi) -> None:
    page = call(control, "GET", "/docs")
    script = call(control, "GET", "/docs/swagger-ui-bundle.min.js")

    assert page.status == 200
    assert page.header("content-type") == "text/html; charset=utf-8"
    assert b"/openapi.json" in page.body and b"/docs/swagger-ui-bundle.min.js" in page.body
    assert script.status == 200
    assert script.body == (swagger_ui_folder() / "swagger-ui-bundle.min.js").read_bytes()


def test_unknown_control_paths_are_404_and_wrong_methods_405(control: ControlApi) -> None:
    assert call(control, "GET", "/_local/nothing").status == 404
    assert call(control, "GET", "/_local/token").status == 405
    assert ControlApi.owns("/_local/anything") and ControlApi.owns("/docs")
    assert not ControlApi.owns("/products")
