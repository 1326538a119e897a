"""Settings → Scheduling (the practice's services and locations) and Settings →
Availability (a provider's weekly hours and one-off dates).

Services and locations are kept by owners and by admins the owner lets manage the practice
profile; everyone else books with them. A service or location that is no longer offered
is made inactive, never deleted: appointments keep pointing at it. Availability: a
provider keeps their own, an admin the provider they are working for, an owner anyone's
(`Action.schedule_for`); each block says where, which formats and services, for whom
(new clients, existing clients, both, or staff-only time never offered publicly), the
hours in a time zone (the location's by default) and from when to when it applies.
Bad input re-renders the form with the message beside the field and saves nothing.
"""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import Authenticated, CurrentStaff, today_of
from api.deps import Audit, Uow
from api.pages import redirect, render
from api.routing import AppRoute
from api.staff.calendar import FORMAT_LABELS
from api.staff.case_record import savepoint
from api.staff.forms import field, fields, parse_uuid, read_form, uuid_field
from api.staff.settings import TIME_ZONES, page
from core.db import UnitOfWork
from core.errors import DomainError, InvalidInput, NotFound
from models.orm.scheduling import Audience, AvailabilityBlock, ServiceKind
from services.access import Action, can, require
from services.scheduling import availability, catalog
from services.scheduling.calendar import calendars_for

router = APIRouter(route_class=AppRoute, prefix="/settings", include_in_schema=False)

KIND_LABELS = {
    ServiceKind.therapy: "Therapy",
    ServiceKind.consultation: "Consultation",
    ServiceKind.workshop: "Workshop",
}
AUDIENCE_LABELS = {
    Audience.both: "New and existing clients",
    Audience.existing_clients: "Existing clients only",
    Audience.new_clients: "New clients only",
    Audience.staff_only: "Staff-only time (never offered)",
}
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SERVICE_FIELDS = ("name", "cpt_code", "duration_minutes", "fee", "kind")
LOCATION_FIELDS = ("name", "timezone", "pos_code", "address_line1", "address_line2", "city",
                   "region", "postal_code", "country")  # fmt: skip


# --- services and locations --------------------------------------------------------------


@router.get("/scheduling", name="settings.scheduling")
async def scheduling(request: Request, uow: Uow, me: CurrentStaff) -> Response:
    require(me.actor, Action.manage_practice_profile)
    return render(request, "settings/scheduling.html", page(
        me, "scheduling", services=await catalog.services_of(uow),
        locations=await catalog.locations_of(uow), kind_labels=KIND_LABELS,
        format_labels=FORMAT_LABELS,
    ))  # fmt: skip


def _service_form(request: Request, me: Authenticated, values: dict[str, Any],
                  service_id: uuid.UUID | None, *, status: int = 200,
                  errors: dict[str, str] | None = None,
                  message: str | None = None) -> Response:  # fmt: skip
    return render(request, "settings/service_form.html", page(
        me, "scheduling", values=values, service_id=service_id, errors=errors or {},
        message=message, kind_options=list(KIND_LABELS.items()),
    ), status=status)  # fmt: skip


def _service_in(values: dict[str, str], errors: dict[str, str]) -> catalog.ServiceIn:
    raw = values["duration_minutes"]
    minutes = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 5 else 0
    if not minutes:
        errors["duration_minutes"] = "Minutes, like 50."
    return catalog.ServiceIn(
        name=values["name"], duration_minutes=minutes, fee=values["fee"],
        cpt_code=values["cpt_code"] or None, kind=values["kind"] or ServiceKind.therapy,
    )  # fmt: skip


@router.get("/scheduling/services/new", name="settings.service_new")
async def service_new(request: Request, me: CurrentStaff) -> Response:
    require(me.actor, Action.manage_practice_profile)
    values = {"name": "", "cpt_code": "", "duration_minutes": "50", "fee": "", "kind": "therapy",
              "active": "on"}  # fmt: skip
    return _service_form(request, me, values, None)


