"""The local stack reads a function's `Type: EventBridgeRule` events from the template, as the
rules it puts on the emulated bus (the delivery itself is tested against moto in
tests/integration/test_notifier.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local.bus import rule_name
from infra.local.cfn import Resolver, StackContext, TemplateError, load_yaml, parameter_values
from infra.local.template import StackModel, read_stack

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]

TEMPLATE = """
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: !Sub "atelier-${Stage}"}
  Dlq:
    Type: AWS::SQS::Queue
  NotifierFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      CodeUri: functions/notifier/
      Handler: app.lambda_handler
      EventInvokeConfig:
        MaximumRetryAttempts: 1
      Events:
        Placed:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref Bus
            Pattern: {source: [atelier.orders], detail-type: [OrderPlaced]}
            RetryPolicy: {MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600}
            DeadLetterConfig: {Arn: !GetAtt Dlq.Arn}
        Anything:
          Type: EventBridgeRule
          Properties:
            Pattern: {source: [aws.s3]}
"""


def stack_of(text: str) -> StackModel:
    template = load_yaml(text)
    resolver = Resolver(template, StackContext(), parameter_values(template, {}))
    return read_stack(template, resolver, ROOT)


def test_eventbridge_rule_events_are_read_with_their_bus_pattern_and_retries() -> None:
    function = stack_of(TEMPLATE).functions["NotifierFunction"]

    placed, anything = function.rules
    assert placed.event_name == "Placed"
    assert placed.bus == "atelier-local-Bus"  # what !Ref gives the bus the stack creates
    assert placed.pattern == {"source": ["atelier.orders"], "detail-type": ["OrderPlaced"]}
    assert (placed.max_retries, placed.max_event_age_s) == (8, 3600)
    # No bus named: the account's default bus; no RetryPolicy: EventBridge's defaults.
    assert (anything.bus, anything.max_retries, anything.max_event_age_s) == (
        "default",
        185,
        86400,
    )
    assert function.async_retries == 1
    assert function.streams == () and function.schedules == ()


def test_a_function_without_an_event_invoke_config_gets_lambdas_two_retries() -> None:
    text = TEMPLATE.replace("      EventInvokeConfig:\n        MaximumRetryAttempts: 1\n", "")
    assert stack_of(text).functions["NotifierFunction"].async_retries == 2


def test_an_input_transformation_is_refused_rather_than_delivered_differently() -> None:
    text = TEMPLATE.replace(
        "            Pattern: {source: [aws.s3]}\n",
        "            Pattern: {source: [aws.s3]}\n            InputPath: $.detail\n",
    )
    with pytest.raises(TemplateError, match="not emulated"):
        stack_of(text)


def test_rule_names_are_valid_for_eventbridge() -> None:
    function = stack_of(TEMPLATE).functions["NotifierFunction"]
    names = {rule_name(function, rule) for rule in function.rules}
    assert names == {"local-notifier-Placed", "local-notifier-Anything"}
    assert all(len(name) <= 64 for name in names)
