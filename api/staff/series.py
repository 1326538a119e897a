"""A recurring series from one of its sessions (the appointment page's Series card):
change this and following, or all upcoming sessions (time, weekday, service, location,
every N); cancel this and following, or all upcoming. "This session only" is the
appointment's own Move and status buttons.

Each change runs in a savepoint: a clash on the new first day (409, naming the other
appointment) or a bad field re-renders the appointment page with the message beside the
field, what was typed kept, and nothing written.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import CurrentStaff, now_of
from api.deps import Audit, Uow
from api.pages import redirect
from api.routing import AppRoute
from api.staff.calendar import detail_page
from api.staff.case_record import savepoint
from api.staff.forms import field, read_form, uuid_field
from core.errors import DomainError, InvalidInput
from services.access import Action
from services.scheduling import appointments as appts
from services.scheduling import series as series_svc

router = APIRouter(route_class=AppRoute, include_in_schema=False)


def _start(form_date: str, form_time: str, tz: str, errors: dict[str, str]) -> datetime | None:
    try:
        return datetime.combine(
            date.fromisoformat(form_date), time.fromisoformat(form_time), tzinfo=ZoneInfo(tz)
        )
    except ValueError:
        errors["date"] = "Choose a day and a time."
        return None


@router.post("/appointments/{appointment_id}/series", name="series.edit")
async def edit(request: Request, appointment_id: uuid.UUID, uow: Uow, me: CurrentStaff,
               audit: Audit) -> Response:  # fmt: skip
    audit.subject("appointment", [appointment_id])
    form = await read_form(request)
    names = ("scope", "date", "time", "service_id", "location_id", "every")
    values = {n: field(form, n, 60) for n in names}
    appointment = await appts.load_appointment(uow, me.actor, appointment_id, Action.change_case)
    tz = me.practice.timezone
    errors: dict[str, str] = {}
    starts = _start(values["date"], values["time"], tz, errors)
    service_id, location_id = uuid_field(form, "service_id"), uuid_field(form, "location_id")
    for name, value in (("service_id", service_id), ("location_id", location_id)):
        if value is None:
            errors[name] = "Choose one."
    every = int(values["every"]) if values["every"] in {str(n) for n in range(1, 13)} else None
    if every is None:
        errors["every"] = "Every 1 to 12."
    try:
        async with savepoint(uow):
            if errors or starts is None or service_id is None or location_id is None:
                raise InvalidInput("The series was not changed", field_errors=errors)
            assert every is not None
            series, done = await series_svc.edit_from(
                uow, me.actor, appointment, values["scope"],
                series_svc.SeriesEdit(starts_at=starts, service_id=service_id,
                                      location_id=location_id, every=every),
                tz=tz, now=now_of(request),
            )  # fmt: skip
    except DomainError as exc:
        return await detail_page(
            request, uow, me, appointment_id, status=exc.status, errors=exc.field_errors,
            message=exc.message, form="series", series_override=values,
        )  # fmt: skip
    old_series = [appointment.series_id] if appointment.series_id else []
    audit.subject("appointment_series", [*old_series, series.id])
    message = f"The series was changed: {done.created} sessions booked ({series.rrule})."
    if done.clashes:
        message += f" {done.clashes} clash with other bookings: see Tasks."
    local = starts.astimezone(ZoneInfo(tz)).date()
    return redirect(request, f"/calendar?provider={series.provider_id}&date={local}", message)


@router.post("/appointments/{appointment_id}/series/cancel", name="series.cancel")
async def cancel(request: Request, appointment_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                 audit: Audit) -> Response:  # fmt: skip
    audit.subject("appointment", [appointment_id])
    form = await read_form(request)
    appointment = await appts.load_appointment(uow, me.actor, appointment_id, Action.change_case)
    try:
        async with savepoint(uow):
            cancelled = await series_svc.end_from(
                uow, me.actor, appointment, field(form, "scope", 20),
                tz=me.practice.timezone, now=now_of(request),
            )  # fmt: skip
    except DomainError as exc:
        return await detail_page(
            request, uow, me, appointment_id, status=exc.status, errors=exc.field_errors,
            message=exc.message, form="series-cancel",
        )  # fmt: skip
    if appointment.series_id:
        audit.subject("appointment_series", [appointment.series_id])
    plural = "session" if cancelled == 1 else "sessions"
    return redirect(
        request, f"/appointments/{appointment_id}",
        f"The series ends here: {cancelled} {plural} cancelled by the practice.",
    )  # fmt: skip
