"""API fuzzing: its own local stack, the tokens it calls with, the tally of what it sent and
found, and the known product bugs it reports as xfail instead of failing on.

The stack is tests/e2e's fixture registered again here, so the fuzzer gets a stack of its own:
it creates and replaces catalog products and acts on orders at random, which the flow tests
must never see.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import pytest
from schemathesis.core.failures import ServerError

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
    """(method, path) of the operations whose JSON body the function's resolver validates:
    all that take a body but the webhook, which reads its raw bytes for the signature."""
    document = json.loads(DOCUMENT.read_text())
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation and path != "/webhooks/payments"
    ]


# ---------------------------------------------------------------------------- known bugs


@dataclass(frozen=True)
class KnownBug:
    """A product bug that needs a fix in product code. A test that the fuzzer sees fail only
    with it is reported as xfail naming it; any other failure still fails the test. Each bug
    also has a plain test, marked xfail(strict=True), so that fixing it fails that test until
    the entry is removed."""

    name: str
    matches: Callable[[Any, Any], bool]  # (failure, response) -> is it this bug


_BODY_OPERATIONS = {f"{method} {path}" for method, path in body_operations()}


def _a_500_on_a_body_that_is_not_json(failure: Any, response: Any) -> bool:
    sent = str(response.request.headers.get("Content-Type") or "")
    return (
        isinstance(failure, ServerError)
        and response.status_code == 500
        and not sent.lower().startswith("application/json")
        and failure.operation in _BODY_OPERATIONS
    )


BUG_415 = KnownBug(
    name=(
        "BUG-415: a JSON body sent as text/plain, or as multipart/form-data without a "
        "boundary, answers 500 INTERNAL_ERROR instead of 415 (docs/reliability.md, API fuzzing)"
    ),
    matches=_a_500_on_a_body_that_is_not_json,
)
KNOWN_BUGS = [BUG_415]

HITS = pytest.StashKey[Counter[str]]()


def known_bug_for(failure: Any, response: Any) -> KnownBug | None:
    return next((bug for bug in KNOWN_BUGS if bug.matches(failure, response)), None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A test that passed only because it set known bugs aside is an xfail naming them."""
    report = yield
    hits = item.stash.get(HITS, Counter())
    if call.when == "call" and report.passed and hits:
        report.outcome = "skipped"
        report.wasxfail = "; ".join(f"{name} (x{count})" for name, count in hits.items())
    return report


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
    known: Counter[str] = field(default_factory=Counter)
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
    for name, count in TALLY.known.items():
        write(f"known bug, set aside {count}x: {name}")
