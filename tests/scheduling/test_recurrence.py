"""Series maths (python-dateutil rrule + zoneinfo): 10:00 stays 10:00 across DST in two
zones, the spring gap and the fall-back hour resolve as RFC 5545 says, counts and end
dates hold, and — property-based — every weekly or monthly occurrence is on its weekday,
at its wall time, in order, spaced by whole weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from services.scheduling.recurrence import Frequency, Recurrence, checked, resolve

WINDOW = (datetime(2025, 12, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))
ZONES = ["America/Chicago", "Europe/Berlin"]


@pytest.mark.parametrize(
    ("tz", "before", "after"),
    [
        ("America/Chicago", date(2027, 3, 9), date(2027, 3, 16)),  # US spring forward: Mar 14
        ("Europe/Berlin", date(2027, 3, 23), date(2027, 3, 30)),  # EU: Mar 28
        ("America/Chicago", date(2027, 11, 2), date(2027, 11, 9)),  # US fall back: Nov 7
        ("Europe/Berlin", date(2027, 10, 26), date(2027, 11, 2)),  # EU: Oct 31
    ],
)
def test_ten_stays_ten_across_dst(tz: str, before: date, after: date) -> None:
    rule = Recurrence(Frequency.weekly, before, time(10), tz)
    instances = rule.occurrences(*WINDOW)
    by_day = {local.date(): instant for local, instant in instances}
    first, second = by_day[before], by_day[after]
    assert first.astimezone(ZoneInfo(tz)).hour == second.astimezone(ZoneInfo(tz)).hour == 10
    # an hour more or less between them in real time
    assert second.astimezone(UTC) - first.astimezone(UTC) != timedelta(days=7)


def test_the_spring_gap_lands_after_it_and_the_repeated_hour_takes_the_first() -> None:
    gap = resolve(datetime(2027, 3, 14, 2, 30), "America/Chicago")  # noqa: DTZ001 (local)
    assert gap.astimezone(UTC) == datetime(2027, 3, 14, 8, 30, tzinfo=UTC)  # = 03:30 CDT
    assert gap.astimezone(ZoneInfo("America/Chicago")).hour == 3
    twice = resolve(datetime(2027, 11, 7, 1, 30), "America/Chicago")  # noqa: DTZ001 (local)
    assert twice.astimezone(UTC) == datetime(2027, 11, 7, 6, 30, tzinfo=UTC)  # the CDT one
    rule = Recurrence(Frequency.weekly, date(2027, 3, 7), time(2, 30), "America/Chicago", count=3)
    hours = [i.astimezone(ZoneInfo("America/Chicago")).hour for _, i in rule.occurrences(*WINDOW)]
    assert hours == [2, 3, 2]  # only the gap day moves


def test_counts_ends_and_intervals() -> None:
    every_other = Recurrence(Frequency.weekly, date(2027, 1, 4), time(9), "America/Chicago",
                             interval=2, weekdays=(0, 3), count=5)  # fmt: skip
    days = [local.date() for local, _ in every_other.occurrences(*WINDOW)]
    assert days == [
        date(2027, 1, 4),
        date(2027, 1, 7),
        date(2027, 1, 18),
        date(2027, 1, 21),
        date(2027, 2, 1),
    ]
    assert every_other.rrule_text() == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=5"
    second_tuesday = Recurrence(Frequency.monthly, date(2027, 1, 12), time(18), "Europe/Berlin",
                                until=date(2027, 4, 30))  # fmt: skip
    assert [local.date() for local, _ in second_tuesday.occurrences(*WINDOW)] == [
        date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9), date(2027, 4, 13),
    ]  # fmt: skip
    assert second_tuesday.rrule_text() == "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20270430"
    last_friday = Recurrence(
        Frequency.monthly, date(2027, 1, 29), time(12), "America/Chicago", count=3
    )
    assert [local.date() for local, _ in last_friday.occurrences(*WINDOW)] == [
        date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 26),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    [
        {"interval": 0},
        {"weekdays": (7,)},
        {"count": 0},
        {"count": 3, "until": date(2027, 2, 1)},
        {"until": date(2026, 12, 1)},
        {"tz": "Mars/Olympus"},
        {"week_of_month": 5},
    ],
)
def test_impossible_series_are_refused(bad: dict[str, object]) -> None:
    base = {
        "frequency": Frequency.weekly,
        "start": date(2027, 1, 4),
        "at": time(9),
        "tz": "America/Chicago",
    }
    with pytest.raises(InvalidInput):
        checked(Recurrence(**{**base, **bad}))  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(
    tz=st.sampled_from(ZONES),
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 6, 30)),
    hour=st.integers(min_value=0, max_value=23),
    minute=st.sampled_from([0, 15, 30, 45]),
    interval=st.integers(min_value=1, max_value=4),
    extra_days=st.sets(st.integers(min_value=0, max_value=6), max_size=3),
    count=st.integers(min_value=1, max_value=40),
)
def test_weekly_occurrences_keep_their_weekday_wall_time_and_spacing(
    tz: str, start: date, hour: int, minute: int, interval: int, extra_days: set[int], count: int
) -> None:
    days = tuple(sorted(extra_days | {start.weekday()}))
    rule = Recurrence(Frequency.weekly, start, time(hour, minute), tz, interval=interval,
                      weekdays=days, count=count)  # fmt: skip
    found = rule.occurrences(*WINDOW)
    assert len(found) == count
    zone = ZoneInfo(tz)
    instants = [instant for _, instant in found]
    assert instants == sorted(instants) and len(set(instants)) == count
    for local, instant in found:
        assert local.weekday() in days and local.date() >= start
        wall = instant.astimezone(zone)
        if (wall.hour, wall.minute) != (hour, minute):
            # inside a spring-forward gap: that local time does not exist, it moves forward
            assert wall.replace(tzinfo=None) - local == timedelta(hours=1)
        weeks = ((local.date() - start).days - (local.weekday() - start.weekday())) // 7
        assert weeks % interval == 0


@settings(max_examples=100, deadline=None)
@given(
    tz=st.sampled_from(ZONES),
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 6, 30)),
    hour=st.integers(min_value=7, max_value=20),
    count=st.integers(min_value=1, max_value=18),
)
def test_monthly_by_weekday_keeps_the_nth_weekday(
    tz: str, start: date, hour: int, count: int
) -> None:
    rule = Recurrence(Frequency.monthly, start, time(hour), tz, count=count)
    found = rule.occurrences(*WINDOW)
    assert len(found) == count
    nth = (start.day - 1) // 7 + 1 if start.day <= 28 else -1
    for local, instant in found:
        assert local.weekday() == start.weekday()
        if nth == -1:
            assert (local + timedelta(days=7)).month != local.month
        else:
            assert (local.day - 1) // 7 + 1 == nth
        assert instant.astimezone(ZoneInfo(tz)).hour == hour  # 07:00–20:00 never falls in a gap
