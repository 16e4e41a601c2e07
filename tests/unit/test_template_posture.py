"""Template posture: what template.yaml must keep true for Atelier to fail safely in AWS.

Every asynchronous path ends in a dead-letter queue or an on-failure destination after bounded
retries; data survives mistakes (PITR, Retain); the evidence bucket is private and TLS-only;
each function's role names only what the function is configured to use; the API is throttled
and access-logged; and someone hears about errors, dead letters and forged webhooks (alarms).

The checks are generated from the template itself (every function, event, table, bucket, queue
and API it declares), so a new resource is checked without editing this file, and an event
source this file does not know yet fails until a rule for it is added here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from infra.local.cfn import load_template_file
from infra.local.template import merge_globals

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template_file(ROOT / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
PARAMETERS: dict[str, Any] = TEMPLATE.get("Parameters") or {}
GLOBALS: dict[str, Any] = TEMPLATE.get("Globals") or {}

FUNCTION = "AWS::Serverless::Function"
QUEUE = "AWS::SQS::Queue"
TOPIC = "AWS::SNS::Topic"
ALARM = "AWS::CloudWatch::Alarm"

# Event sources a function is invoked by synchronously; nothing to dead-letter.
SYNC_EVENT_TYPES = {"HttpApi"}
# Event sources with a posture rule below. Any other type fails test_every_event_source_is_known.
ASYNC_EVENT_TYPES = {"EventBridgeRule", "Schedule", "DynamoDB"}

# Service limits: the largest values AWS accepts are still bounds; -1 (forever) is not.
EVENTBRIDGE_MAX_RETRIES = 185
EVENTBRIDGE_MAX_EVENT_AGE_S = 86_400
LAMBDA_ASYNC_MAX_RETRIES = 2
STREAM_MAX_RETRIES = 10_000
STREAM_MAX_RECORD_AGE_S = 604_800
ALARM_MAX_PERIOD_S = 300

# Actions IAM only grants on "*" (no resource-level permissions exist for them).
ACTIONS_REQUIRING_STAR = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
    "cloudwatch:PutMetricData",
}

PSEUDO_PARAMETER = re.compile(r"^AWS::")
SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}]+)\}")


# ------------------------------------------------------------------ reading the template


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in RESOURCES.items() if r.get("Type") == kind}


def properties(logical_id: str) -> dict[str, Any]:
    return RESOURCES[logical_id].get("Properties") or {}


def function_properties(logical_id: str) -> dict[str, Any]:
    """A function's properties with the Globals SAM merges into them."""
    return merge_globals(GLOBALS.get("Function") or {}, properties(logical_id))


def api_properties(logical_id: str) -> dict[str, Any]:
    return merge_globals(GLOBALS.get("HttpApi") or {}, properties(logical_id))


