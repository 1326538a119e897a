"""Series maths: when a recurring appointment happens, with python-dateutil's rrule.

The rule is kept in the series' own zone (TZID) as local wall time, so 10:00 stays 10:00
across daylight-saving changes. Local instances are resolved to instants as RFC 5545 §3.3.5
says: a local time that occurs twice (fall back) is the first of the two; one that does
not exist (spring forward) is read with the offset before the gap, so it lands after it
(02:30 on the spring-forward day is 03:30). `zoneinfo` with fold=0 does exactly that.

Kinds: weekly (every N weeks, on one or more weekdays), monthly by weekday ("second
Tuesday", "last Friday"). Ends after a count or on a date (inclusive, local). No end:
occurrences are materialized only inside the rolling horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday

from core.errors import InvalidInput

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
COUNT_MAX = 520  # ten years of weekly sessions


class Frequency(StrEnum):
    weekly = "weekly"
    monthly = "monthly"  # by weekday: the Nth (1–4, or -1 = last) weekday of the month


@dataclass(frozen=True)
class Recurrence:
    frequency: Frequency
    start: date  # the first day the series may happen on (local)
    at: time  # local wall time in `tz`
    tz: str
    interval: int = 1  # every N weeks / months
    weekdays: tuple[int, ...] = ()  # 0 = Monday; weekly: default the start's weekday
    week_of_month: int | None = None  # monthly: 1–4 or -1 (last); default from the start
    count: int | None = None
    until: date | None = None

    def rrule_text(self) -> str:
        """The RFC 5545 RRULE value (for feeds and the series record)."""
        parts = [f"FREQ={'WEEKLY' if self.frequency is Frequency.weekly else 'MONTHLY'}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.frequency is Frequency.weekly:
            parts.append("BYDAY=" + ",".join(WEEKDAYS[d] for d in self.days()))
        else:
            parts.append(f"BYDAY={self.nth()}{WEEKDAYS[self.start.weekday()]}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append(f"UNTIL={self.until:%Y%m%d}")
        return ";".join(parts)

    def days(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.weekdays))) or (self.start.weekday(),)

    def nth(self) -> int:
        if self.week_of_month is not None:
            return self.week_of_month
        return (self.start.day - 1) // 7 + 1 if self.start.day <= 28 else -1

    def _rule(self) -> rrule:
        first = datetime.combine(self.start, self.at)  # naive: local wall time
        until = datetime.combine(self.until, time(23, 59, 59)) if self.until else None
        if self.frequency is Frequency.weekly:
            byweekday = [weekday(d) for d in self.days()]
        else:
            byweekday = [weekday(self.start.weekday(), self.nth())]
        return rrule(
            WEEKLY if self.frequency is Frequency.weekly else MONTHLY,
            dtstart=first, interval=self.interval, byweekday=byweekday, count=self.count,
            until=until, cache=False,
        )  # fmt: skip

    def local_instances(self, start: datetime, end: datetime) -> list[datetime]:
        """The local wall times (naive) of occurrences whose instant is in [start, end)."""
        zone = ZoneInfo(self.tz)
        lo = start.astimezone(zone).replace(tzinfo=None) - timedelta(hours=3)
        hi = end.astimezone(zone).replace(tzinfo=None) + timedelta(hours=3)
        out = []
        for local in self._rule().between(lo, hi, inc=True):
            instant = resolve(local, self.tz)
            if start <= instant < end:
                out.append(local)
        return out

    def occurrences(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """(local wall time, instant) of each occurrence in [start, end)."""
        return [(local, resolve(local, self.tz)) for local in self.local_instances(start, end)]


def resolve(local: datetime, tz: str) -> datetime:
    """A local wall time in `tz` as an instant (in UTC), RFC 5545 style (see the module
    docstring): fold=0 takes the first of a repeated hour and the pre-gap offset in a
    skipped one."""
    return local.replace(tzinfo=ZoneInfo(tz), fold=0).astimezone(UTC)


def checked(data: Recurrence) -> Recurrence:
    errors: dict[str, str] = {}
    if not 1 <= data.interval <= 12:
        errors["interval"] = "Every 1 to 12 weeks or months."
    if any(not 0 <= d <= 6 for d in data.weekdays):
        errors["weekdays"] = "Choose days of the week."
    if data.week_of_month is not None and data.week_of_month not in (1, 2, 3, 4, -1):
        errors["week_of_month"] = "The first to fourth, or the last, of the month."
    if data.count is not None and not 1 <= data.count <= COUNT_MAX:
        errors["count"] = f"From 1 to {COUNT_MAX} occurrences."
    if data.count is not None and data.until is not None:
        errors["until"] = "End after a number of sessions or on a date, not both."
    if data.until is not None and data.until < data.start:
        errors["until"] = "The end is after the first day."
    try:
        ZoneInfo(data.tz)
    except (ValueError, KeyError):
        errors["tz"] = "Unknown time zone."
    if errors:
        raise InvalidInput("The series was not saved", field_errors=errors)
    return data
