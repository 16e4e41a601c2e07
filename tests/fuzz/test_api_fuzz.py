"""Schemathesis against the local stack: every operation of the published OpenAPI document,
positive and negative data, with a customer's token (a staff token on /staff routes).

Checks: not_a_server_error, status_code_conformance, content_type_conformance,
response_schema_conformance, negative_data_rejection. Bounded and deterministic for CI (a
fixed seed, derandomized generation): the fuzzing phase with at most MAX_EXAMPLES cases per
operation, and a bounded stateful run that follows the document's links from real orders and
claims. `ATELIER_FUZZ=deep` adds schemathesis' coverage phase (every boundary and every
constraint broken one at a time, about 1,400 more cases) and raises the bounds.

A failing check fails the test. What the fuzzer found and the fix are in docs/reliability.md;
each finding keeps a plain regression test here.
"""

from __future__ import annotations

import json
import os
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import RunningStack, call, pay_in_sandbox, place_ring, token_for
from tests.fuzz.conftest import DOCUMENT, TALLY, body_operations

# Part of `make test`; `make fuzz` runs it alone (ATELIER_FUZZ=deep for the long run).
pytestmark = [pytest.mark.e2e, pytest.mark.fuzz]

SEED = 20261101
DEEP = os.environ.get("ATELIER_FUZZ") == "deep"
MAX_EXAMPLES = 100 if DEEP else 15
STATEFUL_SCENARIOS = 60 if DEEP else 12
STATEFUL_STEPS = 10 if DEEP else 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            # The token is sent by the test (below), not generated as a header parameter.
            "with-security-parameters": False,
        },
        "phases": {
            "coverage": {
                "enabled": DEEP,
                # No probing of undeclared methods: API Gateway answers those (404).
                "unexpected-methods": [],
            },
            # The document's own links only (no inferred ones), run by test_stateful.
            "stateful": {"inference": {"algorithms": []}},
        },
    }
)

# Loaded from the file the stack serves (GET /openapi.json answers this file, see
# test_the_stack_serves_the_fuzzed_document), so pytest can make one test per operation.
schema = schemathesis.openapi.from_path(DOCUMENT, config=CONFIG)


def test_the_stack_serves_the_fuzzed_document(stack: RunningStack) -> None:
    reply = call(stack, "GET", "/openapi.json")
    assert reply.status == 200
    assert reply.json == json.loads(DOCUMENT.read_text())


