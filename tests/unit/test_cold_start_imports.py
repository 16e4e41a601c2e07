"""What a cold start loads (docs/performance.md): each function imported as Lambda imports it (its
folder first on sys.path, then the layer's content), in a fresh interpreter with the Tracer on as
`Tracing: Active` turns it on, then building what its first invocation builds. A module that shows
up here is paid for on every cold start of that function."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bench.coldstart import FIRST_INVOCATION  # what each first invocation builds

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"

_PROBE = """
import importlib.util, json, sys
code_dir, layer_dir, attributes = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.path[:0] = [code_dir, layer_dir]
spec = importlib.util.spec_from_file_location("app", code_dir + "/app.py")
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
from atelier.bootstrap import get_container
container = get_container()
for name in attributes:
    getattr(container, name)
from aws_xray_sdk.core.patcher import _PATCHED_MODULES
print(json.dumps({"modules": sorted(sys.modules), "patched": sorted(_PATCHED_MODULES)}))
"""


@cache
def cold_start(function: str) -> dict[str, Any]:
    code_dir = FUNCTIONS / function
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POWERTOOLS_", "AWS_", "PYTHON"))
    }
    environment.update(
        {
            "LAMBDA_TASK_ROOT": str(code_dir),  # the Tracer is on, as in Lambda
            "AWS_LAMBDA_FUNCTION_NAME": function,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "POWERTOOLS_SERVICE_NAME": "atelier",
            "TABLE_NAME": "atelier",
            "EVENT_BUS_NAME": "atelier",
            "EVIDENCE_BUCKET": "evidence",
            "EMAIL_FROM": "orders@shop.example.com",
        }
    )
    done = subprocess.run(  # noqa: S603 - this interpreter and the probe above
        [
            sys.executable,
            "-c",
            _PROBE,
            str(code_dir),
            str(ROOT / "shared"),
            *FIRST_INVOCATION[function],
        ],
        env=environment,
        cwd=code_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def loaded(function: str, prefix: str) -> list[str]:
    modules: list[str] = cold_start(function)["modules"]
    return [m for m in modules if m == prefix or m.startswith(prefix + ".")]


@pytest.mark.parametrize("function", sorted(FIRST_INVOCATION))
def test_no_function_loads_the_holiday_tables_before_it_counts_a_working_day(
    function: str,
) -> None:
    assert loaded(function, "holidays") == []


def test_the_tracer_patches_the_sdk_and_http_client_only() -> None:
    result = cold_start("expiry_sweep")

    assert result["patched"] == ["botocore", "httplib"]
    for unused in ("requests", "sqlite3", "httpx"):
        assert loaded("expiry_sweep", unused) == [], unused


def test_the_relay_loads_neither_the_order_domain_nor_pydantic() -> None:
    for heavy in (
        "pydantic",
        "atelier.domain.order",
        "atelier.domain.catalog",
        "atelier.adapters.dynamodb",
        "atelier.ports",
    ):
        assert loaded("event_relay", heavy) == [], heavy


@pytest.mark.parametrize(
    ("function", "schemas"),
    [
        ("payment_webhook", ["error"]),
        ("orders_api", ["claims", "customer", "error", "orders", "text"]),
        ("staff_api", ["claims", "error", "orders", "staff", "text"]),
    ],
)
def test_each_api_function_builds_only_its_own_bodies(function: str, schemas: list[str]) -> None:
    package = "atelier.api.schemas"
    assert loaded(function, package) == [package, *(f"{package}.{name}" for name in schemas)]
