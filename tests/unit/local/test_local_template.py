"""The local stack reads template.yaml: short-form tags, intrinsic functions, routes, the
functions' environment, schedules. Nothing is re-declared in Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local.cfn import (
    Resolver,
    StackContext,
    TemplateError,
    load_template_file,
    load_yaml,
    parameter_values,
)
from infra.local.template import StackModel, local_environment_overrides, read_stack

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
API_URL = "http://127.0.0.1:3999"


def project_stack(overrides: dict[str, str] | None = None) -> tuple[StackModel, Resolver]:
    template = load_template_file(ROOT / "template.yaml")
    resolver = Resolver(template, StackContext(), parameter_values(template, overrides or {}))
    return read_stack(template, resolver, ROOT, local_environment_overrides(API_URL)), resolver


def fixture_stack(text: str, root: Path = ROOT) -> tuple[StackModel, Resolver]:
    template = load_yaml(text)
    resolver = Resolver(template, StackContext(), parameter_values(template, {}))
    return read_stack(template, resolver, root, local_environment_overrides(API_URL)), resolver


# ------------------------------------------------------------------ the loader


def test_short_form_tags_load_as_their_long_forms() -> None:
    document = load_yaml(
        "A: !Ref Stage\n"
        "B: !GetAtt Table.Arn\n"
        "C: !Sub 'x-${Stage}'\n"
        "D: !Join [',', [a, b]]\n"
        "E: !If [IsProd, 1, 2]\n"
        "F: !Select [0, !Split [',', 'a,b']]\n"
    )
    assert document == {
        "A": {"Ref": "Stage"},
        "B": {"Fn::GetAtt": ["Table", "Arn"]},
        "C": {"Fn::Sub": "x-${Stage}"},
        "D": {"Fn::Join": [",", ["a", "b"]]},
        "E": {"Fn::If": ["IsProd", 1, 2]},
        "F": {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]},
    }


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(TemplateError):
        load_yaml("- just\n- a list\n")


# ------------------------------------------------------------------ the project's template


def test_every_http_api_event_becomes_a_route_with_its_authorizer() -> None:
    stack, _ = project_stack()
    routes = {route.route_key: route for route in stack.routes}

    assert {"GET /products", "GET /products/{product_id}", "GET /terms", "GET /openapi.json"} <= {
        key for key, route in routes.items() if route.authorizer is None
    }
    assert routes["POST /orders"].authorizer == "CognitoJwt"  # the DefaultAuthorizer
    assert routes["POST /orders/{order_id}/cancel"].authorizer == "CognitoJwt"
    assert routes["GET /orders"].function == "OrdersApiFunction"
    assert routes["POST /webhooks/payments"].function == "PaymentWebhookFunction"
    assert routes["POST /webhooks/payments"].authorizer is None


def test_function_environment_merges_globals_and_resolves_refs() -> None:
    stack, _ = project_stack()
    environment = stack.functions["OrdersApiFunction"].environment

    assert environment["TABLE_NAME"] == "atelier-local-AtelierTable"
    assert environment["IDEMPOTENCY_TABLE_NAME"] == "atelier-local-IdempotencyTable"
    assert environment["CUSTOMIZATION_FEE_CENTS"] == "1000"  # a Number parameter, as text
    assert environment["SHOP_TIMEZONE"] == "America/New_York"
    assert environment["SHOP_CLOSURES"] == ""
    assert environment["POWERTOOLS_SERVICE_NAME"] == "atelier"


def test_the_payment_gateway_is_always_the_local_sandbox() -> None:
    stack, _ = project_stack({"PaymentProvider": "stripe"})
    environment = stack.functions["OrdersApiFunction"].environment

    assert environment["PAYMENT_PROVIDER"] == "sandbox"
    assert environment["SANDBOX_PAY_URL"] == f"{API_URL}/_local/pay"


def test_a_parameter_is_overridden_by_the_variable_of_its_name() -> None:
    stack, _ = project_stack({"CustomizationFeeCents": "1500"})

    assert stack.functions["OrdersApiFunction"].environment["CUSTOMIZATION_FEE_CENTS"] == "1500"


def test_function_identity_comes_from_the_template() -> None:
    stack, _ = project_stack()
    function = stack.functions["OrdersApiFunction"]

    assert function.name == "orders_api"
    assert function.function_name == "atelier-dev-orders-api"  # !Sub atelier-${Stage}-orders-api
    assert function.arn.endswith(":function:atelier-dev-orders-api")
    assert function.handler_file == ROOT / "functions" / "orders_api" / "app.py"
    assert (function.memory_mb, function.timeout_s) == (1024, 25)  # its own, and Globals'
    assert stack.function_named("orders_api") is function
    assert stack.functions["ExpirySweepFunction"].memory_mb == 512  # from Globals


def test_resources_to_create_exclude_the_serverless_ones() -> None:
    stack, _ = project_stack()

    assert stack.resources["AtelierTable"] == "AWS::DynamoDB::Table"
    assert "OrdersApiFunction" not in stack.resources
    assert "HttpApi" not in stack.resources


def test_cors_configuration_is_resolved() -> None:
    stack, _ = project_stack()
    cors = stack.apis["HttpApi"].cors

    assert cors is not None
    # The web distribution's origin (a local placeholder here), then StorefrontOrigin's default.
    assert cors.allow_origins[-1] == "http://localhost:5173"
    assert cors.allow_origins[0].startswith("https://")
    assert "*" not in cors.allow_origins
    assert "idempotency-key" in cors.allow_headers


def test_intrinsics_resolve_against_local_names() -> None:
    _, resolver = project_stack()

    assert resolver.resolve({"Fn::GetAtt": ["AtelierTable", "Arn"]}) == (
        "arn:aws:dynamodb:us-east-1:123456789012:table/atelier-local-AtelierTable"
    )
    assert resolver.resolve({"Fn::Sub": "${AtelierTable.Arn}/index/ByStatus"}).endswith(
        "table/atelier-local-AtelierTable/index/ByStatus"
    )
    assert resolver.resolve({"Fn::Sub": "/aws/lambda/${OrdersApiFunction}"}) == (
        "/aws/lambda/atelier-dev-orders-api"
    )
    assert resolver.resolve({"Fn::Sub": ["${A}-${AWS::Region}-${!Literal}", {"A": "x"}]}) == (
        "x-us-east-1-${Literal}"
    )


# ------------------------------------------------------------------ fixture templates

SCHEDULED = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Globals:
  Function:
    Runtime: python3.13
    Handler: app.lambda_handler
    Environment:
      Variables:
        BUCKET: !Ref Evidence
        QUEUE_ARN: !GetAtt Jobs.Arn
        MODE: !If [IsProd, strict, relaxed]
Resources:
  Evidence:
    Type: AWS::S3::Bucket
  Jobs:
    Type: AWS::SQS::Queue
  ProdOnly:
    Type: AWS::SQS::Queue
    Condition: IsProd
  ExpirySweepFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/expiry_sweep/
      Environment:
        Variables:
          MODE: sweeping
      Events:
        EveryFiveMinutes:
          Type: Schedule
          Properties: {Schedule: rate(5 minutes)}
"""


