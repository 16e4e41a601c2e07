"""P7 and P11: the emails one domain event sends, to the customer and to staff.

Deduplication is the caller's (the notifier keys it on the event id): this sends every email
the event calls for each time it is called. Logs carry ids, types and counts, never an address,
a name or a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from atelier.config import Settings
from atelier.domain.events import DomainEvent
from atelier.notifications import render_email
from atelier.observability import logger
from atelier.ports import EmailSender, OrderRepository


@dataclass(frozen=True)
class NotifyReport:
    sent: int = 0
    kinds: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"sent": self.sent, "kinds": list(self.kinds)}


@dataclass(frozen=True)
class Notifications:
    orders: OrderRepository
    sender: EmailSender
    settings: Settings

    def send(self, event: DomainEvent) -> NotifyReport:
        """Render and send `event`'s emails. A send that fails raises (ServiceUnavailableError
        when it is worth retrying): the event is then retried whole."""
        order = self.orders.get(event.order_id)
        if order is None:
            logger.warning(
                "no order for this event; nothing sent",
                event_id=event.event_id,
                event_type=event.event_type,
                order_id=event.order_id,
            )
            return NotifyReport()
        emails = render_email(event, order, self.settings)
        for email in emails:
            self.sender.send(email)
            logger.info(
                "email sent",
                event_id=event.event_id,
                event_type=event.event_type,
                order_id=event.order_id,
                kind=email.kind,
            )
        kinds: list[str] = [email.kind for email in emails]
        logger.info(
            "event notified",
            event_id=event.event_id,
            event_type=event.event_type,
            order_id=event.order_id,
            count=len(emails),
        )
        return NotifyReport(len(emails), kinds)
