"""What an email may say about an order, read from the event and the order: the order's value
where it has one, the event's data as the fallback, in the shop's words and time zone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from atelier.clock import parse_iso
from atelier.domain.events import DomainEvent
from atelier.domain.order import Order
from atelier.notifications.formatting import long_date, long_datetime, money

Values = dict[str, str]


class Facts:
    """An event and its order, with their values written for people."""

    def __init__(self, event: DomainEvent, order: Order, zone: ZoneInfo) -> None:
        self.event = event
        self.order = order
        self.zone = zone
        self.data: Mapping[str, Any] = event.data or {}

    def common(self) -> Values:
        order = self.order
        return {
            "order_id": order.order_id,
            "name": order.contact.name.strip(),
            "product": order.product.name,
            "status": str(order.status).replace("_", " ").lower(),
            "total": self.money(order.price.total_cents),
            "paid": self.money(order.paid_cents - order.refunded_cents),
        }

    def money(self, cents: int) -> str:
        return money(cents, self.order.price.currency)

    def when(self, instant: datetime | None) -> str:
        return long_datetime(instant, self.zone) if instant is not None else ""

    def day(self, value: date | None) -> str:
        return long_date(value) if value is not None else ""

    def text(self, key: str) -> str:
        value = self.data.get(key)
        return value.strip() if isinstance(value, str) else ""

    def cents(self, key: str) -> int | None:
        value = self.data.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def data_date(self, key: str) -> date | None:
        value = self.data.get(key)
        if not isinstance(value, str) or not value:
            return None
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None

    def data_time(self, key: str) -> datetime | None:
        value = self.data.get(key)
        if not isinstance(value, str) or not value:
            return None
        try:
            return parse_iso(value)
        except ValueError:
            return None

    def refund_values(self) -> Values:
        """The refund sentence of a cancellation: an amount, or why there is none."""
        refund = self.cents("refund_cents") or 0
        pending = self.cents("refund_failed_cents") or 0
        values: Values = {}
        if pending > 0:
            values["refund_pending"] = self.money(pending)
        if refund > 0:
            return {**values, "refund": self.money(refund)}
        if values:
            return values
        if self.order.is_paid:
            return {"no_refund": "yes"}
        return {"no_payment": "yes"}