def test_schedules_and_conditions_in_a_fixture_template() -> None:
    stack, _ = fixture_stack(SCHEDULED)
    function = stack.function_named("expiry_sweep")

    assert function is not None
    assert [(s.kind, s.expression) for s in function.schedules] == [("Schedule", "rate(5 minutes)")]
    assert function.environment["BUCKET"] == "atelier-local-evidence"  # buckets are lowercase
    assert (
        function.environment["QUEUE_ARN"] == "arn:aws:sqs:us-east-1:123456789012:atelier-local-Jobs"
    )
    assert function.environment["MODE"] == "sweeping"  # the function's own value wins
    assert "ProdOnly" not in stack.resources  # its condition is false
    assert stack.routes == []


def test_two_functions_setting_one_variable_differently_is_reported() -> None:
    text = SCHEDULED + (
        "  OtherFunction:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: functions/other/\n"
    )
    stack, _ = fixture_stack(text)
    union, conflicts = stack.environment_union()

    assert union["MODE"] == "sweeping"
    assert len(conflicts) == 1 and "MODE" in conflicts[0]


def test_a_reference_to_a_missing_resource_is_an_error() -> None:
    text = SCHEDULED.replace("BUCKET: !Ref Evidence", "BUCKET: !Ref Nowhere")
    with pytest.raises(TemplateError, match="Nowhere"):
        fixture_stack(text)


def test_the_local_loader_reads_the_template_exactly_as_cfn_lint_decodes_it() -> None:
    # The local stack reads short-form tags with its own SafeLoader constructor, not cfn-lint's
    # decoder, whose import alone takes over a second on every `make run` (docs/decisions.md).
    # cfn-lint is what `make test` validates the template with: both must see one template.
    from cfnlint.decode import decode_str

    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    decoded, problems = decode_str(text)
    assert problems == []

    def plain(node: object) -> object:  # cfn-lint's nodes are dict and str subclasses
        if isinstance(node, dict):
            return {str(k): plain(v) for k, v in node.items()}
        if isinstance(node, list):
            return [plain(v) for v in node]
        return node if isinstance(node, bool | int | float) or node is None else str(node)

    assert plain(load_yaml(text)) == plain(decoded)
    assert "!" in text  # the template does use short-form tags
