"""Calendar (day and week views, per provider or the practice) and appointments (book from
a slot or a case, the appointment page: status, attendance, move).

Booking and changes run in a savepoint: a clash or a bad field re-renders the form with
the message beside the field (409 for a clash naming the other appointment) and nothing is
written. Whose calendars: `services.scheduling.calendar.calendars_for`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from api.auth import Authenticated, CurrentStaff, now_of, today_of
from api.deps import Audit, Uow
from api.pages import redirect, render
from api.routing import AppRoute
from api.staff.case_record import savepoint
from api.staff.forms import field, parse_uuid, read_form, uuid_field
from core.db import UnitOfWork
from core.errors import DomainError, InvalidInput, NotFound
from core.security import token_hash
from models.orm.case import Case, CaseStatus
from models.orm.scheduling import AppointmentStatus, AttendanceStatus, CalendarFeed
from services import cross_practice
from services.access import Action, can
from services.cases.commands import participants_of
from services.cases.records import load_case, visible_case_clause
from services.cases.views import people_of
from services.practice_settings import settings_of
from services.practices import get_practice
from services.scheduling import appointments as appts
from services.scheduling import availability, catalog, feeds
from services.scheduling import series as series_svc
from services.scheduling.calendar import DAY_END, DAY_START, calendar, calendars_for, week_start

router = APIRouter(route_class=AppRoute, include_in_schema=False)

STATUS_LABELS = {
    AppointmentStatus.scheduled: "Scheduled",
    AppointmentStatus.attended: "Attended",
    AppointmentStatus.cancelled_by_client: "Cancelled by client",
    AppointmentStatus.cancelled_by_practice: "Cancelled by practice",
    AppointmentStatus.late_cancelled: "Late cancelled",
    AppointmentStatus.no_show: "No-show",
}
ATTENDANCE_LABELS = {
    AttendanceStatus.expected: "Expected",
    AttendanceStatus.present: "Present",
    AttendanceStatus.absent: "Absent",
    AttendanceStatus.late_cancelled: "Late cancelled",
    AttendanceStatus.no_show: "No-show",
}
FORMAT_LABELS = {"in_person": "In person", "video": "Video", "phone": "Phone"}


def _date(raw: str, default: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


@router.get("/calendar", name="calendar.view")
async def view(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    q = request.query_params
    tz = me.practice.timezone
    today = today_of(request, me)
    mode = q.get("view", "week") if q.get("view") in ("week", "day") else "week"
    day = _date(q.get("date", ""), today)
    start = week_start(day) if mode == "week" else day
    length = 7 if mode == "week" else 1
    options = await calendars_for(uow, me.actor)
    wanted = q.get("provider", "")
    default = me.actor.acting_for_id or me.member.id
    if wanted == "all":
        shown = options
    else:
        try:
            pid = uuid.UUID(wanted) if wanted else default
        except ValueError:
            pid = default
        shown = [p for p in options if p[0] == pid] or options[:1]
    location_id = parse_uuid(q.get("location", ""))
    cal = await calendar(uow, shown, start, length, tz, location_id=location_id)
    audit.subject("appointment", [s.id for d in cal.days for s in d.slots])
    step = timedelta(days=length)
    hours = range(DAY_START, DAY_END)
    single = wanted != "all" and len(shown) == 1
    # Hours outside the provider's bookable availability are greyed (none kept: no greying).
    blocks = await availability.blocks_of(uow, shown[0][0]) if single else []
    off_hours = {
        d.day: set(hours) - availability.open_hours(blocks, d.day, tz, hours) for d in cal.days
    } if blocks else {}  # fmt: skip
    return render(
        request,
        "staff/calendar/view.html",
        {
            "active": "calendar",
            "cal": cal,
            "mode": mode,
            "single": single,
            "off_hours": off_hours,
            "provider_param": "all" if wanted == "all" else (str(shown[0][0]) if shown else ""),
            "options": options,
            "locations": await catalog.locations_of(uow, active_only=True),
            "location_id": location_id,
            "prev": (start - step).isoformat(),
            "next": (start + step).isoformat(),
            "today": today,
            "hours": list(hours),
            "day_start": DAY_START,
            "tz": tz,
            "status_labels": STATUS_LABELS,
            "names": dict(options),
        },
    )


async def _open_cases(uow: UnitOfWork, me: Authenticated) -> list[tuple[uuid.UUID, str]]:
    query = select(Case.id, Case.name).where(
        Case.practice_id == me.actor.practice_id, Case.status == CaseStatus.open
    )
    seen = visible_case_clause(me.actor)
    if seen is not None:
        query = query.where(seen)
    rows = await uow.session.execute(query.order_by(Case.sort_name, Case.id).limit(500))
    return [(r.id, r.name) for r in rows]


async def _form_context(
    uow: UnitOfWork, me: Authenticated, values: dict[str, str], **extra: Any
) -> dict[str, Any]:
    providers = [
        p for p in await calendars_for(uow, me.actor) if can(me.actor, Action.schedule_for, p[0])
    ]
    return {
        "active": "calendar",
        "values": values,
        "cases": await _open_cases(uow, me),
        "service_options": [
            (s.id, f"{s.name} · {s.duration_minutes} min")
            for s in await catalog.services_of(uow, active_only=True)
        ],
        "location_options": [
            (loc.id, loc.name) for loc in await catalog.locations_of(uow, active_only=True)
        ],
        "providers": providers,
        "format_labels": FORMAT_LABELS,
        "tz": me.practice.timezone,
        "errors": {},
        **extra,
    }


@router.get("/appointments/new", name="appointments.new")
async def new(request: Request, uow: Uow, me: CurrentStaff) -> Response:
    q = request.query_params
    values = {
        "case_id": q.get("case", ""), "provider_id": q.get("provider", ""),
        "date": q.get("date", "") or today_of(request, me).isoformat(),
        "time": q.get("time", "") or "09:00", "service_id": "", "location_id": "",
        "format": "", "duration_minutes": "", "memo": "", "repeat": "none", "every": "1",
        "count": "", "until": "",
    }  # fmt: skip
    return render(request, "staff/appointments/new.html", await _form_context(uow, me, values))


def _local(values: dict[str, str], tz: str, errors: dict[str, str]) -> datetime | None:
    try:
        day = date.fromisoformat(values["date"])
        at = time.fromisoformat(values["time"])
    except ValueError:
        errors["starts_at"] = "Choose a day and a time."
        return None
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz))


@router.post("/appointments", name="appointments.create")
async def create(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    form = await read_form(request)
    names = ("case_id", "provider_id", "date", "time", "service_id", "location_id", "format",
             "duration_minutes", "memo", "repeat", "every", "count", "until")  # fmt: skip
    values = {n: field(form, n, 2000 if n == "memo" else 60) for n in names}
    errors: dict[str, str] = {}
    starts = _local(values, me.practice.timezone, errors)
    ids = {n: uuid_field(form, n) for n in ("case_id", "service_id", "location_id", "provider_id")}
    for n in ("case_id", "service_id", "location_id"):
        if ids[n] is None:
            errors[n] = "Choose one."
    minutes_raw = values["duration_minutes"]
    minutes = (
        int(minutes_raw)
        if minutes_raw.isascii() and minutes_raw.isdigit() and len(minutes_raw) < 4
        else None
    )
    if minutes_raw and minutes is None:
        errors["duration_minutes"] = "Minutes, like 50."
    repeat = values["repeat"] or "none"
    every = int(values["every"]) if values["every"] in ("1", "2", "3", "4") else 1
    count = (
        int(values["count"])
        if values["count"].isascii() and values["count"].isdigit() and len(values["count"]) < 4
        else None
    )
    until = _date(values["until"], date.min) if values["until"] else None
    if repeat not in ("none", "weekly", "monthly"):
        errors["repeat"] = "Choose how it repeats."
    if values["count"] and count is None:
        errors["count"] = "A number of sessions, like 10."
    if until == date.min:
        errors["until"] = "Use a date like 2027-03-31."
    try:
        async with savepoint(uow):
            if errors or starts is None:
                raise InvalidInput("The appointment was not booked", field_errors=errors)
            case_id, service_id, location_id = ids["case_id"], ids["service_id"], ids["location_id"]
            assert case_id is not None
            assert service_id is not None
            assert location_id is not None
            booking = appts.Booking(
                case_id=case_id, service_id=service_id, location_id=location_id,
                starts_at=starts, provider_id=ids["provider_id"],
                format=values["format"] or None, duration_minutes=minutes,
                memo=values["memo"] or None,
            )  # fmt: skip
            if repeat != "none":
                series, done = await series_svc.create_series(
                    uow, me.actor,
                    series_svc.SeriesIn(booking=booking, frequency=repeat, every=every,
                                        occurrences=count, last_day=until),
                    tz=me.practice.timezone, now=now_of(request),
                )  # fmt: skip
                audit.subject("appointment_series", [series.id])
                local = starts.astimezone(ZoneInfo(me.practice.timezone)).date()
                message = f"{done.created} sessions booked ({series.rrule})."
                if done.clashes:
                    message += f" {done.clashes} clash with other bookings: see Tasks."
                url = f"/calendar?provider={series.provider_id}&date={local.isoformat()}"
                return redirect(request, url, message)
            appointment = await appts.book(
                uow, me.actor, booking, tz=me.practice.timezone, now=now_of(request)
            )
    except DomainError as exc:
        context = await _form_context(uow, me, values, errors=exc.field_errors, message=exc.message)
        return render(request, "staff/appointments/new.html", context, status=exc.status)
    audit.subject("appointment", [appointment.id])
    return redirect(request, f"/appointments/{appointment.id}", "The appointment was booked.")


async def detail_page(request: Request, uow: UnitOfWork, me: Authenticated,
                      appointment_id: uuid.UUID, *, status: int = 200,
                      **extra: Any) -> Response:  # fmt: skip
    appointment = await appts.load_appointment(uow, me.actor, appointment_id)
    case, grants = await load_case(uow, me.actor, appointment.case_id)
    service = await catalog.get_service(uow, appointment.service_id)
    location = await catalog.get_location(uow, appointment.location_id)
    people = await people_of(uow, await participants_of(uow, case.id))
    tz = me.practice.timezone
    local = appointment.starts_at.astimezone(ZoneInfo(tz))
    there = appointment.starts_at.astimezone(ZoneInfo(location.timezone))
    providers = dict(await calendars_for(uow, me.actor))
    series = await series_svc.series_of(uow, appointment)
    series_form: dict[str, str] = {}
    if series is not None:
        series_form = {
            "scope": "following", "date": local.date().isoformat(),
            "time": local.strftime("%H:%M"), "service_id": str(series.service_id),
            "location_id": str(series.location_id), "every": str(series.every),
        }  # fmt: skip
    return render(
        request,
        "staff/appointments/detail.html",
        {
            "active": "calendar",
            "a": appointment,
            "case": case,
            "service": service,
            "location": location,
            "people": people,
            "attendance": await appts.attendance_of(uow, appointment.id),
            "local": local,
            "local_end": appointment.ends_at.astimezone(ZoneInfo(tz)),
            "there": there if location.timezone != tz else None,
            "provider_name": providers.get(appointment.provider_id, "—"),
            "may_change": can(me.actor, Action.change_case, grants),
            "may_clinical": can(me.actor, Action.see_clinical, grants),
            "status_labels": STATUS_LABELS,
            "attendance_labels": ATTENDANCE_LABELS,
            "format_labels": FORMAT_LABELS,
            "tz": tz,
            "series": series,
            "series_text": series_svc.describe(series) if series else None,
            "scope_labels": series_svc.SCOPE_LABELS,
            "series_values": extra.pop("series_override", None) or series_form,
            # the series' own service and location stay choosable even when no longer
            # offered, so changing only the time never changes them silently
            "service_options": [
                (s.id, f"{s.name} · {s.duration_minutes} min")
                for s in await catalog.services_of(uow)
                if s.active or s.id == series.service_id
            ]
            if series
            else [],
            "location_options": [
                (loc.id, loc.name)
                for loc in await catalog.locations_of(uow)
                if loc.active or loc.id == series.location_id
            ]
            if series
            else [],
            "continued_at": await series_svc.continuation_start(uow, series) if series else None,
            "errors": {},
            "form": None,
            **extra,
        },
        status=status,
    )


async def fail_page(request: Request, uow: UnitOfWork, me: Authenticated,
                    appointment_id: uuid.UUID, exc: DomainError,
                    form: str) -> Response:  # fmt: skip
    return await detail_page(
        request, uow, me, appointment_id, status=exc.status, errors=exc.field_errors,
        message=exc.message, form=form,
    )  # fmt: skip


@router.get("/appointments/{appointment_id}", name="appointments.detail")
async def detail(request: Request, appointment_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                 audit: Audit) -> Response:  # fmt: skip
    audit.subject("appointment", [appointment_id])
    return await detail_page(request, uow, me, appointment_id)


@router.post("/appointments/{appointment_id}/status", name="appointments.status")
async def change_status(request: Request, appointment_id: uuid.UUID, uow: Uow,
                        me: CurrentStaff, audit: Audit) -> Response:  # fmt: skip
    audit.subject("appointment", [appointment_id])
    form = await read_form(request)
    appointment = await appts.load_appointment(uow, me.actor, appointment_id, Action.change_case)
    try:
        async with savepoint(uow):
            await appts.set_status(
                uow, appointment, field(form, "status", 30), tz=me.practice.timezone,
                now=now_of(request),
            )  # fmt: skip
    except DomainError as exc:
        return await fail_page(request, uow, me, appointment_id, exc, "status")
    label = STATUS_LABELS.get(AppointmentStatus(appointment.status), appointment.status)
    return redirect(request, f"/appointments/{appointment_id}", f"Marked {label.lower()}.")


@router.post("/appointments/{appointment_id}/move", name="appointments.move")
async def move(request: Request, appointment_id: uuid.UUID, uow: Uow, me: CurrentStaff,
               audit: Audit) -> Response:  # fmt: skip
    audit.subject("appointment", [appointment_id])
    form = await read_form(request)
    appointment = await appts.load_appointment(uow, me.actor, appointment_id, Action.change_case)
    errors: dict[str, str] = {}
    starts = _local({"date": field(form, "date", 20), "time": field(form, "time", 10)},
                    me.practice.timezone, errors)  # fmt: skip
    try:
        async with savepoint(uow):
            if errors or starts is None:
                raise InvalidInput("The appointment was not moved", field_errors=errors)
            await appts.reschedule(uow, appointment, starts, tz=me.practice.timezone)
    except DomainError as exc:
        return await fail_page(request, uow, me, appointment_id, exc, "move")
    return redirect(request, f"/appointments/{appointment_id}", "The appointment was moved.")


@router.post("/appointments/{appointment_id}/attendance", name="appointments.attendance")
async def attendance(request: Request, appointment_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                     audit: Audit) -> Response:  # fmt: skip
    audit.subject("appointment", [appointment_id])
    form = await read_form(request)
    appointment = await appts.load_appointment(uow, me.actor, appointment_id, Action.change_case)
    try:
        async with savepoint(uow):
            for row in await appts.attendance_of(uow, appointment.id):
                value = field(form, f"attendance.{row.person_id}", 20)
                if value and value != row.status:
                    await appts.set_attendance(uow, appointment, row.person_id, value)
    except DomainError as exc:
        return await fail_page(request, uow, me, appointment_id, exc, "attendance")
    return redirect(request, f"/appointments/{appointment_id}", "Attendance saved.")


@router.get("/calendar/feed/{token}.ics", name="calendar.feed")
async def feed(request: Request, token: str, uow: Uow, audit: Audit) -> Response:
    """A provider's subscription feed (RFC 5545), found by its secret token alone. A
    revoked, regenerated or unknown token is a 404; the read is audited on the practice."""
    found = await cross_practice.calendar_feed_by_token(uow.session, token_hash(token[:200]))
    if found is None:
        raise NotFound("No such calendar feed")
    await uow.set_practice(found.practice_id)
    row = await uow.session.get(CalendarFeed, found.id)
    if row is None:
        raise NotFound("No such calendar feed")
    audit.practice_id = found.practice_id
    audit.subject("calendar_feed", [row.id])
    practice = await get_practice(uow)
    text = await feeds.render(
        uow, row, tz=practice.timezone, detail=settings_of(practice).calendar_feed_detail,
        now=now_of(request), calname=f"{practice.name} appointments",
    )  # fmt: skip
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"},
    )
