"""The process environment a function gets, read from template.yaml. Imports nothing from
atelier: it is set before the package (and its module-level Logger and Metrics) is loaded,
as Lambda sets it before the runtime imports a handler."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra.local.cfn import Resolver, StackContext, load_template_file, parameter_values
from infra.local.template import StackModel, read_stack

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    # No X-Ray daemon and no CloudWatch here; the cold-start runs turn the Tracer back on.
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def template_model(environment_overrides: dict[str, str] | None = None) -> StackModel:
    """The template as the local stack reads it (no AWS needed)."""
    template = load_template_file(ROOT / "template.yaml")
    resolver = Resolver(template, StackContext(), parameter_values(template, {}))
    return read_stack(template, resolver, ROOT, environment_overrides)


def function_environment() -> dict[str, str]:
    """Every function's template variables (they share this process) and dummy credentials."""
    variables, _conflicts = template_model().environment_union()
    return {**variables, **AWS_ENVIRONMENT}


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set variables for the block; afterwards the environment is as it was before it (the
    stack also sets the template's variables, and the host each function's)."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
