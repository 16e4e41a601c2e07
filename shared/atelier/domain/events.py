"""Domain events: what consumers (emails, staff alerts, analytics) learn of an order.

Each is a committed history entry carried to the event bus (docs/events.md): published if and
only if its change committed, with its own `event_id` for consumers to deduplicate on. Events
carry ids, statuses and amounts, never personal data: a consumer that needs the contact reads
the order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SOURCE = "atelier.orders"


@dataclass(frozen=True)
class DomainEvent:
    event_id: str
    event_type: str
    order_id: str
    version: int
    at: str  # ISO 8601 UTC
    actor: str
    from_status: str | None
    to_status: str
    data: dict[str, Any] = field(default_factory=dict)

    def detail(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "order_id": self.order_id,
            "version": self.version,
            "at": self.at,
            "actor": self.actor,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "data": self.data,
        }
