"""Recurring series: create, materialize within a rolling horizon, change "this and
following", and the AttentionSweep check that extends every series' horizon.

- A series is booked like an appointment (same case, provider, service, location and
  access rules) plus a recurrence (`services.scheduling.recurrence`).
- Occurrences become appointments up to HORIZON ahead. Each one is unique per (series,
  original local time), so materializing twice adds nothing. An occurrence whose time is
  held by another appointment is not booked: it becomes a *schedule clash* task for the
  provider (one per occurrence, by business key) instead of failing the series.
- "This occurrence": the appointment itself (move, cancel). "This and following": the
  series ends before the occurrence (its later scheduled appointments are cancelled by
  the practice) and a new series with the changes starts at it. "All": the same from the
  first occurrence that has not happened yet — what happened stays as it was.
  (`edit_from`, `end_from`: the appointment page's series card.) A series that ended after
  a count keeps its total: the new one gets the sessions that were left.
- Notices: a changed series sends one "booked" notice for its new first session; ending
  a series sends one "cancelled" notice for the first session it cancels — not one per
  session.
- A group roster change applies to future occurrences: attendance rows are made when an
  occurrence is materialized, from who is in the case on its day.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.db import UnitOfWork
from core.errors import InvalidInput
from models.orm.case import Case, CaseKind
from models.orm.scheduling import (
    TIME_HOLDING,
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    NoticeKind,
)
from services.access import Action, Actor
from services.cases.records import load_case
from services.practice_settings import settings_of
from services.practices import get_practice
from services.scheduling import appointments as appts
from services.scheduling import notices
from services.scheduling.catalog import get_location, get_service
from services.scheduling.recurrence import Frequency, Recurrence, checked, resolve
from services.tasks.commands import Opener, TaskOpen, open_task
from services.tasks.kinds import SubjectType, TaskKind

HORIZON = timedelta(weeks=12)


@dataclass(frozen=True)
class SeriesIn:
    booking: appts.Booking  # the first occurrence's details (its start is the first day/time)
    frequency: str = Frequency.weekly
    every: int = 1
    weekdays: tuple[int, ...] = ()
    week_of_month: int | None = None
    occurrences: int | None = None
    last_day: date | None = None


@dataclass(frozen=True)
class Materialized:
    created: int
    clashes: int


def recurrence_of(series: AppointmentSeries) -> Recurrence:
    return Recurrence(
        Frequency(series.frequency), series.first_day, series.local_time, series.timezone,
        interval=series.every, weekdays=tuple(series.weekdays),
        week_of_month=series.week_of_month, count=series.occurrences, until=series.last_day,
    )  # fmt: skip


async def create_series(
    uow: UnitOfWork, actor: Actor, data: SeriesIn, *, tz: str, now: datetime
) -> tuple[AppointmentSeries, Materialized]:
    assert uow.practice_id is not None
    if data.frequency not in Frequency.__members__:
        raise InvalidInput("How often?", field_errors={"frequency": "Weekly or monthly."})
    first = data.booking.starts_at
    if first.tzinfo is None:
        raise InvalidInput("A time without a zone", field_errors={"starts_at": "Give the zone."})
    local = first.astimezone(ZoneInfo(tz))
    rule = checked(
        Recurrence(
            Frequency(data.frequency), local.date(), local.time().replace(tzinfo=None), tz,
            interval=data.every, weekdays=data.weekdays, week_of_month=data.week_of_month,
            count=data.occurrences, until=data.last_day,
        )
    )  # fmt: skip
    # The first occurrence is booked like any appointment: every field is checked there,
    # and a clash on the first day is the user's to fix (409), not a task.
    nested = await uow.session.begin_nested()
    try:
        probe = await appts.book(uow, actor, data.booking, tz=tz, now=now)
    finally:
        await nested.rollback()
    series = AppointmentSeries(
        id=uuid.uuid4(), practice_id=uow.practice_id, case_id=probe.case_id,
        provider_id=probe.provider_id, service_id=probe.service_id,
        location_id=probe.location_id, format=probe.format, frequency=rule.frequency,
        every=rule.interval, weekdays=list(rule.weekdays), week_of_month=rule.week_of_month,
        first_day=rule.start, local_time=rule.at, timezone=tz,
        duration_minutes=int((probe.ends_at - probe.starts_at).total_seconds() // 60),
        occurrences=rule.count, last_day=rule.until, rrule=rule.rrule_text(),
        created_by_staff_id=actor.staff_id,
    )  # fmt: skip
    uow.session.add(series)
    await uow.session.flush()
    done = await materialize(uow, series, until=now + HORIZON, now=now, template=data.booking)
    first_booked = await uow.session.scalar(
        select(Appointment)
        .where(Appointment.practice_id == uow.practice_id, Appointment.series_id == series.id)
        .order_by(Appointment.starts_at)
        .limit(1)
    )
    if first_booked is not None:  # one notice for the series, not one per session
        await notices.record_change(uow, first_booked, NoticeKind.booked, tz)
    return series, done


async def materialize(
    uow: UnitOfWork,
    series: AppointmentSeries,
    *,
    until: datetime,
    now: datetime,
    template: appts.Booking | None = None,
) -> Materialized:
    """Book the series' occurrences from where it stopped (or now) up to `until`."""
    assert uow.practice_id is not None
    floor = now - timedelta(days=1)  # (nothing is booked into the past)
    start = max(series.materialized_until or floor, floor)
    start = min(start, until)
    if series.ended_at is not None or start >= until:
        return Materialized(0, 0)
    existing = set(
        await uow.session.scalars(
            select(Appointment.occurrence_local).where(
                Appointment.practice_id == uow.practice_id, Appointment.series_id == series.id
            )
        )
    )
    created = clashes = 0
    case_kind = await _case_kind(uow, series.case_id)
    base = await _fee_and_pos(uow, series)
    for local, instant in recurrence_of(series).occurrences(start, until):
        if local in existing or instant < now - timedelta(days=1):
            continue
        appointment = Appointment(
            id=uuid.uuid4(), practice_id=uow.practice_id, case_id=series.case_id,
            provider_id=series.provider_id, service_id=series.service_id,
            location_id=series.location_id, format=series.format, starts_at=instant,
            ends_at=instant + timedelta(minutes=series.duration_minutes),
            status=AppointmentStatus.scheduled, fee_cents=base[0], pos_code=base[1],
            modifiers=sorted(set(template.modifiers)) if template else [],
            memo=template.memo if template else None, series_id=series.id,
            occurrence_local=local, created_by_staff_id=series.created_by_staff_id,
        )  # fmt: skip
        other = await appts.clash_of(
            uow, series.provider_id, appointment.starts_at, appointment.ends_at
        )
        booked = False
        if other is None:
            nested = await uow.session.begin_nested()
            uow.session.add(appointment)
            try:
                await uow.session.flush()
                await nested.commit()
                booked = True
            except IntegrityError as exc:
                await nested.rollback()
                if not appts.clashed(exc):
                    raise
        if booked:
            created += 1
            if case_kind not in (CaseKind.individual, CaseKind.consultation):
                await appts.expect_participants(uow, series.case_id, appointment, series.timezone)
        else:
            clashes += 1
            await _clash_task(uow, series, local, now)
    series.materialized_until = max(until, series.materialized_until or until)
    await uow.session.flush()
    return Materialized(created, clashes)