def events() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(function, event name, event) for every event of every function."""
    for function in of_type(FUNCTION):
        for name, event in (function_properties(function).get("Events") or {}).items():
            yield function, name, event


def events_of_type(kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [e for e in events() if e[2].get("Type") == kind]


def event_id(item: tuple[str, str, dict[str, Any]]) -> str:
    return f"{item[0]}.{item[1]}"


def refs(value: Any) -> set[str]:
    """Every parameter and resource a value names: Ref, Fn::GetAtt and ${...} in Fn::Sub
    (through Fn::Sub's own variables), pseudo parameters left out."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= refs(item)
    elif isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref" and isinstance(argument, str):
                found.add(argument)
            elif key == "Fn::GetAtt":
                target = argument.split(".")[0] if isinstance(argument, str) else argument[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                for variable in SUB_VARIABLE.findall(text):
                    name = variable.split(".")[0]
                    if name in variables:
                        found |= refs(variables[name])
                    else:
                        found.add(name)
                found |= refs(list(variables.values()))
            else:
                found |= refs(argument)
    return {name for name in found if not PSEUDO_PARAMETER.match(name)}


def target(value: Any) -> str | None:
    """The logical id an `!GetAtt X.Arn` (or `!Ref X`) names, else None."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        argument = value["Fn::GetAtt"]
        return str(argument.split(".")[0] if isinstance(argument, str) else argument[0])
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    return None


def queue_named_by(value: Any, where: str) -> str:
    """Assert `value` is `!GetAtt <Queue>.Arn` for an SQS queue of this template."""
    queue = target(value)
    assert queue is not None, f"{where}: expected !GetAtt <Queue>.Arn, got {value!r}"
    assert RESOURCES.get(queue, {}).get("Type") == QUEUE, (
        f"{where}: {queue!r} is not an AWS::SQS::Queue of this template"
    )
    return queue


def require(mapping: Mapping[str, Any] | None, key: str, where: str) -> Any:
    assert isinstance(mapping, Mapping) and key in mapping, f"{where}: {key} is missing"
    return mapping[key]


def bounded(value: Any, limit: int, where: str) -> None:
    assert isinstance(value, int) and not isinstance(value, bool), (
        f"{where} must be a literal number, got {value!r}"
    )
    assert 0 <= value <= limit, f"{where} = {value}, outside 0..{limit}"


def dead_letter_queues() -> set[str]:
    """Queues something dead-letters into: rule DLQs, on-failure destinations, redrive."""
    queues: set[str] = set()
    for function in of_type(FUNCTION):
        props = function_properties(function)
        on_failure = ((props.get("EventInvokeConfig") or {}).get("DestinationConfig") or {}).get(
            "OnFailure"
        ) or {}
        queues |= {q for q in [target(on_failure.get("Destination"))] if q}
    for _function, _name, event in events():
        event_props = event.get("Properties") or {}
        dlq = (event_props.get("DeadLetterConfig") or {}).get("Arn")
        on_failure = (event_props.get("DestinationConfig") or {}).get("OnFailure") or {}
        queues |= {q for q in (target(dlq), target(on_failure.get("Destination"))) if q}
    for queue in of_type(QUEUE):
        redrive = properties(queue).get("RedrivePolicy") or {}
        queues |= {q for q in [target(redrive.get("deadLetterTargetArn"))] if q}
    return {q for q in queues if RESOURCES.get(q, {}).get("Type") == QUEUE}


FUNCTIONS = sorted(of_type(FUNCTION))
TABLES = sorted(of_type("AWS::DynamoDB::Table"))
BUCKETS = sorted(of_type("AWS::S3::Bucket"))
HTTP_APIS = sorted(of_type("AWS::Serverless::HttpApi"))
DLQS = sorted(dead_letter_queues())
RULE_EVENTS = events_of_type("EventBridgeRule")
SCHEDULE_EVENTS = events_of_type("Schedule")
STREAM_EVENTS = events_of_type("DynamoDB")
# Functions EventBridge invokes asynchronously: Lambda's own retries and destination apply.
RULE_TARGETS = sorted({function for function, _name, _event in RULE_EVENTS})


def test_the_checks_have_something_to_check() -> None:
    """Guards the parametrized tests below against silently checking nothing."""
    assert FUNCTIONS, "no AWS::Serverless::Function in template.yaml"
    assert TABLES, "no AWS::DynamoDB::Table in template.yaml"
    assert BUCKETS, "no AWS::S3::Bucket in template.yaml"
    assert HTTP_APIS, "no AWS::Serverless::HttpApi in template.yaml"
    assert DLQS, "no dead-letter queue in template.yaml"
    assert RULE_EVENTS and SCHEDULE_EVENTS and STREAM_EVENTS, "an async event kind vanished"


@pytest.mark.parametrize("item", list(events()), ids=event_id)
def test_every_event_source_is_known(item: tuple[str, str, dict[str, Any]]) -> None:
    function, name, event = item
    kind = event.get("Type")
    assert kind in SYNC_EVENT_TYPES | ASYNC_EVENT_TYPES, (
        f"{function}.{name}: event type {kind!r} has no posture rule in this file; add one "
        "(its retries, its dead-letter queue or on-failure destination, its alarm)"
    )
    if kind == "HttpApi":
        api = target((event.get("Properties") or {}).get("ApiId"))
        assert api in HTTP_APIS, (
            f"{function}.{name}: an HttpApi event without ApiId makes an implicit API with no "
            "throttling and no access log; name the template's HttpApi"
        )


def test_every_rule_on_the_order_events_names_an_event_type_the_domain_has() -> None:
    """A rule's `detail-type` is a string in the template; a typo there is a rule that never
    fires. Each one the template lists for the order events is an `EventType`, and every one
    the notifier renders has its rule."""
    from atelier.domain.events import SOURCE, EventType
    from atelier.notifications.render import _BUILDERS

    listed: set[str] = set()
    for _function, _name, event in RULE_EVENTS:
        pattern = (event.get("Properties") or {}).get("Pattern") or {}
        if SOURCE in (pattern.get("source") or []):
            listed.update(pattern.get("detail-type") or [])
    assert listed, "no rule on the order events"
    assert listed <= set(EventType), f"not event types: {sorted(listed - set(EventType))}"
    assert set(_BUILDERS) <= listed, f"rendered but never delivered: {set(_BUILDERS) - listed}"


# ------------------------------------------------------------------ asynchronous paths


@pytest.mark.parametrize("item", RULE_EVENTS, ids=event_id)
def test_eventbridge_rule_retries_are_bounded_and_dead_lettered(
    item: tuple[str, str, dict[str, Any]],
) -> None:
    function, name, event = item
    where = f"{function}.{name}"
    event_props = event.get("Properties") or {}
    retry = require(event_props, "RetryPolicy", where)
    bounded(
        require(retry, "MaximumRetryAttempts", f"{where}.RetryPolicy"),
        EVENTBRIDGE_MAX_RETRIES,
        f"{where}.RetryPolicy.MaximumRetryAttempts",
    )
    bounded(
        require(retry, "MaximumEventAgeInSeconds", f"{where}.RetryPolicy"),
        EVENTBRIDGE_MAX_EVENT_AGE_S,
        f"{where}.RetryPolicy.MaximumEventAgeInSeconds",
    )
    dead_letter = require(event_props, "DeadLetterConfig", where)
    queue_named_by(require(dead_letter, "Arn", f"{where}.DeadLetterConfig"), where)


@pytest.mark.parametrize("item", SCHEDULE_EVENTS, ids=event_id)
def test_schedule_retries_are_bounded(item: tuple[str, str, dict[str, Any]]) -> None:
    function, name, event = item
    where = f"{function}.{name}"
    retry = require(event.get("Properties"), "RetryPolicy", where)
    bounded(
        require(retry, "MaximumRetryAttempts", f"{where}.RetryPolicy"),
        EVENTBRIDGE_MAX_RETRIES,
        f"{where}.RetryPolicy.MaximumRetryAttempts",
    )
    bounded(
        require(retry, "MaximumEventAgeInSeconds", f"{where}.RetryPolicy"),
        EVENTBRIDGE_MAX_EVENT_AGE_S,
        f"{where}.RetryPolicy.MaximumEventAgeInSeconds",
    )


@pytest.mark.parametrize("item", STREAM_EVENTS, ids=event_id)
def test_stream_retries_are_bounded_with_an_on_failure_destination(
    item: tuple[str, str, dict[str, Any]],
) -> None:
    function, name, event = item
    where = f"{function}.{name}"
    event_props = event.get("Properties") or {}
    bounded(
        require(event_props, "MaximumRetryAttempts", where),
        STREAM_MAX_RETRIES,
        f"{where}.MaximumRetryAttempts",
    )
    bounded(
        require(event_props, "MaximumRecordAgeInSeconds", where),
        STREAM_MAX_RECORD_AGE_S,
        f"{where}.MaximumRecordAgeInSeconds",
    )
    on_failure = require(require(event_props, "DestinationConfig", where), "OnFailure", where)
    queue_named_by(
        require(on_failure, "Destination", f"{where}.DestinationConfig.OnFailure"), where
    )


@pytest.mark.parametrize("function", RULE_TARGETS)
def test_asynchronously_invoked_function_has_bounded_retries_and_on_failure(
    function: str,
) -> None:
    """EventBridge hands the event to Lambda; a function error is then Lambda's to retry."""
    config = require(function_properties(function), "EventInvokeConfig", function)
    where = f"{function}.EventInvokeConfig"
    bounded(
        require(config, "MaximumRetryAttempts", where),
        LAMBDA_ASYNC_MAX_RETRIES,
        f"{where}.MaximumRetryAttempts",
    )
    on_failure = require(require(config, "DestinationConfig", where), "OnFailure", where)
    assert on_failure.get("Type") == "SQS", f"{where}.DestinationConfig.OnFailure.Type is not SQS"
    queue_named_by(
        require(on_failure, "Destination", f"{where}.DestinationConfig.OnFailure"), where
    )


@pytest.mark.parametrize("queue", DLQS)
def test_dead_letter_queue_is_encrypted_and_keeps_messages_14_days(queue: str) -> None:
    props = properties(queue)
    assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props, (
        f"{queue}: dead letters hold event payloads; enable SqsManagedSseEnabled"
    )
    assert props.get("MessageRetentionPeriod") == 1_209_600, (
        f"{queue}: MessageRetentionPeriod should be the maximum (1209600 s) to leave time to "
        "redrive"
    )


def eventbridge_dead_letter_queues() -> list[str]:
    return sorted(
        {
            queue_named_by(e[2]["Properties"]["DeadLetterConfig"]["Arn"], event_id(e))
            for e in RULE_EVENTS
            if "Arn" in ((e[2].get("Properties") or {}).get("DeadLetterConfig") or {})
        }
    )


@pytest.mark.parametrize("queue", eventbridge_dead_letter_queues())
def test_eventbridge_may_send_to_its_dead_letter_queue(queue: str) -> None:
    """EventBridge delivers dead letters with its own principal: the queue policy must let it,
    and only for rules (aws:SourceArn), or the dead letters are dropped."""
    policies = [
        properties(name)
        for name in of_type("AWS::SQS::QueuePolicy")
        if {"Ref": queue} in (properties(name).get("Queues") or [])
    ]
    statements = [
        statement
        for policy in policies
        for statement in (policy.get("PolicyDocument") or {}).get("Statement") or []
    ]
    allowing = [
        s
        for s in statements
        if s.get("Effect") == "Allow"
        and s.get("Principal") == {"Service": "events.amazonaws.com"}
        and s.get("Action") in ("sqs:SendMessage", ["sqs:SendMessage"])
        and target(s.get("Resource")) == queue
    ]
    assert allowing, f"{queue}: no AWS::SQS::QueuePolicy lets events.amazonaws.com SendMessage"
    for statement in allowing:
        condition = statement.get("Condition") or {}
        source_arns = [
            operator_block["aws:SourceArn"]
            for operator, operator_block in condition.items()
            if operator in ("ArnLike", "ArnEquals") and "aws:SourceArn" in operator_block
        ]
        assert source_arns, f"{queue}: the events.amazonaws.com grant has no aws:SourceArn"


# ------------------------------------------------------------------ data


@pytest.mark.parametrize("table", TABLES)
def test_table_has_point_in_time_recovery_and_is_retained(table: str) -> None:
    resource = RESOURCES[table]
    pitr = properties(table).get("PointInTimeRecoverySpecification") or {}
    assert pitr.get("PointInTimeRecoveryEnabled") is True, f"{table}: PITR is not enabled"
    assert resource.get("DeletionPolicy") == "Retain", f"{table}: DeletionPolicy is not Retain"
    assert resource.get("UpdateReplacePolicy") == "Retain", (
        f"{table}: UpdateReplacePolicy is not Retain (a replacement would delete the data)"
    )


@pytest.mark.parametrize("bucket", BUCKETS)
def test_bucket_blocks_public_access_and_denies_plain_http(bucket: str) -> None:
    block = properties(bucket).get("PublicAccessBlockConfiguration") or {}
    for flag in (
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ):
        assert block.get(flag) is True, f"{bucket}: PublicAccessBlockConfiguration.{flag} not true"

    statements = [
        statement
        for name in of_type("AWS::S3::BucketPolicy")
        if properties(name).get("Bucket") == {"Ref": bucket}
        for statement in (properties(name).get("PolicyDocument") or {}).get("Statement") or []
    ]
    denies_plain_http = [
        s
        for s in statements
        if s.get("Effect") == "Deny"
        and s.get("Principal") in ("*", {"AWS": "*"})
        and s.get("Action") in ("s3:*", ["s3:*"])
        and (s.get("Condition") or {}).get("Bool", {}).get("aws:SecureTransport")
        in ("false", False)
    ]
    assert denies_plain_http, f"{bucket}: no bucket policy denies s3:* without aws:SecureTransport"
    covered = denies_plain_http[0].get("Resource")
    covered = covered if isinstance(covered, list) else [covered]
    assert {"Fn::GetAtt": [bucket, "Arn"]} in covered, f"{bucket}: TLS deny misses the bucket"
    assert {"Fn::Sub": f"${{{bucket}.Arn}}/*"} in covered, f"{bucket}: TLS deny misses objects"


# ------------------------------------------------------------------ least privilege


def used_by(function: str) -> set[str]:
    """What a function is configured to use: whatever its environment names (tables, bucket,
    bus, parameters) and its own on-failure destinations (Lambda sends there with its role)."""
    props = function_properties(function)
    used = refs((props.get("Environment") or {}).get("Variables") or {})
    used |= refs((props.get("EventInvokeConfig") or {}).get("DestinationConfig") or {})
    for event in (props.get("Events") or {}).values():
        used |= refs((event.get("Properties") or {}).get("DestinationConfig") or {})
    return used


def ses_identity_parameters() -> set[str]:
    """Parameters that are the address of an AWS::SES::EmailIdentity this template creates."""
    return {
        name
        for identity in of_type("AWS::SES::EmailIdentity")
        for name in refs(properties(identity).get("EmailIdentity"))
        if name in PARAMETERS
    }


def sub_text(value: Any) -> str | None:
    if isinstance(value, dict) and "Fn::Sub" in value:
        argument = value["Fn::Sub"]
        return argument if isinstance(argument, str) else str(argument[0])
    return None


def resource_problems(function: str, statement: Mapping[str, Any], resource: Any) -> list[str]:
    actions = statement.get("Action")
    actions = actions if isinstance(actions, list) else [actions]
    if resource == "*":
        if set(actions) <= ACTIONS_REQUIRING_STAR:
            return []
        return [f"Resource '*' for {actions} (only {sorted(ACTIONS_REQUIRING_STAR)} need it)"]
    names = refs(resource)
    if not names:
        return [f"{resource!r} names nothing of this template (a hard-coded ARN?)"]
    problems = [
        f"{resource!r} names {name}, which {function} is not configured to use "
        "(not in its environment nor its on-failure destinations)"
        for name in sorted(names)
        if name not in used_by(function)
    ]
    unknown = sorted(n for n in names if n not in RESOURCES and n not in PARAMETERS)
    problems += [f"{resource!r} names {n}, neither a resource nor a parameter" for n in unknown]
    text = sub_text(resource) or ""
    key_prefix = re.fullmatch(r"\$\{(\w+)\.Arn\}/[^*]+\*", text)
    if "*" in text and not (
        key_prefix and RESOURCES.get(key_prefix.group(1), {}).get("Type") == "AWS::S3::Bucket"
    ):
        problems.append(f"{text!r}: a wildcard is only allowed at the end of an S3 key prefix")
    index = re.fullmatch(r"\$\{(\w+)\.Arn\}/index/([\w.-]+)", text)
    if index:
        table, index_name = index.groups()
        indexes = {i["IndexName"] for i in properties(table).get("GlobalSecondaryIndexes") or []}
        if index_name not in indexes:
            problems.append(f"{text!r}: {table} has no index {index_name}")
    if not any(name in RESOURCES for name in names):
        ssm = re.search(r":ssm:\$\{AWS::Region\}:\$\{AWS::AccountId\}:parameter\$\{(\w+)\}$", text)
        ses = ":ses:" in text and ":identity/" in text
        if ssm and ssm.group(1) in PARAMETERS:
            pass  # an SSM parameter a template parameter names
        elif ses and names <= ses_identity_parameters():
            pass  # the sender identity the template creates (or its domain)
        else:
            problems.append(
                f"{resource!r} is neither a resource of this template nor an SSM parameter or "
                "SES identity named by a template parameter"
            )
    return problems


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_policy_names_only_what_the_function_uses(function: str) -> None:
    policies = function_properties(function).get("Policies") or []
    problems: list[str] = []
    for number, policy in enumerate(policies if isinstance(policies, list) else [policies]):
        if not (isinstance(policy, dict) and set(policy) == {"Statement"}):
            problems.append(
                f"policy {number} is {policy!r}: only inline Statement lists are checked here; "
                "a managed policy or SAM policy template needs a rule in this file"
            )
            continue
        for statement in policy["Statement"]:
            actions = statement.get("Action")
            for action in actions if isinstance(actions, list) else [actions]:
                if action == "*" or str(action).endswith(":*"):
                    problems.append(f"wildcard action {action!r}")
            if "NotResource" in statement or "NotAction" in statement:
                problems.append(f"NotResource/NotAction in {statement!r}")
            resources = statement.get("Resource")
            for resource in resources if isinstance(resources, list) else [resources]:
                problems += resource_problems(function, statement, resource)
    assert not problems, f"{function}'s policy:\n  " + "\n  ".join(problems)


# ------------------------------------------------------------------ the API


@pytest.mark.parametrize("api", HTTP_APIS)
def test_http_api_stage_is_throttled(api: str) -> None:
    settings = require(api_properties(api), "DefaultRouteSettings", api)
    for key in ("ThrottlingBurstLimit", "ThrottlingRateLimit"):
        value = require(settings, key, f"{api}.DefaultRouteSettings")
        assert isinstance(value, int) and value > 0, f"{api}.DefaultRouteSettings.{key}={value!r}"


@pytest.mark.parametrize("api", HTTP_APIS)
def test_http_api_stage_writes_access_logs_without_personal_data(api: str) -> None:
    settings = require(api_properties(api), "AccessLogSettings", api)
    log_group = target(require(settings, "DestinationArn", f"{api}.AccessLogSettings"))
    assert RESOURCES.get(log_group or "", {}).get("Type") == "AWS::Logs::LogGroup", (
        f"{api}.AccessLogSettings.DestinationArn is not a log group of this template"
    )
    assert "RetentionInDays" in properties(str(log_group)), f"{log_group}: no RetentionInDays"
    fields = json.loads(require(settings, "Format", f"{api}.AccessLogSettings"))
    logged = " ".join(fields.values())
    # The caller's identity and token claims are personal data (P6); the path carries ids the
    # route key does without.
    for variable in ("$context.identity", "$context.authorizer.claims", "$context.path"):
        assert variable not in logged, f"{api}: access log format includes {variable}"


# ------------------------------------------------------------------ alarms


def alarms_on(namespace: str, metric: str, dimensions: list[dict[str, Any]]) -> list[str]:
    return sorted(
        name
        for name in of_type(ALARM)
        if properties(name).get("Namespace") == namespace
        and properties(name).get("MetricName") == metric
        and properties(name).get("Dimensions") == dimensions
    )


def fires_at(alarm: str, value: float) -> bool:
    props = properties(alarm)
    threshold = float(props["Threshold"])
    return {
        "GreaterThanOrEqualToThreshold": value >= threshold,
        "GreaterThanThreshold": value > threshold,
    }.get(str(props.get("ComparisonOperator")), False)


def check_alarm(alarm: str, statistics: set[str], fires_at_value: float) -> None:
    props = properties(alarm)
    assert props.get("Statistic") in statistics, f"{alarm}: Statistic not in {sorted(statistics)}"
    period = props.get("Period")
    assert isinstance(period, int) and period <= ALARM_MAX_PERIOD_S, f"{alarm}: Period {period!r}"
    assert props.get("EvaluationPeriods") == 1, f"{alarm}: should fire on one period"
    assert fires_at(alarm, fires_at_value), f"{alarm}: does not fire at {fires_at_value}"
    actions = props.get("AlarmActions") or []
    assert actions, f"{alarm}: no AlarmActions; nobody hears about it"
    for action in actions:
        assert RESOURCES.get(target(action) or "", {}).get("Type") == TOPIC, (
            f"{alarm}: action {action!r} is not an SNS topic of this template"
        )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_errors_raise_an_alarm(function: str) -> None:
    found = alarms_on(
        "AWS/Lambda", "Errors", [{"Name": "FunctionName", "Value": {"Ref": function}}]
    )
    assert found, f"{function}: no AWS::CloudWatch::Alarm on AWS/Lambda Errors for it"
    for alarm in found:
        check_alarm(alarm, {"Sum"}, 1)


@pytest.mark.parametrize("queue", DLQS)
def test_dead_letters_raise_an_alarm(queue: str) -> None:
    found = alarms_on(
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}],
    )
    assert found, f"{queue}: no AWS::CloudWatch::Alarm on its ApproximateNumberOfMessagesVisible"
    for alarm in found:
        check_alarm(alarm, {"Maximum", "Sum"}, 1)


