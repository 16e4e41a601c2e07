"""The operations dashboard in template.yaml shows what the operator needs, from metrics that
exist: every dead-letter queue's depth, every API function's p99 duration, the API's p99
latency, the stream consumer's iterator age and every alarm, all read from the template; and
each business figure it charts is a metric the code emits (found in the source with ast), in
the namespace and with the one dimension powertools gives it.

The business figures themselves (orders placed, paid, expired, sent to review) are counted from
committed domain events; the last tests run the flows that make those events."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from atelier.domain.events import DomainEvent
from atelier.domain.order import Order
from atelier.observability import metrics
from atelier.services.figures import FIGURES, count_figures, figures_of
from atelier.services.settlement import Outcome
from atelier.services.sweep import SweepReport
from atelier.services.workshop import Decision
from infra.local.cfn import load_template_file
from infra.local.template import merge_globals
from tests.world import World

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template_file(ROOT / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
FUNCTION_GLOBALS: dict[str, Any] = (TEMPLATE.get("Globals") or {}).get("Function") or {}


def of_type(kind: str) -> list[str]:
    return sorted(name for name, r in RESOURCES.items() if r.get("Type") == kind)


def properties(name: str) -> dict[str, Any]:
    return RESOURCES[name].get("Properties") or {}


def event_types(function: str) -> set[str]:
    events = merge_globals(FUNCTION_GLOBALS, properties(function)).get("Events") or {}
    return {str(e.get("Type")) for e in events.values()}


def the_dashboard() -> dict[str, Any]:
    dashboards = of_type("AWS::CloudWatch::Dashboard")
    assert len(dashboards) == 1, f"expected one dashboard, found {dashboards}"
    body = properties(dashboards[0])["DashboardBody"]
    assert isinstance(body, dict) and isinstance(body.get("Fn::Sub"), str), (
        "DashboardBody should be !Sub over the body's JSON"
    )
    # Every ${...} sits inside a JSON string, so the body parses before substitution.
    parsed: dict[str, Any] = json.loads(body["Fn::Sub"])
    return parsed


DASHBOARD = the_dashboard()
WIDGETS: list[dict[str, Any]] = DASHBOARD["widgets"]


def charted() -> list[tuple[list[str], str | None]]:
    """Each metric line of every metric widget: its namespace, name and dimension pairs, and
    the statistic it is drawn with (its own, else the widget's)."""
    lines = []
    for widget in WIDGETS:
        if widget.get("type") != "metric":
            continue
        props = widget["properties"]
        for line in props["metrics"]:
            options = line[-1] if isinstance(line[-1], dict) else {}
            fields = [str(f) for f in line if not isinstance(f, dict)]
            lines.append((fields, options.get("stat", props.get("stat"))))
    return lines


def is_charted(fields: list[str], stat: str | None = None) -> bool:
    return any(f == fields and (stat is None or s == stat) for f, s in charted())


def dead_letter_queues() -> list[str]:
    """Queues something dead-letters into: rule dead-letter configs and on-failure destinations
    (found wherever they are nested in the functions' properties)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("DeadLetterConfig", "OnFailure"):
                    target = value.get("Arn") or value.get("Destination")
                    if isinstance(target, dict) and "Fn::GetAtt" in target:
                        found.add(target["Fn::GetAtt"][0])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for function in of_type("AWS::Serverless::Function"):
        walk(properties(function))
    return sorted(q for q in found if RESOURCES[q]["Type"] == "AWS::SQS::Queue")


API_FUNCTIONS = [f for f in of_type("AWS::Serverless::Function") if "HttpApi" in event_types(f)]
STREAM_FUNCTIONS = [f for f in of_type("AWS::Serverless::Function") if "DynamoDB" in event_types(f)]


def test_the_checks_have_something_to_check() -> None:
    assert len(dead_letter_queues()) >= 3
    assert len(API_FUNCTIONS) >= 3
    assert STREAM_FUNCTIONS
    assert charted()


def test_the_widgets_fit_the_dashboard_grid() -> None:
    for widget in WIDGETS:
        assert widget["type"] in ("metric", "log", "text", "alarm"), widget["type"]
        assert widget["x"] >= 0 and widget["x"] + widget["width"] <= 24, widget
        assert widget["height"] >= 1, widget
        if widget["type"] in ("metric", "log"):
            assert widget["properties"].get("region") == "${AWS::Region}", widget


@pytest.mark.parametrize("queue", dead_letter_queues())
def test_every_dead_letter_queue_has_its_depth_on_the_dashboard(queue: str) -> None:
    fields = ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName"]
    assert is_charted([*fields, f"${{{queue}.QueueName}}"], "Maximum"), (
        f"{queue}: its depth (Maximum of ApproximateNumberOfMessagesVisible) is not charted"
    )


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_every_api_function_has_its_p99_duration_on_the_dashboard(function: str) -> None:
    assert is_charted(["AWS/Lambda", "Duration", "FunctionName", f"${{{function}}}"], "p99"), (
        f"{function}: no p99 of AWS/Lambda Duration on the dashboard"
    )


@pytest.mark.parametrize("api", of_type("AWS::Serverless::HttpApi"))
def test_the_api_latency_p99_is_on_the_dashboard(api: str) -> None:
    stage = properties(api)["StageName"]
    assert stage == {"Ref": "Stage"}
    line = ["AWS/ApiGateway", "Latency", "ApiId", f"${{{api}}}", "Stage", "${Stage}"]
    assert is_charted(line, "p99"), f"{api}: no p99 of its Latency on the dashboard"


@pytest.mark.parametrize("function", STREAM_FUNCTIONS)
def test_the_stream_consumers_iterator_age_is_on_the_dashboard(function: str) -> None:
    line = ["AWS/Lambda", "IteratorAge", "FunctionName", f"${{{function}}}"]
    assert is_charted(line, "Maximum"), f"{function}: its IteratorAge is not charted"


def test_every_alarm_is_on_the_alarm_widget() -> None:
    shown = {
        arn
        for widget in WIDGETS
        if widget["type"] == "alarm"
        for arn in widget["properties"]["alarms"]
    }
    expected = {f"${{{alarm}.Arn}}" for alarm in of_type("AWS::CloudWatch::Alarm")}
    assert shown == expected


def test_webhook_5xx_are_counted_from_the_api_access_log() -> None:
    """The webhook's 500s are handled answers (the provider retries them), not function
    errors: the access log is where every one of them is, a timeout's 504 included."""
    queries = [w["properties"]["query"] for w in WIDGETS if w["type"] == "log"]
    webhook = [q for q in queries if "POST /webhooks/payments" in q]
    assert webhook, "no log widget counts the webhook's 5xx answers"
    assert webhook[0].startswith("SOURCE '${HttpApiAccessLogGroup}' |")
    assert "status like /^5/" in webhook[0] and "by bin(" in webhook[0]
    # The access log's format names the fields the query filters on.
    log_format = properties("HttpApi")["AccessLogSettings"]["Format"]
    for field in ('"routeKey":', '"status":'):
        assert field in log_format


# ------------------------------------------------------------------ metrics the code emits


def _literal_prefixes_of(function: str) -> set[str]:
    """The string literals passed first to `function(...)` anywhere in functions/."""
    prefixes = set()
    for path in (ROOT / "functions").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == function
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                prefixes.add(str(node.args[0].value))
    return prefixes


def emitted_metric_names() -> set[str]:
    """Every metric name an `add_metric` call in shared/ or functions/ can emit. A literal name
    is read as it stands; the few computed names are expanded from what they are computed
    from, and a computed name this function does not know fails, so it cannot go unchecked."""
    names: set[str] = set()
    computed = {
        # sweep.publish_report: f"{prefix}_{name}" for each result of a scheduled run.
        "sweep.py": {
            f"{prefix}_{result}"
            for prefix in _literal_prefixes_of("publish_report")
            for result in SweepReport.RESULTS
        },
        # payment_webhook: f"PaymentEvent_{outcome}".
        "app.py": {f"PaymentEvent_{outcome}" for outcome in Outcome},
        # figures.count_figures: one metric per figure.
        "figures.py": set(FIGURES),
    }
    sources = [*(ROOT / "shared" / "atelier").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_metric"
            ):
                continue
            name = next((k.value for k in node.keywords if k.arg == "name"), None)
            if isinstance(name, ast.Constant):
                names.add(str(name.value))
            else:
                assert path.name in computed, (
                    f"{path.relative_to(ROOT)}:{node.lineno}: a computed metric name this test "
                    "cannot expand; teach emitted_metric_names() what it can be"
                )
                names |= computed[path.name]
    return names


def test_the_emitted_names_are_found_in_the_source() -> None:
    names = emitted_metric_names()
    for name in ("WebhookSignatureRejected", "EmailsSent", "ShipWatch_late", "Sweep_expired"):
        assert name in names
    assert set(FIGURES) <= names


BUSINESS_NAMESPACE = FUNCTION_GLOBALS["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
SERVICE = FUNCTION_GLOBALS["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]


def test_each_business_figure_charted_is_a_metric_the_code_emits() -> None:
    """powertools publishes in POWERTOOLS_METRICS_NAMESPACE with one dimension, service =
    POWERTOOLS_SERVICE_NAME: a chart naming anything else would stay empty."""
    business = [fields for fields, _ in charted() if fields[0] == BUSINESS_NAMESPACE]
    assert business, f"the dashboard charts nothing in {BUSINESS_NAMESPACE}"
    emitted = emitted_metric_names()
    for fields in business:
        assert fields[2:] == ["service", SERVICE], f"{fields}: not powertools' one dimension"
        assert fields[1] in emitted, f"{fields[1]}: no add_metric in the code emits it"
    for figure in (*FIGURES, "ShipWatch_warned", "ShipWatch_late", "WebhookSignatureRejected"):
        assert [BUSINESS_NAMESPACE, figure, "service", SERVICE] in business, f"{figure} missing"


def test_no_other_namespace_is_a_custom_one() -> None:
    for fields, _ in charted():
        assert fields[0] == BUSINESS_NAMESPACE or fields[0].startswith("AWS/"), fields


# ------------------------------------------------------------------ the figures, from the flows


def events_of(world: World, order: Order) -> list[DomainEvent]:
    """The order's history as the relay publishes it."""
    return [
        DomainEvent(
            event_id=h.event_id,
            event_type=h.event_type,
            order_id=order.order_id,
            version=h.version,
            at=h.at.isoformat(),
            actor=h.actor,
            from_status=None if h.from_status is None else str(h.from_status),
            to_status=str(h.to_status),
            data=dict(h.data),
        )
        for h in world.orders.history[order.order_id]
    ]


def figures(world: World, order: Order) -> list[str]:
    return [name for event in events_of(world, order) for name in figures_of(event)]


def test_an_order_placed_and_paid_counts_placed_then_paid() -> None:
    world = World()
    order = world.place()
    assert figures(world, order) == ["OrdersPlaced"]
    world.apply(world.event(order))
    assert figures(world, order) == ["OrdersPlaced", "OrdersPaid"]


def test_an_order_paid_for_review_counts_as_paid_and_sent_to_review() -> None:
    world = World()
    order = world.place(remarks="a thinner band")
    world.apply(world.event(order))
    assert figures(world, order) == ["OrdersPlaced", "OrdersPaid", "OrdersSentToReview"]


def test_the_same_payment_delivered_again_counts_once() -> None:
    world = World()
    order = world.place()
    event = world.event(order)
    for _ in range(3):
        world.apply(event)
    assert figures(world, order).count("OrdersPaid") == 1


def test_an_unpaid_order_swept_counts_as_expired() -> None:
    world = World()
    order = world.place()
    world.clock.advance(hours=25)
    world.sweep()
    assert figures(world, order) == ["OrdersPlaced", "OrdersExpired"]


def test_a_surcharge_paid_is_not_a_second_order_paid() -> None:
    world = World()
    order = world.place(remarks="a thinner band")
    world.apply(world.event(order))
    world.workshop.review("staff:x", order.order_id, Decision.SURCHARGE, surcharge_cents=2000)
    opened = world.customer_orders.accept_surcharge("cust-a", order.order_id)
    assert opened.checkout is not None
    world.gateway.pay(opened.checkout.session_id, at=world.clock.now())
    world.clock.advance(hours=25)
    world.workshop.lapse_surcharges(SweepReport())
    assert str(world.reload(order).status) == "IN_PRODUCTION"
    assert [e.data.get("surcharge") for e in events_of(world, order)].count(True) == 1
    assert figures(world, order) == ["OrdersPlaced", "OrdersPaid", "OrdersSentToReview"]


def test_counting_adds_one_to_each_figure_and_no_dimension() -> None:
    world = World()
    order = world.place(remarks="a thinner band")
    world.apply(world.event(order))
    metrics.clear_metrics()
    try:
        for event in events_of(world, order):
            count_figures(event)
        recorded = {name: list(m["Value"]) for name, m in metrics.metric_set.items()}
        assert recorded == {"OrdersPlaced": [1.0], "OrdersPaid": [1.0], "OrdersSentToReview": [1.0]}
        assert metrics.dimension_set == {}
    finally:
        metrics.clear_metrics()


def test_every_figure_is_counted_by_some_flow_above() -> None:
    """A figure no test above produces would be a name nothing ever counts."""
    world = World()
    paid = world.place(remarks="a thinner band")
    world.apply(world.event(paid))
    unpaid = world.place()
    world.clock.advance(hours=25)
    assert world.apply(world.event(unpaid)) in (Outcome.REFUNDED, Outcome.IGNORED, Outcome.EXPIRED)
    world.sweep()
    seen = set(figures(world, paid)) | set(figures(world, unpaid))
    assert seen == set(FIGURES)