@router.get("/scheduling/services/{service_id}", name="settings.service_edit")
async def service_edit(request: Request, service_id: uuid.UUID, uow: Uow,
                       me: CurrentStaff) -> Response:  # fmt: skip
    require(me.actor, Action.manage_practice_profile)
    s = await catalog.get_service(uow, service_id)
    values = {"name": s.name, "cpt_code": s.cpt_code or "", "kind": s.kind,
              "duration_minutes": str(s.duration_minutes), "fee": f"{s.fee_cents / 100:.2f}",
              "active": "on" if s.active else ""}  # fmt: skip
    return _service_form(request, me, values, service_id)


@router.post("/scheduling/services", name="settings.service_create")
@router.post("/scheduling/services/{service_id}", name="settings.service_save")
async def service_save(request: Request, uow: Uow, me: CurrentStaff, audit: Audit,
                       service_id: uuid.UUID | None = None) -> Response:  # fmt: skip
    require(me.actor, Action.manage_practice_profile)
    form = await read_form(request)
    values = {n: field(form, n, 200) for n in (*SERVICE_FIELDS, "active")}
    errors: dict[str, str] = {}
    try:
        async with savepoint(uow):
            data = _service_in(values, errors)
            existing = await catalog.get_service(uow, service_id) if service_id else None
            try:
                if existing is None:
                    service = await catalog.create_service(uow, data)
                else:
                    service = existing
                    await catalog.update_service(uow, service, data, active=bool(values["active"]))
            except InvalidInput as exc:
                errors = {**exc.field_errors, **errors}  # "not a number" beats "out of range"
            if errors:
                raise InvalidInput("The service was not saved", field_errors=errors)
    except NotFound:
        raise
    except DomainError as exc:
        return _service_form(request, me, values, service_id, status=exc.status,
                             errors=exc.field_errors, message=exc.message)  # fmt: skip
    audit.subject("practice_service", [service.id])
    return redirect(request, "/settings/scheduling", f"Service “{service.name}” saved.")


def _location_form(request: Request, me: Authenticated, values: dict[str, Any],
                   location_id: uuid.UUID | None, *, status: int = 200,
                   errors: dict[str, str] | None = None,
                  message: str | None = None) -> Response:  # fmt: skip
    return render(request, "settings/location_form.html", page(
        me, "scheduling", values=values, location_id=location_id, errors=errors or {},
        message=message, zones=TIME_ZONES, format_labels=FORMAT_LABELS,
    ), status=status)  # fmt: skip


@router.get("/scheduling/locations/new", name="settings.location_new")
async def location_new(request: Request, me: CurrentStaff) -> Response:
    require(me.actor, Action.manage_practice_profile)
    values: dict[str, Any] = dict.fromkeys(LOCATION_FIELDS, "")
    values |= {"timezone": me.practice.timezone, "pos_code": "11", "country": "US",
               "formats": ["in_person"], "active": "on"}  # fmt: skip
    return _location_form(request, me, values, None)


@router.get("/scheduling/locations/{location_id}", name="settings.location_edit")
async def location_edit(request: Request, location_id: uuid.UUID, uow: Uow,
                        me: CurrentStaff) -> Response:  # fmt: skip
    require(me.actor, Action.manage_practice_profile)
    loc = await catalog.get_location(uow, location_id)
    values: dict[str, Any] = {n: getattr(loc, n) or "" for n in LOCATION_FIELDS}
    values |= {"formats": list(loc.formats), "active": "on" if loc.active else ""}
    return _location_form(request, me, values, location_id)


