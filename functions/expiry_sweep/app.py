"""expiry_sweep: every 5 minutes, expire unpaid orders past their deadline and send the
payment reminders that are due (P3, P11). Reads only the due index, never a Scan."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from atelier.bootstrap import Container, get_container
from atelier.entry import lambda_entry
from atelier.services.sweep import SweepReport, publish_report


@lambda_entry()
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, container: Container | None = None
) -> dict[str, Any]:
    c = container or get_container()
    report = SweepReport()
    c.payments.expire_overdue(report)
    c.payments.send_reminders(report)
    c.workshop.lapse_surcharges(report)
    return publish_report("Sweep", report)
