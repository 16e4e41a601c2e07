"""The process environment a function gets, read from template.yaml. Imports nothing from
atelier: it is set before the package (and its module-level Logger and Metrics) is loaded,
as Lambda sets it before the runtime imports a handler."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from infra.local.inprocess import REGION, ROOT, read_template
from infra.local.template import StackModel

__all__ = ["REGION", "ROOT", "template_model"]
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
    return read_template(environment_overrides)[0]


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