@router.post("/scheduling/locations", name="settings.location_create")
@router.post("/scheduling/locations/{location_id}", name="settings.location_save")
async def location_save(request: Request, uow: Uow, me: CurrentStaff, audit: Audit,
                        location_id: uuid.UUID | None = None) -> Response:  # fmt: skip
    require(me.actor, Action.manage_practice_profile)
    form = await read_form(request)
    values: dict[str, Any] = {n: field(form, n, 200) for n in (*LOCATION_FIELDS, "active")}
    values["formats"] = fields(form, "formats")
    data = catalog.LocationIn(
        name=values["name"], timezone=values["timezone"], formats=values["formats"],
        pos_code=values["pos_code"], address_line1=values["address_line1"] or None,
        address_line2=values["address_line2"] or None, city=values["city"] or None,
        region=values["region"] or None, postal_code=values["postal_code"] or None,
        country=values["country"] or "US",
    )  # fmt: skip
    try:
        async with savepoint(uow):
            if location_id is None:
                location = await catalog.create_location(uow, data)
            else:
                location = await catalog.get_location(uow, location_id)
                await catalog.update_location(uow, location, data, active=bool(values["active"]))
    except NotFound:
        raise
    except DomainError as exc:
        return _location_form(request, me, values, location_id, status=exc.status,
                              errors=exc.field_errors, message=exc.message)  # fmt: skip
    audit.subject("location", [location.id])
    return redirect(request, "/settings/scheduling", f"Location “{location.name}” saved.")


# --- availability --------------------------------------------------------------------------


async def _providers(uow: UnitOfWork, me: Authenticated) -> list[tuple[uuid.UUID, str]]:
    return [
        p for p in await calendars_for(uow, me.actor) if can(me.actor, Action.schedule_for, p[0])
    ]


def _chosen(
    raw: str, providers: list[tuple[uuid.UUID, str]], me: Authenticated
) -> uuid.UUID | None:
    ids = [p[0] for p in providers]
    wanted = parse_uuid(raw) if raw else (me.actor.acting_for_id or me.member.id)
    if raw and wanted not in ids:
        raise NotFound("No such calendar")  # someone else's, or not an id: 404
    return wanted if wanted in ids else (ids[0] if ids else None)


def _block_text(block: AvailabilityBlock, locations: dict[uuid.UUID, str],
                services: dict[uuid.UUID, str]) -> dict[str, str]:  # fmt: skip
    days = (
        ", ".join(DAY_LABELS[d] for d in block.weekdays)
        if block.weekdays
        else f"{block.on_date:%a %b %-d, %Y}"
    )
    until = f" to {block.effective_to:%b %-d, %Y}" if block.effective_to else ""
    return {
        "days": days,
        "hours": f"{block.start_time:%H:%M}–{block.end_time:%H:%M} ({block.timezone})",
        "where": locations.get(block.location_id, "—")
        + " · "
        + ", ".join(FORMAT_LABELS.get(f, f) for f in block.formats),
        "audience": AUDIENCE_LABELS.get(Audience(block.audience), block.audience),
        "services": ", ".join(services.get(s, "—") for s in block.service_ids) or "Any service",
        "effective": f"From {block.effective_from:%b %-d, %Y}{until}",
    }


async def _availability_page(request: Request, uow: UnitOfWork, me: Authenticated,
                             provider: uuid.UUID | None, providers: list[tuple[uuid.UUID, str]],
                             *, values: dict[str, Any] | None = None, status: int = 200,
                             errors: dict[str, str] | None = None,
                             message: str | None = None) -> Response:  # fmt: skip
    locations = await catalog.locations_of(uow, active_only=True)
    services = await catalog.services_of(uow, active_only=True)
    all_locations = {loc.id: loc.name for loc in await catalog.locations_of(uow)}
    all_services = {s.id: s.name for s in await catalog.services_of(uow)}
    blocks = await availability.blocks_of(uow, provider) if provider else []
    defaults = {
        "location_id": str(locations[0].id) if locations else "", "weekdays": ["0", "1", "2", "3"],
        "on_date": "", "start_time": "09:00", "end_time": "17:00", "audience": "both",
        "formats": [], "service_ids": [], "effective_from": today_of(request, me).isoformat(),
        "effective_to": "", "timezone": "",
    }  # fmt: skip
    return render(request, "settings/availability.html", page(
        me, "availability", provider=provider, providers=providers,
        provider_name=dict(providers).get(provider, "") if provider else "",
        blocks=[(b, _block_text(b, all_locations, all_services)) for b in blocks],
        location_options=[(loc.id, loc.name) for loc in locations],
        service_options=[(s.id, s.name) for s in services], format_labels=FORMAT_LABELS,
        audience_options=list(AUDIENCE_LABELS.items()), day_labels=DAY_LABELS,
        values=values or defaults, errors=errors or {}, message=message,
    ), status=status)  # fmt: skip