async def _case_kind(uow: UnitOfWork, case_id: uuid.UUID) -> CaseKind:
    kind = await uow.session.scalar(
        select(Case.kind).where(Case.practice_id == uow.practice_id, Case.id == case_id)
    )
    return CaseKind(kind or CaseKind.individual)


async def _fee_and_pos(uow: UnitOfWork, series: AppointmentSeries) -> tuple[int, str]:
    service = await get_service(uow, series.service_id)
    location = await get_location(uow, series.location_id)
    return service.fee_cents, location.pos_code


async def _clash_task(
    uow: UnitOfWork, series: AppointmentSeries, local: datetime, now: datetime
) -> None:
    practice = await get_practice(uow)
    await open_task(
        uow,
        TaskOpen(
            kind=TaskKind.schedule_clash,
            title=f"A series session on {local:%a %b %-d, %H:%M} clashes with another booking",
            opener=Opener(workflow_id=f"series-{series.id}"),
            clinician_id=series.provider_id,
            subject=(SubjectType.case, series.case_id),
            due_at=resolve(local, series.timezone),
            business_key=f"series-clash:{series.id}:{local.isoformat()}",
        ),
        settings_of(practice),
        now,
    )


async def end_before(
    uow: UnitOfWork, series: AppointmentSeries, local: datetime, *, now: datetime
) -> int:
    """End the series just before occurrence `local`: later scheduled occurrences are
    cancelled by the practice (history before it is kept). Returns how many."""
    series.last_day = local.date() - timedelta(days=1)
    series.occurrences = None
    if series.last_day < series.first_day:
        series.last_day = series.first_day
        series.ended_at = now
    series.rrule = recurrence_of(series).rrule_text()
    later = list(
        await uow.session.scalars(
            select(Appointment).where(
                Appointment.practice_id == uow.practice_id,
                Appointment.series_id == series.id,
                Appointment.occurrence_local >= local,
                Appointment.status == AppointmentStatus.scheduled,
                Appointment.starts_at >= now,  # what already happened is never changed
            )
        )
    )
    for appointment in later:
        appointment.status = AppointmentStatus.cancelled_by_practice
        appointment.cancelled_at = now
        appointment.sequence += 1
    if local <= datetime.combine(series.first_day, time()):
        series.ended_at = now
    await uow.session.flush()
    return len(later)


