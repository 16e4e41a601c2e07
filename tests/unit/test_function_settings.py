"""Each function's handler names the settings it cannot run without (`lambda_entry(needs=…)`),
and template.yaml must give the function every one of them: a missing variable fails here,
not on the deployed function's first invocation."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from atelier.bootstrap import Container
from atelier.config import _ENVIRONMENT, ConfigurationError, Settings
from atelier.entry import lambda_entry
from atelier.observability import metrics
from tests.unit.test_template_posture import FUNCTION, RESOURCES, function_properties

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = {
    logical_id: Path(resource["Properties"]["CodeUri"]).name
    for logical_id, resource in RESOURCES.items()
    if resource["Type"] == FUNCTION
}


def declared_needs(folder: str) -> list[tuple[str, ...]]:
    """The `needs` of the `lambda_entry` decorating the folder's `lambda_handler`."""
    tree = ast.parse((ROOT / "functions" / folder / "app.py").read_text())
    handler = next(
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "lambda_handler"
    )
    entries = [
        d
        for d in handler.decorator_list
        if isinstance(d, ast.Call) and getattr(d.func, "id", None) == "lambda_entry"
    ]
    assert len(entries) == 1, f"{folder}'s lambda_handler is not decorated with lambda_entry"
    needs: Any = next((k.value for k in entries[0].keywords if k.arg == "needs"), None)
    groups = ast.literal_eval(needs) if needs is not None else ()
    return [(g,) if isinstance(g, str) else tuple(g) for g in groups]


def test_every_function_is_found() -> None:
    assert len(FUNCTIONS) == len(list((ROOT / "functions").glob("*/app.py")))


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_the_template_gives_each_function_the_settings_it_needs(logical_id: str) -> None:
    variables = (function_properties(logical_id).get("Environment") or {}).get("Variables", {})
    for group in [("table_name",), *declared_needs(FUNCTIONS[logical_id])]:
        wanted = [_ENVIRONMENT[name] for name in group]
        assert any(v in variables for v in wanted), f"{logical_id} is not given any of {wanted}"


def test_a_missing_need_is_named_with_its_variable() -> None:
    settings = Settings(table_name="t", webhook_secrets="whsec_x")
    settings.require(("webhook_secret_parameter", "webhook_secrets"))
    with pytest.raises(ConfigurationError) as raised:
        settings.require("event_bus_name", "email_from", ("evidence_bucket", "email_from"))
    assert str(raised.value) == (
        "missing settings: EVENT_BUS_NAME; EMAIL_FROM; EVIDENCE_BUCKET or EMAIL_FROM"
    )
    with pytest.raises(ConfigurationError, match="missing settings: STAFF_ALERT_EMAIL"):
        settings.required("staff_alert_email")
    assert settings.required("webhook_secrets") == "whsec_x"


class _Context:
    function_name = "atelier-test-fn"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:atelier-test-fn"
    memory_limit_in_mb = 256
    aws_request_id = "req-1"


def test_a_handler_does_no_work_until_its_needs_are_met() -> None:
    # Metrics are one object for the process: what earlier tests recorded would be flushed
    # here, without the namespace this test has no reason to set.
    metrics.clear_metrics()
    calls: list[dict[str, Any]] = []

    @lambda_entry(needs=("event_bus_name",))
    def handler(event: dict[str, Any], context: Any, container: Any = None) -> dict[str, Any]:
        calls.append(event)
        return {"ok": True}

    unset = Container(settings=Settings(table_name="t"))
    with pytest.raises(ConfigurationError, match="missing settings: EVENT_BUS_NAME"):
        handler({"n": 1}, _Context(), container=unset)
    assert calls == []
    given = Container(settings=Settings(table_name="t", event_bus_name="bus"))
    assert handler({"n": 2}, _Context(), container=given) == {"ok": True}
    assert calls == [{"n": 2}]
