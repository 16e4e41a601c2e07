"""sla_watch: hourly, P7's ship-by watch — staff are warned the working day before the date an
order must ship by (or its delay's date), and once it has passed unshipped the customer gets an
apology and staff an alert, each once per date; and P10's claims left unsubmitted past their
deadline lapse. Reads only the due index."""

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
    report = c.workshop.watch_ship_deadlines(SweepReport())
    c.claims.lapse_unsubmitted(report)
    return publish_report("ShipWatch", report)