async def change_following(
    uow: UnitOfWork,
    actor: Actor,
    series: AppointmentSeries,
    local: datetime,
    changes: SeriesIn,
    *,
    tz: str,
    now: datetime,
) -> tuple[AppointmentSeries, Materialized]:
    """ "This and following": end the series before `local`, start a new one there (the
    old part remembers it: `continued_by_series_id`)."""
    await load_case(uow, actor, series.case_id, Action.change_case)
    await end_before(uow, series, local, now=now)
    new, done = await create_series(uow, actor, changes, tz=tz, now=now)
    series.continued_by_series_id = new.id
    await uow.session.flush()
    return new, done


class Scope(StrEnum):
    following = "following"  # this session and the ones after it
    all = "all"  # every session that has not happened yet


SCOPE_LABELS = {Scope.following: "This and following", Scope.all: "All upcoming"}


@dataclass(frozen=True)
class SeriesEdit:
    starts_at: datetime  # the new first session's start (its weekday sets a weekly rule's)
    service_id: uuid.UUID
    location_id: uuid.UUID
    every: int


DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NTH = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


def describe(series: AppointmentSeries) -> str:
    """In words, for the appointment page: "Every 2 weeks on Tuesday at 10:00 · 10 sessions"."""
    rule = recurrence_of(series)
    at = f"{series.local_time:%H:%M}"
    if rule.frequency is Frequency.weekly:
        days = " and ".join(DAY_NAMES[d] for d in rule.days())
        every = "Weekly" if series.every == 1 else f"Every {series.every} weeks"
        text = f"{every} on {days} at {at}"
    else:
        every = "Monthly" if series.every == 1 else f"Every {series.every} months"
        day = DAY_NAMES[series.first_day.weekday()]
        text = f"{every} on the {NTH.get(rule.nth(), 'first')} {day} at {at}"
    text += f" ({series.timezone})"
    if series.ended_at is not None:
        return text + " · ended"
    if series.continued_by_series_id is not None:
        return text + f" · until {series.last_day:%b %-d, %Y}, then changed"
    if series.occurrences is not None:
        return text + f" · {series.occurrences} sessions"
    if series.last_day is not None:
        return text + f" · until {series.last_day:%b %-d, %Y}"
    return text


async def series_of(uow: UnitOfWork, appointment: Appointment) -> AppointmentSeries | None:
    if appointment.series_id is None:
        return None
    found: AppointmentSeries | None = await uow.session.scalar(
        select(AppointmentSeries).where(
            AppointmentSeries.practice_id == uow.practice_id,
            AppointmentSeries.id == appointment.series_id,
        )
    )
    return found


