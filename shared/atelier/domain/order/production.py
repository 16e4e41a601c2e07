"""Production and its watch (P7): ship_by, delays, the warning and the late notice, shipment
and delivery."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from atelier.domain.calendar import WorkingCalendar
from atelier.domain.claims import ClaimStatus
from atelier.domain.errors import InvalidRequestError
from atelier.domain.events import EventType
from atelier.domain.order.state import OrderState, S
from atelier.domain.order.values import Delay, Shipment, ShipWatch

# Staff are warned at the start of the working day before the ship-by date.
SHIP_WARNING_TIME = time(9, 0)


class ProductionWatch(OrderState):
    def _start_production(
        self,
        event_type: EventType,
        actor: str,
        reason: str,
        now: datetime,
        calendar: WorkingCalendar,
        data: dict[str, Any],
    ) -> None:
        self.ship_by = calendar.ship_by(now)
        self.ship_watch = _watch(self.ship_by, calendar)
        self.delay = None  # a fresh run (a remake) carries no earlier run's delay
        self._record(
            event_type,
            actor,
            reason,
            now,
            to=S.IN_PRODUCTION,
            data={**data, "ship_by": self.ship_by.isoformat()},
        )

    def working_days_left(self, now: datetime, calendar: WorkingCalendar) -> int | None:
        """P7: working days from today (shop time) to the watched ship date (the latest delay's
        or ship_by); 0 on the day itself, negative once late; None when nothing is watched."""
        if self.ship_watch is None:
            return None
        return calendar.working_days_between(calendar.local_date(now), self.ship_watch.ship_date)

    def record_delay(
        self, actor: str, reason: str, expected: date, now: datetime, calendar: WorkingCalendar
    ) -> None:
        """P7: a new expected ship date, a working day after today; it replaces any earlier
        delay, and from now on it is the date watched."""
        self.require_status(S.IN_PRODUCTION, action="delayed")
        today = calendar.local_date(now)
        if not calendar.is_valid_delay_date(expected, today):
            raise InvalidRequestError(
                "The expected ship date must be a working day after today "
                f"({today.isoformat()}, shop time): not a weekend, holiday or closure.",
                code="BAD_EXPECTED_SHIP_DATE",
                details={"earliest": calendar.next_working_day_after(today).isoformat()},
            )
        self.delay = Delay(reason, expected)
        self.ship_watch = _watch(expected, calendar)
        self._record(
            EventType.DELAY_RECORDED,
            actor,
            reason,
            now,
            data={"reason": reason, "expected_ship_date": expected.isoformat()},
        )

    def warn_ship_deadline(self, now: datetime) -> bool:
        """The working day before the watched date, staff hear of it once."""
        return self._announce(
            now, "warned", EventType.SHIP_DEADLINE_APPROACHING, "ships by the next working day"
        )

    def report_late(self, now: datetime) -> bool:
        """The watched date passed with no shipment and no newer delay: once."""
        return self._announce(
            now, "late", EventType.SHIP_DEADLINE_MISSED, "not shipped by the promised date"
        )

    def _announce(
        self, now: datetime, which: Literal["warned", "late"], event_type: EventType, reason: str
    ) -> bool:
        watch = self.ship_watch
        if self.status is not S.IN_PRODUCTION or watch is None or getattr(watch, which):
            return False
        if now < (watch.warn_at if which == "warned" else watch.late_at):
            return False
        if which == "warned":
            self.ship_watch = replace(watch, warned=True)
        else:
            self.ship_watch = replace(watch, late=True)
        self._record(
            event_type, "sla-watch", reason, now, data={"ship_date": watch.ship_date.isoformat()}
        )
        return True

    def ship(self, actor: str, carrier: str, tracking_number: str, now: datetime) -> None:
        """Ships the piece; a remake for an approved claim resolves that claim (P10)."""
        self.require_status(S.IN_PRODUCTION, action="shipped")
        self.shipment = Shipment(carrier, tracking_number, now)
        self.ship_watch = None
        resolved = [c.claim_id for c in self.claims if c.status is ClaimStatus.APPROVED]
        for claim_id in resolved:
            self._set_claim(claim_id, status=ClaimStatus.RESOLVED)
        self._record(
            EventType.ORDER_SHIPPED,
            actor,
            "shipped",
            now,
            to=S.SHIPPED,
            data={
                "carrier": carrier,
                "tracking_number": tracking_number,
                "resolved_claim_ids": resolved,
            },
        )

    def deliver(
        self, actor: str, delivered_at: datetime, now: datetime, calendar: WorkingCalendar
    ) -> None:
        self.require_status(S.SHIPPED, action="marked delivered")
        assert self.shipment is not None
        if delivered_at > now or delivered_at < self.shipment.shipped_at:
            raise InvalidRequestError(
                "delivered_at must be after the shipment and not in the future.",
                code="BAD_DELIVERY_TIME",
                details={"shipped_at": self.shipment.shipped_at.isoformat()},
            )
        self.shipment = replace(self.shipment, delivered_at=delivered_at)
        self.claim_deadline = calendar.claim_deadline(delivered_at)
        self._record(
            EventType.ORDER_DELIVERED,
            actor,
            "delivered",
            now,
            to=S.DELIVERED,
            data={
                "delivered_at": delivered_at.isoformat(),
                "claim_deadline": self.claim_deadline.isoformat(),
            },
        )


def _watch(ship_date: date, calendar: WorkingCalendar) -> ShipWatch:
    """Warn at 09:00 shop time on the working day before; late from the next day's start."""
    warn_day = calendar.previous_working_day_before(ship_date)
    zone = calendar.zone
    return ShipWatch(
        ship_date=ship_date,
        warn_at=datetime.combine(warn_day, SHIP_WARNING_TIME, tzinfo=zone).astimezone(UTC),
        late_at=datetime.combine(ship_date + timedelta(days=1), time(0), tzinfo=zone).astimezone(
            UTC
        ),
    )
