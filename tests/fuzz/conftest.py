"""API fuzzing: its own local stack, the tokens it calls with, and the tally of what it sent and
found.

The stack is tests/e2e's fixture registered again here, so the fuzzer gets a stack of its own:
it creates and replaces catalog products and acts on orders at random, which the flow tests
must never see.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, RunningStack, stack, token_for

__all__ = ["stack"]

DOCUMENT = ROOT / "shared" / "atelier" / "api" / "openapi.json"


@pytest.fixture(scope="session")
def tokens(stack: RunningStack) -> dict[str, str]:
    """A customer's token, and a token with the `staff` group."""
    return {
        "customer": token_for(stack, "fuzz-customer"),
        "staff": token_for(stack, "fuzz-staff", "staff"),
    }


def body_operations() -> list[tuple[str, str]]:
    """(method, path) of the operations that take a JSON body (the webhook included: it reads
    its raw bytes for the signature, but they must be JSON too)."""
    document = json.loads(DOCUMENT.read_text())
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]


# ---------------------------------------------------------------------------- the tally


@dataclass
class Tally:
    """What the fuzzer sent and what the checks found: the figures in docs/reliability.md."""

    operations: set[str] = field(default_factory=set)
    cases: int = 0
    by_phase: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    server_errors: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    stateful_cut_short: int = 0


TALLY = Tally()

# Failures that mean "the answer does not match the document".
SCHEMA_VIOLATIONS = frozenset(
    {
        "UndefinedStatusCode",
        "UndefinedContentType",
        "MissingContentType",
        "MalformedMediaType",
        "JsonSchemaError",
        "MalformedJson",
        "ContentDeserializationError",
    }
)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY.cases:
        return
    violations = sum(n for name, n in TALLY.failures.items() if name in SCHEMA_VIOLATIONS)
    write = terminalreporter.write_line
    terminalreporter.section("API fuzzing (schemathesis)")
    write(
        f"operations: {len(TALLY.operations)}   cases run: {TALLY.cases}   "
        f"5xx answers: {TALLY.server_errors}   schema violations: {violations}"
    )
    write("cases by phase: " + ", ".join(f"{k} {v}" for k, v in sorted(TALLY.by_phase.items())))
    write("answers by status: " + ", ".join(f"{k} {v}" for k, v in sorted(TALLY.by_status.items())))
    if TALLY.failures:
        write("check failures: " + ", ".join(f"{k} {v}" for k, v in sorted(TALLY.failures.items())))
    if TALLY.stateful_cut_short:
        write(
            "stateful run ended early: Hypothesis could not replay a scenario on the moved-on stack"
        )
