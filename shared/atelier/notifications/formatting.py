"""Money and dates written for people (P11): `$1,234.00`, "Monday, December 7, 2026",
"Tuesday, December 1, 2026, 10:00 AM EST". English names are spelled out here rather than
taken from the process locale, which a Lambda runtime does not promise."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def money(cents: int, currency: str = "USD") -> str:
    """Integer cents as `$1,234.00` (other currencies as `1,234.00 EUR`)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    amount = f"{whole:,}.{part:02d}"
    if currency.upper() == "USD":
        return f"{sign}${amount}"
    return f"{sign}{amount} {currency.upper()}"


def long_date(day: date) -> str:
    """`Monday, December 7, 2026`."""
    return f"{_DAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}, {day.year}"


def long_datetime(instant: datetime, zone: ZoneInfo) -> str:
    """An instant in the shop's time zone, with the zone's abbreviation:
    `Tuesday, December 1, 2026, 10:00 AM EST`."""
    if instant.tzinfo is None:
        raise ValueError("a time for people needs a zone")
    local = instant.astimezone(zone)
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    return f"{long_date(local.date())}, {hour}:{local.minute:02d} {half} {local.tzname()}"