STREAM_FUNCTIONS = [
    name
    for name in FUNCTIONS
    if any(
        event.get("Type") in ("DynamoDB", "Kinesis")
        for event in (function_properties(name).get("Events") or {}).values()
    )
]


@pytest.mark.parametrize("function", STREAM_FUNCTIONS)
def test_a_stream_consumer_falling_behind_raises_an_alarm(function: str) -> None:
    found = alarms_on(
        "AWS/Lambda", "IteratorAge", [{"Name": "FunctionName", "Value": {"Ref": function}}]
    )
    assert found, f"{function}: no AWS::CloudWatch::Alarm on its IteratorAge"
    for alarm in found:
        check_alarm(alarm, {"Maximum"}, 5 * 60 * 1000)  # 5 minutes behind, in milliseconds


def test_the_api_answering_5xx_raises_an_alarm() -> None:
    """Handled 500s and 503s are answers, not function errors: the Errors alarms miss them."""
    apis = of_type("AWS::Serverless::HttpApi")
    assert apis, "no HTTP API in the template"
    for api in apis:
        dimensions = [
            {"Name": "ApiId", "Value": {"Ref": api}},
            {"Name": "Stage", "Value": properties(api)["StageName"]},
        ]
        found = alarms_on("AWS/ApiGateway", "5xx", dimensions)
        assert found, f"{api}: no AWS::CloudWatch::Alarm on AWS/ApiGateway 5xx for its stage"
        for alarm in found:
            check_alarm(alarm, {"Sum"}, 5)


