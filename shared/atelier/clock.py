"""Clocks. Every rule about time takes one of these instead of reading the system time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to; for tests."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)

    def advance(self, seconds: float = 0, **delta: float) -> None:
        self._now += timedelta(seconds=seconds, **delta)


class OffsetClock:
    """The real time shifted forward by an offset; the local stack's `/_local/clock`."""

    def __init__(self, offset_seconds: int = 0) -> None:
        self.offset_seconds = offset_seconds

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)

    def advance(self, seconds: int) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset_seconds += seconds


def isoformat_z(instant: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second (the API's time format)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 instant (with `Z` or an offset) into an aware UTC datetime."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"time without a zone: {text!r}")
    return parsed.astimezone(UTC)