@router.get("/availability", name="settings.availability")
async def availability_view(request: Request, uow: Uow, me: CurrentStaff) -> Response:
    providers = await _providers(uow, me)
    provider = _chosen(request.query_params.get("provider", ""), providers, me)
    return await _availability_page(request, uow, me, provider, providers)


def _time(raw: str, name: str, errors: dict[str, str]) -> time:
    try:
        return time.fromisoformat(raw)
    except ValueError:
        errors[name] = "A time like 09:00."
        return time(0)


def _day(raw: str, name: str, errors: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = "A date like 2027-01-04."
        return None


@router.post("/availability", name="settings.availability_add")
async def availability_add(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    form = await read_form(request)
    providers = await _providers(uow, me)
    provider = _chosen(field(form, "provider_id", 60), providers, me)
    values: dict[str, Any] = {
        n: field(form, n, 60) for n in ("location_id", "on_date", "start_time", "end_time",
                                        "audience", "effective_from", "effective_to", "timezone")
    }  # fmt: skip
    for many in ("weekdays", "formats", "service_ids"):
        values[many] = fields(form, many)
    errors: dict[str, str] = {}
    location_id = uuid_field(form, "location_id")
    if location_id is None:
        errors["location_id"] = "Choose a location."
    start, end = (
        _time(values["start_time"], "start_time", errors),
        _time(values["end_time"], "end_time", errors),
    )
    on_date = _day(values["on_date"], "on_date", errors)
    effective_from = _day(values["effective_from"], "effective_from", errors)
    if effective_from is None and "effective_from" not in errors:
        errors["effective_from"] = "From which day?"
    effective_to = _day(values["effective_to"], "effective_to", errors)
    weekdays = [int(d) for d in values["weekdays"] if d in {"0", "1", "2", "3", "4", "5", "6"}]
    service_ids = [s for s in (parse_uuid(v) for v in values["service_ids"]) if s is not None]
    try:
        async with savepoint(uow):
            if provider is None:
                raise InvalidInput("Nobody to keep availability for",
                                   field_errors={"provider_id": "Choose a calendar."})  # fmt: skip
            try:
                if location_id is None or effective_from is None:
                    raise InvalidInput("The availability was not saved", field_errors={})
                block = await availability.create_block(uow, me.actor, availability.BlockIn(
                    provider_id=provider, location_id=location_id, audience=values["audience"],
                    start_time=start, end_time=end, effective_from=effective_from,
                    formats=tuple(values["formats"]), service_ids=tuple(service_ids),
                    weekdays=tuple(weekdays), on_date=on_date,
                    timezone=values["timezone"] or None, effective_to=effective_to,
                ))  # fmt: skip
            except InvalidInput as exc:
                errors = {**exc.field_errors, **errors}
            if errors:
                raise InvalidInput("The availability was not saved", field_errors=errors)
    except DomainError as exc:
        return await _availability_page(request, uow, me, provider, providers, values=values,
                                        status=exc.status, errors=exc.field_errors,
                                        message=exc.message)  # fmt: skip
    audit.subject("availability_block", [block.id])
    return redirect(request, f"/settings/availability?provider={provider}", "Availability added.")


@router.post("/availability/{block_id}/delete", name="settings.availability_delete")
async def availability_remove(request: Request, block_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                              audit: Audit) -> Response:  # fmt: skip
    block = await availability.get_block(uow, me.actor, block_id)
    if not can(me.actor, Action.schedule_for, block.provider_id):
        raise NotFound("No such availability")
    provider = block.provider_id
    await availability.delete_block(uow, block)
    audit.subject("availability_block", [block_id])
    return redirect(request, f"/settings/availability?provider={provider}", "Availability removed.")
