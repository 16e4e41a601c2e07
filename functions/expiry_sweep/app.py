"""expiry_sweep: every 5 minutes, expire unpaid orders past their deadline and send the
payment reminders that are due (P3, P11). Reads only the due index, never a Scan."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from atelier.bootstrap import Container, get_container
from atelier.entry import lambda_entry
from atelier.services.payments import expire_overdue_orders, send_payment_reminders
from atelier.services.sweep import SweepReport, publish_report


@lambda_entry()
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, container: Container | None = None
) -> dict[str, Any]:
    c = container or get_container()
    report = SweepReport()
    expire_overdue_orders(
        orders=c.orders, gateway=c.gateway, clock=c.clock, calendar=c.calendar, report=report
    )
    send_payment_reminders(orders=c.orders, clock=c.clock, report=report)
    c.workshop.lapse_surcharges(report)
    return publish_report("Sweep", report)