async def continuation_start(uow: UnitOfWork, series: AppointmentSeries) -> Appointment | None:
    """The first session of the series that continues this one, if it was split."""
    if series.continued_by_series_id is None:
        return None
    found: Appointment | None = await uow.session.scalar(
        select(Appointment)
        .where(
            Appointment.practice_id == uow.practice_id,
            Appointment.series_id == series.continued_by_series_id,
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    )
    return found


async def _pivot(
    uow: UnitOfWork, series: AppointmentSeries, appointment: Appointment, scope: str,
    now: datetime,
) -> Appointment:  # fmt: skip
    """The session a change applies from: this one, or the series' first upcoming one."""
    if scope not in Scope.__members__:
        raise InvalidInput("Which sessions?", field_errors={"scope": "Choose which sessions."})
    if series.ended_at is not None:
        raise InvalidInput("This series has ended", field_errors={"scope": "The series has ended."})
    if series.continued_by_series_id is not None:
        raise InvalidInput(
            "This series continues as a new one",
            field_errors={"scope": "Its later sessions were changed: make changes to following "
                                   "sessions from a session of the new series."},
        )  # fmt: skip
    if scope == Scope.all:
        first = await uow.session.scalar(
            select(Appointment)
            .where(
                Appointment.practice_id == uow.practice_id,
                Appointment.series_id == series.id,
                Appointment.status == AppointmentStatus.scheduled,
                Appointment.starts_at >= now,
            )
            .order_by(Appointment.occurrence_local)
            .limit(1)
        )
        if first is None:
            raise InvalidInput(
                "No upcoming sessions", field_errors={"scope": "No session is left to change."}
            )
        return first
    if appointment.status != AppointmentStatus.scheduled or appointment.starts_at < now:
        raise InvalidInput(
            "Change the series from an upcoming session",
            field_errors={"scope": "This session is past or cancelled: open an upcoming one."},
        )
    return appointment


def _left_after(series: AppointmentSeries, local: datetime) -> int | None:
    """A count-ended series: how many of its sessions fall at or after `local`."""
    if series.occurrences is None:
        return None
    rule = recurrence_of(series)
    before = rule.local_instances(
        resolve(datetime.combine(series.first_day, time()), series.timezone),
        resolve(local, series.timezone),
    )
    return max(1, series.occurrences - len(before))


async def edit_from(
    uow: UnitOfWork, actor: Actor, appointment: Appointment, scope: str, edit: SeriesEdit,
    *, tz: str, now: datetime,
) -> tuple[AppointmentSeries, Materialized]:  # fmt: skip
    """Change this and following (or all upcoming) sessions: the old series ends before the
    pivot session, a new one with the changes starts at `edit.starts_at`."""
    series = await series_of(uow, appointment)
    if series is None:
        raise InvalidInput("Not part of a series", field_errors={"scope": "A single session."})
    pivot = await _pivot(uow, series, appointment, scope, now)
    assert pivot.occurrence_local is not None
    if edit.starts_at < now:
        raise InvalidInput(
            "The series was not changed", field_errors={"date": "Choose a day from today on."}
        )
    kept = await uow.session.scalar(
        select(func.max(Appointment.starts_at)).where(
            Appointment.practice_id == uow.practice_id,
            Appointment.series_id == series.id,
            Appointment.occurrence_local < pivot.occurrence_local,
            Appointment.status.in_(sorted(TIME_HOLDING)),
        )
    )
    # the new part starts on a day after the last session the old part keeps
    if (
        kept is not None
        and edit.starts_at.astimezone(ZoneInfo(tz)).date() <= kept.astimezone(ZoneInfo(tz)).date()
    ):
        when = kept.astimezone(ZoneInfo(tz))
        raise InvalidInput(
            "The series was not changed",
            field_errors={"date": f"Choose a day after the session kept on {when:%a %b %-d}."},
        )
    same_day = edit.starts_at.astimezone(ZoneInfo(tz)).weekday() == (
        pivot.starts_at.astimezone(ZoneInfo(tz)).weekday()
    )
    same_service = edit.service_id == series.service_id
    changes = SeriesIn(
        booking=appts.Booking(
            case_id=series.case_id, service_id=edit.service_id, location_id=edit.location_id,
            starts_at=edit.starts_at, provider_id=series.provider_id,
            format=series.format if edit.location_id == series.location_id else None,
            duration_minutes=series.duration_minutes if same_service else None,
            memo=pivot.memo, modifiers=tuple(pivot.modifiers),
        ),
        frequency=series.frequency, every=edit.every,
        # the same weekday: the rule's days (and "last Friday") carry over; a new day: its own
        weekdays=tuple(series.weekdays) if same_day else (),
        week_of_month=series.week_of_month if same_day else None,
        occurrences=_left_after(series, pivot.occurrence_local), last_day=series.last_day,
    )  # fmt: skip
    if changes.last_day is not None and changes.last_day < edit.starts_at.date():
        raise InvalidInput(
            "The series was not changed", field_errors={"date": "That is after the series ends."}
        )
    return await change_following(uow, actor, series, pivot.occurrence_local, changes, tz=tz,
                                  now=now)  # fmt: skip


async def end_from(
    uow: UnitOfWork, actor: Actor, appointment: Appointment, scope: str, *, tz: str,
    now: datetime,
) -> int:  # fmt: skip
    """Cancel this and following (or all upcoming) sessions: the series ends before them."""
    series = await series_of(uow, appointment)
    if series is None:
        raise InvalidInput("Not part of a series", field_errors={"scope": "A single session."})
    await load_case(uow, actor, series.case_id, Action.change_case)
    pivot = await _pivot(uow, series, appointment, scope, now)
    assert pivot.occurrence_local is not None
    cancelled = await end_before(uow, series, pivot.occurrence_local, now=now)
    if cancelled:
        await uow.session.refresh(pivot)
        await notices.record_change(uow, pivot, NoticeKind.cancelled, tz)
    return cancelled


async def extend_horizons(uow: UnitOfWork, as_of: datetime) -> dict[str, int]:
    """The AttentionSweep's check: every open series materialized up to as_of + HORIZON."""
    target = as_of + HORIZON
    rows = list(
        await uow.session.scalars(
            select(AppointmentSeries).where(
                AppointmentSeries.practice_id == uow.practice_id,
                AppointmentSeries.ended_at.is_(None),
                (AppointmentSeries.materialized_until.is_(None))
                | (AppointmentSeries.materialized_until < target - timedelta(days=1)),
            )
        )
    )
    created = clashes = 0
    for series in rows:
        done = await materialize(uow, series, until=target, now=as_of)
        created += done.created
        clashes += done.clashes
    return {"series": len(rows), "created": created, "clashes": clashes}
