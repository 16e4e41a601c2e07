"""The shop's working-day calendar: the "Dates, exactly" rules of the design (P7, P10).

Working days skip Saturdays, Sundays, the public holidays of one country (from the `holidays`
package, observed dates included) and the shop's own closure dates. "The Nth working day after
D" never counts D itself. Every function takes the time it reasons about; nothing here reads the
clock.

`holidays` is imported when a calendar is built, not with this module: it costs some 50-140 ms
of a cold start, and functions that count no working day (the relay, the notifier) never pay it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "America/New_York"
DEFAULT_HOLIDAY_COUNTRY = "US"
DEFAULT_CUTOFF = time(17, 0)

SHIP_WITHIN_WORKING_DAYS = 5
CLAIM_WITHIN_WORKING_DAYS = 7

_SATURDAY = 5
_ONE_DAY = timedelta(days=1)
_LAST_SECOND = time(23, 59, 59)
# `date.fromisoformat` also takes "20261224" and week dates; settings accept one spelling only.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HH_MM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


class WorkingCalendar:
    """Working days and the deadlines counted in them, in the shop's time zone."""

    def __init__(
        self,
        timezone: str = DEFAULT_TIMEZONE,
        holiday_country: str = DEFAULT_HOLIDAY_COUNTRY,
        closures: frozenset[date] = frozenset(),
        cutoff: time = DEFAULT_CUTOFF,
    ) -> None:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone: {timezone!r}") from exc
        import holidays

        try:
            # An empty table is cheap and proves the country is supported at cold start,
            # not on the first order that needs a deadline.
            holidays.country_holidays(holiday_country)
        except NotImplementedError as exc:
            raise ValueError(f"unknown holiday country: {holiday_country!r}") from exc
        if cutoff.tzinfo is not None:
            raise ValueError("the cut-off is a shop-local wall-clock time, without a zone")

        self.timezone = timezone
        self.zone = zone
        self.holiday_country = holiday_country
        self.closures = frozenset(closures)
        self.cutoff = cutoff
        self._holidays_by_year: dict[int, frozenset[date]] = {}

    @classmethod
    def from_settings(
        cls, timezone: str, holiday_country: str, closures: str, cutoff: str
    ) -> WorkingCalendar:
        """Build from raw settings: `closures` "YYYY-MM-DD,…" (may be empty), `cutoff` "HH:MM"."""
        return cls(
            timezone=timezone,
            holiday_country=holiday_country,
            closures=_parse_closures(closures),
            cutoff=_parse_cutoff(cutoff),
        )

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(timezone={self.timezone!r}, "
            f"holiday_country={self.holiday_country!r}, "
            f"closures={sorted(self.closures)!r}, cutoff={self.cutoff!r})"
        )

    # Working days

    def is_holiday(self, day: date) -> bool:
        return day in self._holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < _SATURDAY and not self.is_holiday(day) and day not in self.closures

    def add_working_days(self, day: date, n: int) -> date:
        """The Nth working day after `day`; `day` itself never counts."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def next_working_day_after(self, day: date) -> date:
        return self.add_working_days(day, 1)

    def previous_working_day_before(self, day: date) -> date:
        """The last working day before `day` (P7's warning goes out the working day before)."""
        day -= _ONE_DAY
        while not self.is_working_day(day):
            day -= _ONE_DAY
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negated working days in (end, start] when end < start.

        So `working_days_between(d, add_working_days(d, n)) == n`, and the result is 0 when
        end == start or only non-working days lie between. A staff queue's "working days left"
        is `working_days_between(today, ship_by)`: 0 on the day itself, negative once past.
        """
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=offset))
        )

    def is_valid_delay_date(self, expected: date, today: date) -> bool:
        """P7: a new expected ship date must be a working day strictly after today."""
        return expected > today and self.is_working_day(expected)

    # Instants

    def local_date(self, instant: datetime) -> date:
        return self._local(instant).date()

    def production_start_day(self, instant: datetime) -> date:
        """D of the ship-by rule: today if a working day before the cut-off, else the next one."""
        local = self._local(instant)
        today = local.date()
        if self.is_working_day(today) and local.time() < self.cutoff:
            return today
        return self.next_working_day_after(today)

    def ship_by(self, instant: datetime) -> date:
        """P7: the 5th working day after the production start day of `instant`."""
        return self.add_working_days(self.production_start_day(instant), SHIP_WITHIN_WORKING_DAYS)

    def claim_deadline(self, delivered_at: datetime) -> datetime:
        """P10: 23:59:59 shop time on the 7th working day after the local delivery date, in UTC."""
        last_day = self.add_working_days(self.local_date(delivered_at), CLAIM_WITHIN_WORKING_DAYS)
        return datetime.combine(last_day, _LAST_SECOND, tzinfo=self.zone).astimezone(UTC)

    # Internals

    def _local(self, instant: datetime) -> datetime:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("an instant must be timezone-aware")
        return instant.astimezone(self.zone)

    def _holidays(self, year: int) -> frozenset[date]:
        # One table per year, built on first use. The `holidays` package files an observed date
        # under the year it falls in (New Year's Day 2022, a Saturday, is observed on 2021-12-31
        # in the 2021 table), so looking a date up in its own year's table is enough.
        table = self._holidays_by_year.get(year)
        if table is None:
            import holidays

            table = frozenset(holidays.country_holidays(self.holiday_country, years=year))
            self._holidays_by_year[year] = table
        return table


def _parse_closures(text: str) -> frozenset[date]:
    return frozenset(_parse_closure(item.strip()) for item in text.split(",") if item.strip())


def _parse_closure(item: str) -> date:
    if _ISO_DATE.fullmatch(item):
        try:
            return date.fromisoformat(item)
        except ValueError:
            pass  # right shape, impossible date such as 2026-02-30
    raise ValueError(f"closure date {item!r} is not a date in YYYY-MM-DD form")


def _parse_cutoff(text: str) -> time:
    match = _HH_MM.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"cut-off {text!r} is not a time in HH:MM form (00:00 to 23:59)")
    return time(int(match.group(1)), int(match.group(2)))
