"""Booking, moving, cancelling appointments; status and per-participant attendance.

Rules:
- An appointment belongs to an open case the viewer may change (admins acting for a
  provider book for them, SCHED-8; they never appear as its provider). Its provider is an
  active clinician whose time the viewer may book: themselves, or — for owners — anyone,
  or — for an admin — the provider they work for.
- One provider per appointment: a co-led group is two appointments, one per facilitator,
  so each provider's own time is held (decided here: the exclusion constraint is per
  provider, and billing counts one rendering provider per session).
- A provider's time-holding appointments (scheduled, attended, no-show) never overlap:
  checked first for a clear message naming the clash, and enforced by the partial
  exclusion constraint so two concurrent bookings cannot both commit (409 either way).
  Cancelled and late-cancelled appointments free their slot.
- The service fills the duration and the fee (snapshotted on the appointment); the location
  fills the place-of-service code unless overridden, and offers the formats.
- Multi-person cases get one attendance row per current participant ("expected").
- Every change bumps `sequence` (calendar feeds use it as SEQUENCE).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from core.db import UnitOfWork
from core.errors import Conflict, InvalidInput, NotFound
from models.orm.case import CaseKind, Participant
from models.orm.person import Person
from models.orm.scheduling import (
    CANCELLED,
    TIME_HOLDING,
    Appointment,
    AppointmentStatus,
    Attendance,
    AttendanceStatus,
    NoticeKind,
)
from models.orm.staff import StaffMember, StaffStatus
from services.access import Action, Actor, can
from services.cases.records import load_case
from services.people.fields import one_line
from services.scheduling import notices
from services.scheduling.catalog import get_location, get_service

MODIFIERS = ("95", "93", "FQ", "GT", "HO", "HN", "HJ")
YEARS = (2000, 2099)
EXCLUSION_SQLSTATE = "23P01"


@dataclass(frozen=True)
class Booking:
    case_id: uuid.UUID
    service_id: uuid.UUID
    location_id: uuid.UUID
    starts_at: datetime
    provider_id: uuid.UUID | None = None  # None: the case's primary provider
    format: str | None = None  # None: the location's first format
    duration_minutes: int | None = None  # None: the service's
    pos_code: str | None = None  # None: the location's
    modifiers: tuple[str, ...] = ()
    supervisor_id: uuid.UUID | None = None
    memo: str | None = None


def _checked_start(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise InvalidInput(
            "A time without a zone", field_errors={"starts_at": "Give the time with its zone."}
        )
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise InvalidInput(
            "Out of range", field_errors={"starts_at": "Choose a time between 2000 and 2099."}
        )
    # (in UTC: arithmetic on an aware local time is wall-clock arithmetic in Python, which
    # would make a session across a DST change an hour too long or short)
    return moment.astimezone(UTC)


async def _provider(uow: UnitOfWork, actor: Actor, provider_id: uuid.UUID) -> StaffMember:
    member = await uow.session.scalar(
        select(StaffMember).where(
            StaffMember.practice_id == uow.practice_id, StaffMember.id == provider_id
        )
    )
    if member is None or not member.is_clinician or member.status != StaffStatus.active:
        raise InvalidInput(
            "Choose the provider", field_errors={"provider_id": "Choose an active clinician."}
        )
    if not can(actor, Action.schedule_for, member.id):
        raise InvalidInput(
            "Not your calendar",
            field_errors={"provider_id": "You book your own time (an admin: their provider's)."},
        )
    return member


async def clash_of(
    uow: UnitOfWork,
    provider_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    *,
    ignore: uuid.UUID | None = None,
) -> Appointment | None:
    query = select(Appointment).where(
        Appointment.practice_id == uow.practice_id,
        Appointment.provider_id == provider_id,
        Appointment.status.in_(sorted(TIME_HOLDING)),
        Appointment.starts_at < ends_at,
        Appointment.ends_at > starts_at,
    )
    if ignore is not None:
        query = query.where(Appointment.id != ignore)
    return await uow.session.scalar(query.order_by(Appointment.starts_at).limit(1))


def clashed(exc: IntegrityError) -> bool:
    """The exclusion constraint refused an overlapping time-holding appointment."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == EXCLUSION_SQLSTATE


def clash_message(other: Appointment, tz: str) -> str:
    start = other.starts_at.astimezone(ZoneInfo(tz))
    end = other.ends_at.astimezone(ZoneInfo(tz))
    return (
        f"This time clashes with the provider's appointment on {start:%a %b %-d, %Y} "
        f"{start:%H:%M}–{end:%H:%M} {start:%Z} (appointment {str(other.id)[:8]})."
    )


async def _hold(uow: UnitOfWork, appointment: Appointment, tz: str) -> None:
    """Flush the appointment; a clash (found first, or raced in) is a 409 naming it."""
    if appointment.holds_time:
        other = await clash_of(
            uow, appointment.provider_id, appointment.starts_at, appointment.ends_at,
            ignore=appointment.id,
        )  # fmt: skip
        if other is not None:
            raise Conflict(
                clash_message(other, tz), field_errors={"starts_at": clash_message(other, tz)}
            )
    try:
        await uow.session.flush()
    except IntegrityError as exc:  # the transaction is spoilt: the caller's savepoint or
        # request rolls it back (nothing of the change is kept)
        if not clashed(exc):
            raise
        message = "Someone booked this provider's time a moment ago. Choose another time."
        raise Conflict(message, field_errors={"starts_at": message}) from None


