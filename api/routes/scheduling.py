"""JSON API for scheduling: `/api/v1/services`, `/api/v1/locations` (the practice's
catalog: read by everyone, kept by owners and admins allowed the practice profile) and
`/api/v1/appointments` (book, read, a provider's range, move, status, attendance).

A clash with a provider's time-holding appointment is a 409 naming it; an appointment in
a case the caller does not reach is a 404; bad input is problem+json and changes nothing.
The internal memo is only for the case's clinicians (not admins).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api.auth import Authenticated, CurrentStaff, now_of
from api.deps import Audit, Uow
from api.routing import AppRoute
from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from models.orm.scheduling import Appointment, AvailabilityBlock, Location, PracticeService
from models.schemas.scheduling import (
    AppointmentCreate,
    AppointmentMove,
    AppointmentPage,
    AppointmentRead,
    AppointmentStatusChange,
    AttendanceChange,
    AttendanceRead,
    BlockRead,
    BlockWrite,
    LocationRead,
    LocationWrite,
    ServiceRead,
    ServiceWrite,
)
from services.access import Action, can, case_scope, require
from services.cases.records import reach_of
from services.scheduling import appointments as appts
from services.scheduling import availability, catalog

router = APIRouter(route_class=AppRoute, prefix="/api/v1", tags=["scheduling"])


def _service(s: PracticeService) -> ServiceRead:
    return ServiceRead(
        id=s.id, name=s.name, cpt_code=s.cpt_code, kind=s.kind,
        duration_minutes=s.duration_minutes, fee_cents=s.fee_cents, currency=s.currency,
        active=s.active,
    )  # fmt: skip


def _location(loc: Location) -> LocationRead:
    return LocationRead(
        id=loc.id, name=loc.name, timezone=loc.timezone, formats=loc.formats,
        pos_code=loc.pos_code, address_line1=loc.address_line1, city=loc.city,
        region=loc.region, postal_code=loc.postal_code, country=loc.country, active=loc.active,
    )  # fmt: skip


@router.get("/services", name="api.services_list", response_model=list[ServiceRead])
async def services_list(uow: Uow, me: CurrentStaff) -> list[ServiceRead]:
    return [_service(s) for s in await catalog.services_of(uow)]


def _service_in(body: ServiceWrite) -> catalog.ServiceIn:
    return catalog.ServiceIn(
        name=body.name, duration_minutes=body.duration_minutes, fee=body.fee,
        cpt_code=body.cpt_code, kind=body.kind,
    )  # fmt: skip


@router.post("/services", name="api.services_create", status_code=201, response_model=ServiceRead)
async def services_create(
    body: ServiceWrite, uow: Uow, me: CurrentStaff, audit: Audit
) -> ServiceRead:
    require(me.actor, Action.manage_practice_profile)
    service = await catalog.create_service(uow, _service_in(body))
    audit.subject("practice_service", [service.id])
    return _service(service)


@router.put("/services/{service_id}", name="api.services_update", response_model=ServiceRead)
async def services_update(
    service_id: uuid.UUID, body: ServiceWrite, uow: Uow, me: CurrentStaff, audit: Audit
) -> ServiceRead:
    require(me.actor, Action.manage_practice_profile)
    service = await catalog.get_service(uow, service_id)
    await catalog.update_service(uow, service, _service_in(body), active=body.active)
    audit.subject("practice_service", [service.id])
    return _service(service)


@router.get("/locations", name="api.locations_list", response_model=list[LocationRead])
async def locations_list(uow: Uow, me: CurrentStaff) -> list[LocationRead]:
    return [_location(loc) for loc in await catalog.locations_of(uow)]


def _location_in(body: LocationWrite) -> catalog.LocationIn:
    return catalog.LocationIn(
        name=body.name, timezone=body.timezone, formats=body.formats, pos_code=body.pos_code,
        address_line1=body.address_line1, address_line2=body.address_line2, city=body.city,
        region=body.region, postal_code=body.postal_code, country=body.country,
    )  # fmt: skip


@router.post(
    "/locations", name="api.locations_create", status_code=201, response_model=LocationRead
)
async def locations_create(
    body: LocationWrite, uow: Uow, me: CurrentStaff, audit: Audit
) -> LocationRead:
    require(me.actor, Action.manage_practice_profile)
    location = await catalog.create_location(uow, _location_in(body))
    audit.subject("location", [location.id])
    return _location(location)


@router.put("/locations/{location_id}", name="api.locations_update", response_model=LocationRead)
async def locations_update(
    location_id: uuid.UUID, body: LocationWrite, uow: Uow, me: CurrentStaff, audit: Audit
) -> LocationRead:
    require(me.actor, Action.manage_practice_profile)
    location = await catalog.get_location(uow, location_id)
    await catalog.update_location(uow, location, _location_in(body), active=body.active)
    audit.subject("location", [location.id])
    return _location(location)


async def _read(uow: UnitOfWork, me: Authenticated, a: Appointment) -> AppointmentRead:
    location = await catalog.get_location(uow, a.location_id)
    grants = await reach_of(uow, me.actor, a.case_id)
    start = a.starts_at.astimezone(ZoneInfo(location.timezone))
    view = AppointmentRead(
        id=a.id, case_id=a.case_id, provider_id=a.provider_id, service_id=a.service_id,
        location_id=a.location_id, format=a.format, starts_at=a.starts_at, ends_at=a.ends_at,
        local_start=f"{start:%Y-%m-%d %H:%M %Z}", status=a.status, fee_cents=a.fee_cents,
        pos_code=a.pos_code, modifiers=a.modifiers, supervisor_id=a.supervisor_id,
        sequence=a.sequence,
        attendance=[
            AttendanceRead(person_id=r.person_id, status=r.status)
            for r in await appts.attendance_of(uow, a.id)
        ],
    )  # fmt: skip
    if can(me.actor, Action.see_clinical, grants):
        view.memo = a.memo
    return view


def _json(view: AppointmentRead, status: int = 200) -> JSONResponse:
    return JSONResponse(view.model_dump(mode="json", exclude_unset=True), status_code=status)


@router.post("/appointments", name="api.appointments_create", status_code=201,
             response_model=AppointmentRead)  # fmt: skip
async def appointments_create(
    request: Request, body: AppointmentCreate, uow: Uow, me: CurrentStaff, audit: Audit
) -> JSONResponse:
    audit.subject("case", [body.case_id])
    appointment = await appts.book(
        uow,
        me.actor,
        appts.Booking(
            case_id=body.case_id, service_id=body.service_id, location_id=body.location_id,
            starts_at=body.starts_at, provider_id=body.provider_id, format=body.format,
            duration_minutes=body.duration_minutes, pos_code=body.pos_code,
            modifiers=tuple(body.modifiers), supervisor_id=body.supervisor_id, memo=body.memo,
        ),
        tz=me.practice.timezone,
        now=now_of(request),
    )  # fmt: skip
    audit.subject("appointment", [appointment.id])
    return _json(await _read(uow, me, appointment), 201)


@router.get("/appointments", name="api.appointments_list", response_model=AppointmentPage)
async def appointments_list(
    request: Request, uow: Uow, me: CurrentStaff, audit: Audit
) -> AppointmentPage:
    """One provider's appointments between `from` and `to` (ISO times with a zone, at most
    62 days apart): yourself, a supervisee, the provider an admin works for, anyone for owners."""
    q = request.query_params
    errors: dict[str, str] = {}
    try:
        provider = (
            uuid.UUID(q.get("provider", ""))
            if q.get("provider")
            else me.actor.acting_for_id or me.member.id
        )
    except ValueError:
        errors["provider"] = "Not a valid id."
        provider = me.member.id
    bounds: list[datetime] = []
    for name in ("from", "to"):
        try:
            moment = datetime.fromisoformat(q.get(name, ""))
            if moment.tzinfo is None:
                raise ValueError
            bounds.append(moment)
        except ValueError:
            errors[name] = "Use an ISO time with its zone, like 2026-12-07T00:00:00-06:00."
    if not errors:
        if bounds[1] <= bounds[0]:
            errors["to"] = "Choose an end after the start."
        elif bounds[1] - bounds[0] > timedelta(days=62):
            errors["to"] = "At most 62 days at a time."
    if errors:
        raise InvalidInput("The range is not valid", field_errors=errors)
    scope = case_scope(me.actor)
    if scope is not None and provider not in scope:
        raise NotFound("No such calendar")
    rows = await appts.appointments_between(uow, provider, bounds[0], bounds[1])
    audit.subject("appointment", [a.id for a in rows])
    return AppointmentPage(items=[await _read(uow, me, a) for a in rows])


@router.get(
    "/appointments/{appointment_id}", name="api.appointments_get", response_model=AppointmentRead
)
async def appointments_get(
    appointment_id: uuid.UUID, uow: Uow, me: CurrentStaff, audit: Audit
) -> JSONResponse:
    audit.subject("appointment", [appointment_id])
    appointment = await appts.load_appointment(uow, me.actor, appointment_id)
    return _json(await _read(uow, me, appointment))


@router.post("/appointments/{appointment_id}/move", name="api.appointments_move",
             response_model=AppointmentRead)  # fmt: skip
async def appointments_move(
    appointment_id: uuid.UUID, body: AppointmentMove, uow: Uow, me: CurrentStaff, audit: Audit
) -> JSONResponse:
    audit.subject("appointment", [appointment_id])
    appointment = await appts.load_appointment(uow, me.actor, appointment_id, Action.change_case)
    await appts.reschedule(
        uow, appointment, body.starts_at, tz=me.practice.timezone,
        duration_minutes=body.duration_minutes,
    )  # fmt: skip
    return _json(await _read(uow, me, appointment))


@router.post("/appointments/{appointment_id}/status", name="api.appointments_status",
             response_model=AppointmentRead)  # fmt: skip
async def appointments_status(
    request: Request, appointment_id: uuid.UUID, body: AppointmentStatusChange, uow: Uow,
    me: CurrentStaff, audit: Audit,
) -> JSONResponse:  # fmt: skip
    audit.subject("appointment", [appointment_id])
    appointment = await appts.load_appointment(uow, me.actor, appointment_id, Action.change_case)
    await appts.set_status(
        uow, appointment, body.status, tz=me.practice.timezone, now=now_of(request)
    )
    return _json(await _read(uow, me, appointment))


@router.post("/appointments/{appointment_id}/attendance/{person_id}",
             name="api.appointments_attendance", response_model=AppointmentRead)  # fmt: skip
async def appointments_attendance(
    appointment_id: uuid.UUID, person_id: uuid.UUID, body: AttendanceChange, uow: Uow,
    me: CurrentStaff, audit: Audit,
) -> JSONResponse:  # fmt: skip
    audit.subject("appointment", [appointment_id])
    appointment = await appts.load_appointment(uow, me.actor, appointment_id, Action.change_case)
    await appts.set_attendance(uow, appointment, person_id, body.status)
    return _json(await _read(uow, me, appointment))


def _block(b: AvailabilityBlock) -> BlockRead:
    return BlockRead(
        id=b.id, provider_id=b.provider_id, location_id=b.location_id, audience=b.audience,
        formats=b.formats, service_ids=b.service_ids, weekdays=b.weekdays, on_date=b.on_date,
        start_time=b.start_time, end_time=b.end_time, timezone=b.timezone,
        effective_from=b.effective_from, effective_to=b.effective_to,
    )  # fmt: skip


def _block_in(body: BlockWrite, me: Authenticated) -> availability.BlockIn:
    return availability.BlockIn(
        provider_id=body.provider_id or me.actor.acting_for_id or me.member.id,
        location_id=body.location_id, audience=body.audience, start_time=body.start_time,
        end_time=body.end_time, effective_from=body.effective_from,
        effective_to=body.effective_to, formats=tuple(body.formats),
        service_ids=tuple(body.service_ids), weekdays=tuple(body.weekdays),
        on_date=body.on_date, timezone=body.timezone,
    )  # fmt: skip


@router.get("/availability", name="api.availability_list", response_model=list[BlockRead])
async def availability_list(request: Request, uow: Uow, me: CurrentStaff) -> list[BlockRead]:
    raw = request.query_params.get("provider", "")
    try:
        provider = uuid.UUID(raw) if raw else me.actor.acting_for_id or me.member.id
    except ValueError:
        raise InvalidInput("Not a valid id", field_errors={"provider": "Not a valid id."}) from None
    scope = case_scope(me.actor)
    if scope is not None and provider not in scope:
        raise NotFound("No such calendar")
    return [_block(b) for b in await availability.blocks_of(uow, provider)]


@router.post("/availability", name="api.availability_create", status_code=201,
             response_model=BlockRead)  # fmt: skip
async def availability_create(
    body: BlockWrite, uow: Uow, me: CurrentStaff, audit: Audit
) -> BlockRead:
    block = await availability.create_block(uow, me.actor, _block_in(body, me))
    audit.subject("availability_block", [block.id])
    return _block(block)


@router.put("/availability/{block_id}", name="api.availability_update", response_model=BlockRead)
async def availability_update(
    block_id: uuid.UUID, body: BlockWrite, uow: Uow, me: CurrentStaff, audit: Audit
) -> BlockRead:
    block = await availability.get_block(uow, me.actor, block_id)
    await availability.update_block(uow, me.actor, block, _block_in(body, me))
    audit.subject("availability_block", [block.id])
    return _block(block)


@router.delete("/availability/{block_id}", name="api.availability_delete", status_code=204)
async def availability_delete(
    block_id: uuid.UUID, uow: Uow, me: CurrentStaff, audit: Audit
) -> Response:
    block = await availability.get_block(uow, me.actor, block_id)
    await availability.delete_block(uow, block)
    audit.subject("availability_block", [block_id])
    return Response(status_code=204)
