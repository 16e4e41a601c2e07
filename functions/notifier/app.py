"""notifier: the bus's rules hand it each domain event (docs/events.md) that sends email, and
it emails the customer and staff (P7, P11).

An event can arrive more than once (a retried relay batch, an EventBridge or Lambda retry), and
EventBridge's own `id` changes when it re-sends, so the work is idempotent on the domain
`detail.event_id`: the first delivery sends, the others answer the stored result. A failed send
raises, nothing is recorded as done, and Lambda's retries (then the dead-letter queue) take over.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter

from atelier.bootstrap import Container, get_container
from atelier.domain.events import DomainEvent
from atelier.entry import lambda_entry
from atelier.observability import metrics

# Duplicates come within a day (the relay's stream records and EventBridge's retries are both
# capped at 24 h); a week leaves room for a dead-letter redrive of a batch that partly passed.
KEEP_SECONDS = 7 * 24 * 60 * 60

_config = IdempotencyConfig(
    event_key_jmespath="event_id",
    expires_after_seconds=KEEP_SECONDS,
    raise_on_no_idempotency_key=True,
)
_domain_event = TypeAdapter(DomainEvent)


@lambda_entry(needs=("idempotency_table_name", "email_from", "staff_alert_email"))
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, container: Container | None = None
) -> dict[str, Any]:
    c = container or get_container()
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise ValueError("expected an EventBridge event whose detail is a domain event")
    _config.register_lambda_context(context)
    once = idempotent_function(
        _notify_once,
        data_keyword_argument="detail",
        persistence_store=c.idempotency("notifications"),
        config=_config,
    )
    result: dict[str, Any] = once(detail=detail, container=c)
    return result


def _notify_once(detail: dict[str, Any], container: Container) -> dict[str, Any]:
    domain_event = _domain_event.validate_python(detail)
    report = container.notifications.send(domain_event)
    metrics.add_metric(name="EmailsSent", unit=MetricUnit.Count, value=report.sent)
    return {"event_id": domain_event.event_id, **report.as_dict()}
