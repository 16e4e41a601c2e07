"""What storage holds of each order a repository read or wrote: the condition of its next
save. The repository keeps it, as cosmicpython's repository keeps `seen`; the aggregate knows
nothing of storage."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime

from atelier.domain.claims import ClaimStatus
from atelier.domain.due import DueKind
from atelier.domain.order import Order, OrderStatus, Payment


@dataclass(frozen=True)
class Persisted:
    status: OrderStatus
    version: int
    due: tuple[tuple[DueKind, datetime], ...]
    payments: int
    checkout_session: str | None
    claims: tuple[tuple[str, ClaimStatus], ...] = ()

    @classmethod
    def of(cls, order: Order) -> Persisted:
        return cls(
            order.status,
            order.version,
            tuple(order.due_entries().items()),
            len(order.payments),
            order.checkout.session_id if order.checkout else None,
            tuple((c.claim_id, c.status) for c in order.claims),
        )


class Seen:
    """Snapshots by order object, each dropped with its order: a warm container's repository
    lives as long as the container, the orders it hands out only as long as a request."""

    def __init__(self) -> None:
        self._snapshots: dict[int, Persisted] = {}

    def remember(self, order: Order) -> None:
        """Storage now holds `order` as it is: its pending history is committed."""
        order.new_history.clear()
        key = id(order)
        if key not in self._snapshots:
            weakref.finalize(order, self._snapshots.pop, key, None)
        self._snapshots[key] = Persisted.of(order)

    def of(self, order: Order) -> Persisted:
        """The snapshot of an order this repository handed out or stored."""
        found = self._snapshots.get(id(order))
        if found is None:
            raise ValueError("save() is for orders read from this repository; use add()")
        return found

    def new_payments(self, order: Order) -> tuple[Payment, ...]:
        return order.payments[self.of(order).payments :]
