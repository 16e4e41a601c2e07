"""The shop's working-day calendar: DESIGN "Dates, exactly", P7 (ship_by) and P10 (claim_deadline).

Instants are given in UTC, as the system stores them; the shop is in America/New_York (UTC-5 in
winter, UTC-4 from 2026-03-08 to 2026-11-01).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from atelier.domain.calendar import WorkingCalendar

pytestmark = pytest.mark.unit

SHOP = WorkingCalendar()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Working days


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 4, 17), True),  # Friday
        (date(2026, 4, 18), False),  # Saturday
        (date(2026, 4, 19), False),  # Sunday
        (date(2026, 4, 20), True),  # Monday
    ],
)
def test_weekends_are_not_working_days(day: date, working: bool) -> None:
    assert SHOP.is_working_day(day) is working


@pytest.mark.parametrize(
    "holiday",
    [
        date(2026, 11, 26),  # Thanksgiving
        date(2026, 12, 25),  # Christmas, a Friday
        date(2026, 1, 1),  # New Year's Day
        date(2026, 6, 19),  # Juneteenth
        date(2026, 7, 3),  # Independence Day (Saturday 4 July) observed on the Friday
        date(2027, 7, 5),  # Independence Day (Sunday 4 July) observed on the Monday
        date(2021, 12, 31),  # New Year's Day 2022 (a Saturday) observed in the year before
        date(2027, 12, 31),  # New Year's Day 2028 (a Saturday) observed in the year before
    ],
)
def test_us_holidays_and_their_observed_weekdays_are_not_working_days(holiday: date) -> None:
    assert holiday.weekday() < 5
    assert not SHOP.is_working_day(holiday)


def test_the_day_after_thanksgiving_is_a_working_day() -> None:
    assert SHOP.is_working_day(date(2026, 11, 27))


def test_a_closure_date_is_not_a_working_day() -> None:
    shop = WorkingCalendar(closures=frozenset({date(2026, 4, 15)}))

    assert not shop.is_working_day(date(2026, 4, 15))
    assert shop.is_working_day(date(2026, 4, 14))


def test_the_nth_working_day_after_never_counts_the_day_itself() -> None:
    assert SHOP.add_working_days(date(2026, 4, 13), 1) == date(2026, 4, 14)
    assert SHOP.add_working_days(date(2026, 4, 13), 5) == date(2026, 4, 20)


def test_the_nth_working_day_after_needs_n_of_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SHOP.add_working_days(date(2026, 4, 13), 0)


def test_year_end_skips_new_years_day() -> None:
    # Wednesday 31 Dec 2025 → Thursday 1 Jan 2026 is a holiday → Friday 2 Jan.
    assert SHOP.next_working_day_after(date(2025, 12, 31)) == date(2026, 1, 2)
    # Thursday 31 Dec 2026 → Friday 1 Jan 2027 holiday, then the weekend → Monday 4 Jan.
    assert SHOP.next_working_day_after(date(2026, 12, 31)) == date(2027, 1, 4)


def test_next_working_day_after_skips_holiday_and_weekend() -> None:
    assert SHOP.next_working_day_after(date(2026, 11, 25)) == date(2026, 11, 27)
    assert SHOP.next_working_day_after(date(2026, 11, 27)) == date(2026, 11, 30)


def test_P7_staff_warning_day_is_the_working_day_before_ship_by() -> None:
    assert SHOP.previous_working_day_before(date(2026, 11, 30)) == date(2026, 11, 27)
    assert SHOP.previous_working_day_before(date(2026, 11, 27)) == date(2026, 11, 25)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 4, 13), date(2026, 4, 13), 0),  # same day
        (date(2026, 4, 17), date(2026, 4, 20), 1),  # Friday → Monday
        (date(2026, 4, 17), date(2026, 4, 18), 0),  # Friday → Saturday
        (date(2026, 4, 13), date(2026, 4, 20), 5),  # Monday → next Monday
        (date(2026, 11, 25), date(2026, 11, 27), 1),  # across Thanksgiving
        (date(2026, 4, 20), date(2026, 4, 13), -5),  # past: negative
        (date(2026, 4, 21), date(2026, 4, 20), -1),  # ship_by was yesterday
        (date(2026, 4, 18), date(2026, 4, 17), 0),  # Saturday after a Friday ship_by
    ],
)
def test_P7_working_days_left_counts_working_days_after_start_up_to_end(
    start: date, end: date, expected: int
) -> None:
    assert SHOP.working_days_between(start, end) == expected


@pytest.mark.parametrize(
    ("expected", "working"),
    [
        (date(2026, 4, 13), False),  # today
        (date(2026, 4, 10), False),  # in the past
        (date(2026, 4, 14), True),  # tomorrow, a Tuesday
        (date(2026, 4, 18), False),  # a Saturday
        (date(2026, 5, 25), False),  # Memorial Day
        (date(2026, 5, 26), True),
    ],
)
def test_P7_delay_date_is_a_working_day_strictly_after_today(expected: date, working: bool) -> None:
    assert SHOP.is_valid_delay_date(expected, today=date(2026, 4, 13)) is working


# ship_by (P7)


def test_P7_paid_monday_morning_ships_by_next_monday() -> None:
    # Monday 13 April 2026, 10:00 EDT.
    assert SHOP.ship_by(utc("2026-04-13T14:00:00")) == date(2026, 4, 20)


def test_P7_paid_monday_evening_ships_by_next_tuesday() -> None:
    # Monday 18:00 EDT.
    assert SHOP.ship_by(utc("2026-04-13T22:00:00")) == date(2026, 4, 21)


def test_P7_paid_saturday_ships_by_the_monday_after_next() -> None:
    # Saturday 18 April 10:00 EDT: production starts Monday 20, ships by Monday 27.
    assert SHOP.production_start_day(utc("2026-04-18T14:00:00")) == date(2026, 4, 20)
    assert SHOP.ship_by(utc("2026-04-18T14:00:00")) == date(2026, 4, 27)


@pytest.mark.parametrize(
    ("instant", "start_day"),
    [
        ("2026-04-13T20:59:59", date(2026, 4, 13)),  # 16:59:59 EDT
        ("2026-04-13T21:00:00", date(2026, 4, 14)),  # 17:00:00 EDT
    ],
)
def test_P7_cutoff_minute_is_exclusive(instant: str, start_day: date) -> None:
    assert SHOP.production_start_day(utc(instant)) == start_day


@pytest.mark.parametrize(
    ("instant", "local_date", "ship_by"),
    [
        # Tuesday 03:30 UTC is Monday 23:30 EDT: after the cut-off on Monday.
        ("2026-04-14T03:30:00", date(2026, 4, 13), date(2026, 4, 21)),
        # Saturday 02:00 UTC is Friday 22:00 EDT: after the cut-off on Friday.
        ("2026-04-18T02:00:00", date(2026, 4, 17), date(2026, 4, 27)),
        # Monday 03:00 UTC is Sunday 23:00 EDT.
        ("2026-04-13T03:00:00", date(2026, 4, 12), date(2026, 4, 20)),
    ],
)
def test_P7_dates_are_counted_in_the_shop_time_zone_not_utc(
    instant: str, local_date: date, ship_by: date
) -> None:
    assert SHOP.local_date(utc(instant)) == local_date
    assert SHOP.ship_by(utc(instant)) == ship_by


@pytest.mark.parametrize(
    ("instant", "start_day"),
    [
        # Monday after DST starts (EDT, UTC-4): 20:30Z is 16:30, 21:30Z is 17:30.
        ("2026-03-09T20:30:00", date(2026, 3, 9)),
        ("2026-03-09T21:30:00", date(2026, 3, 10)),
        # Friday before DST starts (EST, UTC-5): 21:30Z is 16:30.
        ("2026-03-06T21:30:00", date(2026, 3, 6)),
        # Monday after DST ends (EST, UTC-5): 21:30Z is 16:30, 22:00Z is 17:00.
        ("2026-11-02T21:30:00", date(2026, 11, 2)),
        ("2026-11-02T22:00:00", date(2026, 11, 3)),
    ],
)
def test_P7_cutoff_follows_daylight_saving_time(instant: str, start_day: date) -> None:
    assert SHOP.production_start_day(utc(instant)) == start_day


def test_P7_ship_by_skips_a_closure() -> None:
    shop = WorkingCalendar(closures=frozenset({date(2026, 4, 15)}))

    assert shop.ship_by(utc("2026-04-13T14:00:00")) == date(2026, 4, 21)


def test_P7_ship_by_skips_thanksgiving() -> None:
    # Monday 23 Nov 2026, 10:00 EST → Tue, Wed, (Thanksgiving), Fri, Mon, Tue 1 Dec.
    assert SHOP.ship_by(utc("2026-11-23T15:00:00")) == date(2026, 12, 1)


def test_P7_paid_on_a_holiday_morning_starts_the_next_working_day() -> None:
    # Thanksgiving 10:00 EST: production starts Friday 27.
    assert SHOP.production_start_day(utc("2026-11-26T15:00:00")) == date(2026, 11, 27)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        SHOP.ship_by(datetime(2026, 4, 13, 10, 0))  # noqa: DTZ001 - the point of the test


# claim_deadline (P10)


def test_P10_claim_deadline_from_a_friday_delivery_skips_weekends_and_thanksgiving() -> None:
    # Delivered Friday 20 Nov 2026, 14:00 EST. 7 working days: 23, 24, 25, (26 Thanksgiving),
    # 27, 30 Nov, 1, 2 Dec → Wednesday 2 Dec 23:59:59 EST.
    deadline = SHOP.claim_deadline(utc("2026-11-20T19:00:00"))

    assert deadline == utc("2026-12-03T04:59:59")
    assert deadline.tzinfo is UTC


def test_P10_claim_deadline_counts_from_the_local_delivery_date() -> None:
    # Saturday 04:30 UTC is still Friday 23:30 EST in the shop.
    assert SHOP.claim_deadline(utc("2026-11-21T04:30:00")) == utc("2026-12-03T04:59:59")


def test_P10_claim_deadline_in_summer_is_2359_edt() -> None:
    # Delivered Monday 13 April 2026 → Wednesday 22 April 23:59:59 EDT.
    assert SHOP.claim_deadline(utc("2026-04-13T16:00:00")) == utc("2026-04-23T03:59:59")


def test_P10_claim_deadline_across_dst_end_uses_the_winter_offset() -> None:
    # Delivered Friday 23 Oct 2026 (EDT) → Mon 26 … Fri 30, Mon 2, Tue 3 Nov (EST).
    assert SHOP.claim_deadline(utc("2026-10-23T16:00:00")) == utc("2026-11-04T04:59:59")


# Settings


def test_from_settings_parses_closures_and_cutoff() -> None:
    shop = WorkingCalendar.from_settings(
        timezone="America/Chicago",
        holiday_country="US",
        closures=" 2026-12-24, 2026-12-31 ",
        cutoff="16:30",
    )

    assert shop.closures == frozenset({date(2026, 12, 24), date(2026, 12, 31)})
    assert shop.cutoff == time(16, 30)
    assert shop.timezone == "America/Chicago"
    assert not shop.is_working_day(date(2026, 12, 24))


@pytest.mark.parametrize("closures", ["", "   "])
def test_from_settings_empty_closures_means_none(closures: str) -> None:
    shop = WorkingCalendar.from_settings("America/New_York", "US", closures, "17:00")

    assert shop.closures == frozenset()


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30", "20261224", "24/12/2026", "soon"])
def test_from_settings_names_a_bad_closure_date(bad: str) -> None:
    with pytest.raises(ValueError, match=bad):
        WorkingCalendar.from_settings("America/New_York", "US", f"2026-12-24,{bad}", "17:00")


@pytest.mark.parametrize("bad", ["5pm", "24:00", "9:00", "17:60", "17", ""])
def test_from_settings_rejects_a_bad_cutoff(bad: str) -> None:
    with pytest.raises(ValueError, match="cut-off"):
        WorkingCalendar.from_settings("America/New_York", "US", "", bad)


def test_unknown_time_zone_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        WorkingCalendar(timezone="Mars/Olympus")


def test_unknown_holiday_country_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="XX"):
        WorkingCalendar(holiday_country="XX")


def test_another_country_uses_its_own_holidays() -> None:
    paris = WorkingCalendar(timezone="Europe/Paris", holiday_country="FR")

    assert not paris.is_working_day(date(2026, 7, 14))  # Bastille Day
    assert paris.is_working_day(date(2026, 11, 26))  # not Thanksgiving there


def test_holiday_table_is_built_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []
    real = holidays.country_holidays

    def counting(country: str, *, years: int) -> holidays.HolidayBase:
        built.append(years)
        return real(country, years=years)

    shop = WorkingCalendar()
    monkeypatch.setattr(holidays, "country_holidays", counting)

    for _ in range(3):
        shop.ship_by(utc("2026-12-28T15:00:00"))  # counts into 2027

    assert built == [2026, 2027]


# Properties

instants = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@given(instant=instants)
def test_P7_ship_by_is_a_working_day_strictly_after_the_local_date(instant: datetime) -> None:
    ship_by = SHOP.ship_by(instant)

    assert SHOP.is_working_day(ship_by)
    assert ship_by > SHOP.local_date(instant)
    assert SHOP.working_days_between(SHOP.production_start_day(instant), ship_by) == 5


@given(day=days, n=st.integers(min_value=1, max_value=40))
def test_add_working_days_has_exactly_n_working_days_up_to_the_result(day: date, n: int) -> None:
    result = SHOP.add_working_days(day, n)
    between = [day + timedelta(days=i) for i in range(1, (result - day).days + 1)]

    assert SHOP.is_working_day(result)
    assert sum(SHOP.is_working_day(d) for d in between) == n
    assert SHOP.working_days_between(day, result) == n
    assert SHOP.working_days_between(result, day) == -n


@given(instant=instants)
def test_P10_claim_deadline_is_the_last_second_of_a_local_working_day(instant: datetime) -> None:
    deadline = SHOP.claim_deadline(instant)
    local = deadline.astimezone(SHOP.zone)

    assert local.time() == time(23, 59, 59)
    assert SHOP.is_working_day(local.date())
    assert SHOP.working_days_between(SHOP.local_date(instant), local.date()) == 7