@schema.parametrize()
def test_api(case: Any, stack: RunningStack, tokens: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {tokens[role_for(case)]}"}
    response = case.call(base_url=stack.base_url, headers=headers)
    validate(case, response, headers, stack)


def test_stateful(stack: RunningStack, stateful_tokens: dict[str, str]) -> None:
    """Scenarios that start from lists with real objects in them (a customer's orders in every
    state, staff queues, claims, the catalog) and follow the document's links."""
    failed = False

    class Scenarios(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            token = stateful_tokens[role_for(case)]
            return {"base_url": stack.base_url, "headers": {"Authorization": f"Bearer {token}"}}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            nonlocal failed
            try:
                validate(case, response, kwargs["headers"], stack)
            except FailureGroup:
                failed = True
                raise

    try:
        Scenarios.run(
            settings=hypothesis.settings(
                max_examples=STATEFUL_SCENARIOS,
                stateful_step_count=STATEFUL_STEPS,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(hypothesis.HealthCheck),
            )
        )
    except (hypothesis.errors.FlakyStrategyDefinition, AssertionError) as exc:
        # The stack's state moves on with every scenario, so Hypothesis may find that replaying
        # a prefix draws differently and give up. With no check failed that ends the run, as
        # schemathesis' own runner treats it; after a failed check it is the failure.
        if failed or not _is_a_replay_mismatch(exc):
            raise
        TALLY.stateful_cut_short += 1


def _is_a_replay_mismatch(exc: BaseException) -> bool:
    if isinstance(exc, hypothesis.errors.FlakyStrategyDefinition):
        return True
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame is not None and frame.tb_frame.f_globals["__name__"].startswith(
        "hypothesis.internal.conjecture"
    )


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data", "application/x-www-form-urlencoded"]
)
def test_a_body_that_is_not_json_is_refused_with_415(  # BUG-415, found by the coverage phase
    stack: RunningStack, tokens: dict[str, str], content_type: str
) -> None:
    """What schemathesis' coverage phase probes: the body routes take JSON only."""
    answers = {}
    for method, path in body_operations():
        role = "staff" if path.startswith("/staff/") else "customer"
        reply = call(
            stack,
            method,
            path.replace("{", "").replace("}", ""),  # /orders/order_id/...: any id will do
            {},
            token=tokens[role],
            headers={"Content-Type": content_type},
        )
        answers[f"{method} {path}"] = reply.status
    wrong = {operation: status for operation, status in answers.items() if status != 415}
    assert not wrong, f"answered with another status than 415: {wrong}"


# ---------------------------------------------------------------------------- helpers


def role_for(case: Any) -> str:
    return "staff" if case.path.startswith("/staff/") else "customer"


def validate(
    case: Any,
    response: Any,
    headers: dict[str, str],
    stack: RunningStack,
) -> None:
    """Run the checks; any failure fails the test (and is counted in the tally)."""
    _count(case, response)
    try:
        case.validate_response(
            response,
            checks=CHECKS,
            headers=headers,
            transport_kwargs={"base_url": stack.base_url, "headers": headers},
        )
    except FailureGroup as group:
        for failure in group.exceptions:
            TALLY.failures[type(failure).__name__] += 1
        raise


def _count(case: Any, response: Any) -> None:
    TALLY.operations.add(case.operation.label)
    TALLY.cases += 1
    meta = case.meta
    phase = meta.phase.name.value if meta is not None else "?"
    mode = meta.generation.mode.value if meta is not None else "?"
    TALLY.by_phase[f"{phase}/{mode}"] += 1
    TALLY.by_status[response.status_code] += 1
    if response.status_code >= 500:
        TALLY.server_errors += 1


# ---------------------------------------------------------------------------- real objects


@pytest.fixture(scope="module")
def stateful_tokens(stack: RunningStack) -> dict[str, str]:
    """A customer with orders in every state a customer acts on, and a claim; staff."""
    customer = token_for(stack, "fuzz-stateful")
    staff = token_for(stack, "fuzz-stateful-staff", "staff")

    def order(customization: dict[str, str]) -> dict[str, Any]:
        reply = place_ring(
            stack,
            customer,
            customization=customization,
            contact={"name": "Fuzz Stateful", "email": "fuzz@example.com"},
            shipping_address={
                "line1": "1 Main St",
                "city": "Springfield",
                "postal_code": "62701",
                "country": "US",
            },
        )
        assert reply.status == 201, reply.raw
        return dict(reply.json)

    def pay(placed: dict[str, Any]) -> None:
        reply = pay_in_sandbox(stack, placed)
        assert reply.status == 200, reply.raw

    def staff_call(path: str, body: dict[str, Any]) -> None:
        reply = call(stack, "POST", path, body, token=staff)
        assert reply.status == 200, reply.raw

    delivered = order({"style": "round", "color": "silver"})
    pay(delivered)
    oid = delivered["order_id"]
    staff_call(f"/staff/orders/{oid}/ship", {"carrier": "UPS", "tracking_number": "1ZFUZZ"})
    now = call(stack, "GET", "/_local/clock").json["now"]
    staff_call(f"/staff/orders/{oid}/deliver", {"delivered_at": now})
    claim = call(
        stack,
        "POST",
        f"/orders/{oid}/claims",
        {"reason": "DAMAGED", "description": "Bent."},
        token=customer,
    )
    assert claim.status == 201, claim.raw
    pay(order({"style": "heart", "remarks": "thinner, please"}))  # IN_REVIEW
    pay(order({"style": "oval", "color": "gold", "expression": "A & J"}))  # IN_PRODUCTION
    order({"style": "oval", "color": "gold"})  # PENDING_PAYMENT
    return {"customer": customer, "staff": staff}
