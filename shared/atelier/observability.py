"""One Logger, Tracer and Metrics for the whole package (service name from POWERTOOLS_*)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

if TYPE_CHECKING:
    from atelier.services.payments import SweepReport

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def publish_report(prefix: str, report: SweepReport) -> dict[str, Any]:
    """A scheduled run's counts as metrics and one log line; the handler's return value."""
    summary = report.as_dict()
    for name, value in summary.items():
        if name != "failures":
            metrics.add_metric(name=f"{prefix}_{name}", unit=MetricUnit.Count, value=value)
    logger.info("scheduled run finished", run=prefix, **summary)
    return summary