async def book(
    uow: UnitOfWork, actor: Actor, data: Booking, *, tz: str, now: datetime
) -> Appointment:
    assert uow.practice_id is not None
    case, _ = await load_case(uow, actor, data.case_id, Action.change_case)
    if not case.is_open:
        raise InvalidInput(
            "The case is closed", field_errors={"case_id": "Reopen the case to book in it."}
        )
    errors: dict[str, str] = {}
    provider = await _provider(uow, actor, data.provider_id or case.primary_provider_id)
    service = await get_service(uow, data.service_id)
    location = await get_location(uow, data.location_id)
    if not service.active:
        errors["service_id"] = "This service is no longer offered."
    if not location.active:
        errors["location_id"] = "This location is no longer in use."
    fmt = data.format or location.formats[0]
    if fmt not in location.formats:
        errors["format"] = f"{location.name} offers {', '.join(location.formats)}."
    minutes = data.duration_minutes or service.duration_minutes
    if not 5 <= minutes <= 720:
        errors["duration_minutes"] = "From 5 minutes to 12 hours."
    modifiers = sorted(set(data.modifiers))
    if any(m not in MODIFIERS for m in modifiers):
        errors["modifiers"] = "Use 95 (video), 93 (audio only) or another listed modifier."
    pos = (data.pos_code or location.pos_code).strip()
    if not (len(pos) == 2 and pos.isascii() and pos.isdigit()):
        errors["pos_code"] = "A place-of-service code is two digits."
    try:
        memo = one_line(data.memo, 2000) if data.memo else None
    except ValueError as exc:
        errors["memo"] = str(exc)
        memo = None
    starts = _checked_start(data.starts_at)
    if errors:
        raise InvalidInput("The appointment was not booked", field_errors=errors)
    appointment = Appointment(
        id=uuid.uuid4(),
        practice_id=uow.practice_id,
        case_id=case.id,
        provider_id=provider.id,
        service_id=service.id,
        location_id=location.id,
        format=fmt,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        status=AppointmentStatus.scheduled,
        fee_cents=service.fee_cents,
        pos_code=pos,
        modifiers=modifiers,
        supervisor_id=data.supervisor_id or case.supervisor_id,
        memo=memo,
        created_by_staff_id=actor.staff_id,
    )
    uow.session.add(appointment)
    await _hold(uow, appointment, tz)
    if CaseKind(case.kind) not in (CaseKind.individual, CaseKind.consultation):
        await expect_participants(uow, case.id, appointment, tz)
    await notices.record_change(uow, appointment, NoticeKind.booked, tz)
    return appointment


async def expect_participants(
    uow: UnitOfWork, case_id: uuid.UUID, appointment: Appointment, tz: str
) -> None:
    """One attendance row per participant in the case on the appointment's local day."""
    assert uow.practice_id is not None
    day = appointment.starts_at.astimezone(ZoneInfo(tz)).date()
    people = await uow.session.scalars(
        select(Participant.person_id).where(
            Participant.practice_id == uow.practice_id,
            Participant.case_id == case_id,
            Participant.joined_on <= day,
            (Participant.left_on.is_(None)) | (Participant.left_on >= day),
        )
    )
    for person_id in people:
        uow.session.add(
            Attendance(
                practice_id=uow.practice_id, appointment_id=appointment.id, person_id=person_id
            )
        )
    await uow.session.flush()


async def load_appointment(
    uow: UnitOfWork, actor: Actor, appointment_id: uuid.UUID, action: Action = Action.see_case
) -> Appointment:
    """The appointment through its case's access (another practice's, or a case the
    viewer does not reach: 404)."""
    appointment = await uow.session.scalar(
        select(Appointment)
        .where(Appointment.practice_id == actor.practice_id, Appointment.id == appointment_id)
        .with_for_update()
    )
    if appointment is None:
        raise NotFound("No such appointment")
    try:
        await load_case(uow, actor, appointment.case_id, action)
    except NotFound:
        raise NotFound("No such appointment") from None
    return appointment


async def reschedule(
    uow: UnitOfWork, appointment: Appointment, starts_at: datetime, *, tz: str,
    duration_minutes: int | None = None,
) -> None:  # fmt: skip
    if appointment.status in CANCELLED:
        raise InvalidInput(
            "Cancelled", field_errors={"starts_at": "Book a new appointment instead."}
        )
    minutes = duration_minutes or int(
        (appointment.ends_at - appointment.starts_at).total_seconds() // 60
    )
    if not 5 <= minutes <= 720:
        raise InvalidInput(
            "Length", field_errors={"duration_minutes": "From 5 minutes to 12 hours."}
        )
    appointment.starts_at = _checked_start(starts_at)
    appointment.ends_at = appointment.starts_at + timedelta(minutes=minutes)
    appointment.sequence += 1
    await _hold(uow, appointment, tz)
    await notices.record_change(uow, appointment, NoticeKind.rescheduled, tz)