SIGNATURE_METRIC = "WebhookSignatureRejected"


def test_forged_webhooks_raise_an_alarm() -> None:
    """powertools publishes payment_webhook's metric in POWERTOOLS_METRICS_NAMESPACE with one
    dimension, service = POWERTOOLS_SERVICE_NAME: the alarm must name exactly that metric."""
    source = (ROOT / "functions" / "payment_webhook" / "app.py").read_text(encoding="utf-8")
    assert f'add_metric(name="{SIGNATURE_METRIC}"' in source, "payment_webhook no longer emits it"
    webhook = [
        name
        for name in FUNCTIONS
        if function_properties(name).get("CodeUri", "").rstrip("/") == "functions/payment_webhook"
    ]
    assert webhook, "no function runs functions/payment_webhook"
    variables = function_properties(webhook[0])["Environment"]["Variables"]
    namespace = variables["POWERTOOLS_METRICS_NAMESPACE"]
    service = variables["POWERTOOLS_SERVICE_NAME"]

    found = alarms_on(namespace, SIGNATURE_METRIC, [{"Name": "service", "Value": service}])
    assert found, (
        f"no AWS::CloudWatch::Alarm on {namespace}/{SIGNATURE_METRIC} with dimension "
        f"service={service}"
    )
    for alarm in found:
        check_alarm(alarm, {"Sum"}, 10)
        assert properties(alarm).get("TreatMissingData") == "notBreaching", (
            f"{alarm}: no rejected webhook is no data; TreatMissingData should be notBreaching"
        )


def test_alarm_email_subscription_is_optional() -> None:
    """An empty AlarmEmail deploys the topic without a subscription (a condition), so a stage
    can route alarms elsewhere."""
    assert PARAMETERS.get("AlarmEmail", {}).get("Default") == "", "AlarmEmail parameter, default ''"
    subscriptions = [
        name
        for name in of_type("AWS::SNS::Subscription")
        if properties(name).get("Endpoint") == {"Ref": "AlarmEmail"}
    ]
    assert subscriptions, "no AWS::SNS::Subscription for the AlarmEmail parameter"
    for name in subscriptions:
        condition = RESOURCES[name].get("Condition")
        assert condition in (TEMPLATE.get("Conditions") or {}), f"{name}: no Condition"
        assert TEMPLATE["Conditions"][condition] == {
            "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]
        }, f"{name}: its condition should be AlarmEmail != ''"
        topic = target(properties(name).get("TopicArn"))
        assert RESOURCES.get(topic or "", {}).get("Type") == TOPIC, f"{name}: TopicArn not a topic"
