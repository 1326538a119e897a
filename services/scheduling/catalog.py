"""The practice's services (CPT code, name, duration, fee, kind) and locations (address,
time zone, place-of-service code, formats). Owners, and admins the owner lets manage the
practice profile, keep them; everyone reads them to book."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from models.orm.scheduling import Format, Location, PracticeService, ServiceKind
from services.people.fields import one_line
from services.practices import validate_timezone

CPT = re.compile(r"^[0-9]{4}[0-9A-Z]$")
POS = re.compile(r"^[0-9]{2}$")


def fee_cents(value: str) -> int:
    raw = value.strip().removeprefix("$").replace(",", "")
    try:
        amount = Decimal(raw or "0")
    except InvalidOperation:
        raise ValueError("Enter a fee like 150 or 150.00.") from None
    if not amount.is_finite() or amount < 0 or amount > 100000:
        raise ValueError("A fee from 0 to 100,000.")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError("At most two decimals.")
    return int(cents)


@dataclass(frozen=True)
class ServiceIn:
    name: str
    duration_minutes: int
    fee: str
    cpt_code: str | None = None
    kind: str = ServiceKind.therapy


def _service_values(data: ServiceIn) -> dict[str, object]:
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    try:
        values["name"] = one_line(data.name, 120)
    except ValueError as exc:
        errors["name"] = str(exc)
    if not values.get("name") and "name" not in errors:
        errors["name"] = "Name the service (like Individual therapy, 50 min)."
    code = (data.cpt_code or "").strip().upper() or None
    if code is not None and not CPT.match(code):
        errors["cpt_code"] = "A CPT or HCPCS code has five characters, like 90834."
    values["cpt_code"] = code
    if data.kind not in ServiceKind.__members__:
        errors["kind"] = "Choose therapy, consultation or workshop."
    values["kind"] = data.kind
    if not 5 <= data.duration_minutes <= 600:
        errors["duration_minutes"] = "From 5 to 600 minutes."
    values["duration_minutes"] = data.duration_minutes
    try:
        values["fee_cents"] = fee_cents(data.fee)
    except ValueError as exc:
        errors["fee"] = str(exc)
    if errors:
        raise InvalidInput("The service was not saved", field_errors=errors)
    return values


async def create_service(uow: UnitOfWork, data: ServiceIn) -> PracticeService:
    assert uow.practice_id is not None
    service = PracticeService(id=uuid.uuid4(), practice_id=uow.practice_id, **_service_values(data))
    uow.session.add(service)
    await uow.session.flush()
    return service


async def update_service(
    uow: UnitOfWork, service: PracticeService, data: ServiceIn, *, active: bool = True
) -> None:
    for name, value in _service_values(data).items():
        setattr(service, name, value)
    service.active = active
    await uow.session.flush()


@dataclass(frozen=True)
class LocationIn:
    name: str
    timezone: str
    formats: list[str]
    pos_code: str = "11"
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str = "US"


def _location_values(data: LocationIn) -> dict[str, object]:
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    for name, limit in (("name", 120), ("address_line1", 200), ("address_line2", 200),
                        ("city", 100), ("region", 100), ("postal_code", 20)):  # fmt: skip
        try:
            values[name] = one_line(getattr(data, name), limit)
        except ValueError as exc:
            errors[name] = str(exc)
    if not values.get("name") and "name" not in errors:
        errors["name"] = "Name the location (like Office, Telehealth, Phone)."
    try:
        values["timezone"] = validate_timezone(data.timezone)
    except InvalidInput:
        errors["timezone"] = "Choose a time zone such as America/Chicago."
    formats = sorted(set(data.formats))
    if not formats or any(f not in Format.__members__ for f in formats):
        errors["formats"] = "Choose in person, video or phone (one or more)."
    values["formats"] = formats
    pos = data.pos_code.strip()
    if not POS.match(pos):
        errors["pos_code"] = (
            "A place-of-service code is two digits: 11 office, 02 or 10 telehealth."
        )
    values["pos_code"] = pos
    country = data.country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        errors["country"] = "Use the two-letter country code."
    values["country"] = country
    if errors:
        raise InvalidInput("The location was not saved", field_errors=errors)
    return values


async def create_location(uow: UnitOfWork, data: LocationIn) -> Location:
    assert uow.practice_id is not None
    location = Location(id=uuid.uuid4(), practice_id=uow.practice_id, **_location_values(data))
    uow.session.add(location)
    await uow.session.flush()
    return location


async def update_location(
    uow: UnitOfWork, location: Location, data: LocationIn, *, active: bool = True
) -> None:
    for name, value in _location_values(data).items():
        setattr(location, name, value)
    location.active = active
    await uow.session.flush()


async def services_of(uow: UnitOfWork, *, active_only: bool = False) -> list[PracticeService]:
    query = select(PracticeService).where(PracticeService.practice_id == uow.practice_id)
    if active_only:
        query = query.where(PracticeService.active.is_(True))
    return list(await uow.session.scalars(query.order_by(PracticeService.name)))


async def locations_of(uow: UnitOfWork, *, active_only: bool = False) -> list[Location]:
    query = select(Location).where(Location.practice_id == uow.practice_id)
    if active_only:
        query = query.where(Location.active.is_(True))
    return list(await uow.session.scalars(query.order_by(Location.name)))


async def get_service(uow: UnitOfWork, service_id: uuid.UUID) -> PracticeService:
    service = await uow.session.scalar(
        select(PracticeService).where(
            PracticeService.practice_id == uow.practice_id, PracticeService.id == service_id
        )
    )
    if service is None:
        raise NotFound("No such service")
    return service


async def get_location(uow: UnitOfWork, location_id: uuid.UUID) -> Location:
    location = await uow.session.scalar(
        select(Location).where(Location.practice_id == uow.practice_id, Location.id == location_id)
    )
    if location is None:
        raise NotFound("No such location")
    return location