async def set_status(
    uow: UnitOfWork, appointment: Appointment, status: str, *, tz: str, now: datetime
) -> None:
    if status not in AppointmentStatus.__members__:
        raise InvalidInput("Unknown status", field_errors={"status": "Choose a status."})
    new = AppointmentStatus(status)
    if new == appointment.status:
        return
    was_cancelled = appointment.status in CANCELLED
    appointment.status = new
    appointment.cancelled_at = now if new in CANCELLED else None
    appointment.sequence += 1
    await _hold(uow, appointment, tz)  # un-cancelling takes the time back, if it is free
    if new in CANCELLED and not was_cancelled:
        await notices.record_change(uow, appointment, NoticeKind.cancelled, tz)
    elif was_cancelled and new not in CANCELLED:
        await notices.record_change(uow, appointment, NoticeKind.booked, tz)


async def set_attendance(
    uow: UnitOfWork, appointment: Appointment, person_id: uuid.UUID, status: str
) -> Attendance:
    if status not in AttendanceStatus.__members__:
        raise InvalidInput("Unknown", field_errors={"status": "Choose present, absent …"})
    row = await uow.session.scalar(
        select(Attendance).where(
            Attendance.practice_id == uow.practice_id,
            Attendance.appointment_id == appointment.id,
            Attendance.person_id == person_id,
        )
    )
    if row is None:
        raise NotFound("This person is not expected at this appointment")
    row.status = status
    await uow.session.flush()
    return row


async def attendance_of(uow: UnitOfWork, appointment_id: uuid.UUID) -> list[Attendance]:
    return list(
        await uow.session.scalars(
            select(Attendance)
            .join(
                Person,
                (Person.practice_id == Attendance.practice_id)
                & (Person.id == Attendance.person_id),
            )
            .where(
                Attendance.practice_id == uow.practice_id,
                Attendance.appointment_id == appointment_id,
            )
            .order_by(Person.sort_name, Person.id)
        )
    )


async def appointments_between(
    uow: UnitOfWork, provider_id: uuid.UUID, start: datetime, end: datetime
) -> list[Appointment]:
    return list(
        await uow.session.scalars(
            select(Appointment)
            .where(
                and_(
                    Appointment.practice_id == uow.practice_id,
                    Appointment.provider_id == provider_id,
                    Appointment.starts_at < end,
                    Appointment.ends_at > start,
                )
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )


async def count_appointments(uow: UnitOfWork, case_id: uuid.UUID) -> int:
    return int(
        await uow.session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.practice_id == uow.practice_id, Appointment.case_id == case_id)
        )
        or 0
    )


async def upcoming_of(
    uow: UnitOfWork, case_id: uuid.UUID, now: datetime, limit: int = 5
) -> list[Appointment]:
    """The case's next appointments (those still holding time, from now on)."""
    return list(
        await uow.session.scalars(
            select(Appointment)
            .where(
                Appointment.practice_id == uow.practice_id,
                Appointment.case_id == case_id,
                Appointment.ends_at > now,
                Appointment.status.in_(sorted(TIME_HOLDING)),
            )
            .order_by(Appointment.starts_at, Appointment.id)
            .limit(limit)
        )
    )


async def sync_future_attendance(uow: UnitOfWork, case_id: uuid.UUID, today: date) -> None:
    """A roster change applies to future occurrences only: appointments from `today` on get
    an "expected" row for whoever is in the case on their day, and lose the untouched
    "expected" rows of whoever is not; past appointments keep what was recorded."""
    from services.practices import get_practice

    assert uow.practice_id is not None
    practice = await get_practice(uow)
    zone = ZoneInfo(practice.timezone)
    start = datetime.combine(today, datetime.min.time(), tzinfo=zone)
    upcoming = list(
        await uow.session.scalars(
            select(Appointment).where(
                Appointment.practice_id == uow.practice_id,
                Appointment.case_id == case_id,
                Appointment.starts_at >= start,
                Appointment.status.in_(sorted(TIME_HOLDING)),
            )
        )
    )
    if not upcoming:
        return
    parts = list(
        await uow.session.scalars(
            select(Participant).where(
                Participant.practice_id == uow.practice_id, Participant.case_id == case_id
            )
        )
    )
    for appointment in upcoming:
        day = appointment.starts_at.astimezone(zone).date()
        roster = {p.person_id for p in parts if p.on_roster(day)}
        rows = {r.person_id: r for r in await attendance_of(uow, appointment.id)}
        for person_id in roster - set(rows):
            uow.session.add(
                Attendance(
                    practice_id=uow.practice_id, appointment_id=appointment.id,
                    person_id=person_id,
                )
            )  # fmt: skip
        for person_id, row in rows.items():
            if person_id not in roster and row.status == AttendanceStatus.expected:
                await uow.session.delete(row)
    await uow.session.flush()
