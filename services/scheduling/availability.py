"""Availability blocks (AVAIL-*): when a provider offers which care where.

A block holds a provider, a location and the formats it offers there (only formats the
location has: a telehealth request never sees office-only time, AVAIL-3), the services it
is for (none: any service, AVAIL-4), the audience (new clients, existing clients, both, or
staff-only time that is never offered publicly), weekly weekdays or one specific date, the
hours in its own TZID, and effective dates. Who may edit: the provider, or the owner or an
admin working for them (AVAIL-8). Slots for online booking come from these later.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from models.orm.scheduling import Audience, AvailabilityBlock, PracticeService
from services.access import Action, Actor, can
from services.scheduling.catalog import get_location


@dataclass(frozen=True)
class BlockIn:
    provider_id: uuid.UUID
    location_id: uuid.UUID
    audience: str
    start_time: time
    end_time: time
    effective_from: date
    formats: tuple[str, ...] = ()  # none: every format of the location
    service_ids: tuple[uuid.UUID, ...] = ()
    weekdays: tuple[int, ...] = ()
    on_date: date | None = None
    timezone: str | None = None  # none: the location's
    effective_to: date | None = None


async def _values(uow: UnitOfWork, actor: Actor, data: BlockIn) -> dict[str, object]:
    errors: dict[str, str] = {}
    if not can(actor, Action.schedule_for, data.provider_id):
        errors["provider_id"] = "You keep your own availability (an admin: their provider's)."
    location = await get_location(uow, data.location_id)
    formats = sorted(set(data.formats)) or sorted(location.formats)
    if any(f not in location.formats for f in formats):
        errors["formats"] = f"{location.name} offers {', '.join(location.formats)} only."
    if data.audience not in Audience.__members__:
        errors["audience"] = "Choose new clients, existing clients, both, or staff only."
    if data.service_ids:
        known = set(
            await uow.session.scalars(
                select(PracticeService.id).where(
                    PracticeService.practice_id == uow.practice_id,
                    PracticeService.id.in_(data.service_ids),
                )
            )
        )
        if known != set(data.service_ids):
            errors["service_ids"] = "Choose services of this practice."
    weekdays = sorted(set(data.weekdays))
    if (not weekdays) == (data.on_date is None):
        errors["weekdays"] = "Choose the days of the week, or one date."
    if any(not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = "Choose days of the week."
    if data.end_time <= data.start_time:
        errors["end_time"] = "The block ends after it starts."
    if data.effective_to is not None and data.effective_to < data.effective_from:
        errors["effective_to"] = "The last day is on or after the first."
    tz = data.timezone or location.timezone
    try:
        ZoneInfo(tz)
    except (ValueError, KeyError):
        errors["timezone"] = "Choose a time zone such as America/Chicago."
    if errors:
        raise InvalidInput("The availability was not saved", field_errors=errors)
    return {
        "provider_id": data.provider_id, "location_id": location.id, "formats": formats,
        "service_ids": sorted(set(data.service_ids)), "audience": data.audience,
        "weekdays": weekdays, "on_date": data.on_date, "start_time": data.start_time,
        "end_time": data.end_time, "timezone": tz, "effective_from": data.effective_from,
        "effective_to": data.effective_to,
    }  # fmt: skip


async def create_block(uow: UnitOfWork, actor: Actor, data: BlockIn) -> AvailabilityBlock:
    assert uow.practice_id is not None
    block = AvailabilityBlock(
        id=uuid.uuid4(), practice_id=uow.practice_id, **await _values(uow, actor, data)
    )
    uow.session.add(block)
    await uow.session.flush()
    return block


async def get_block(uow: UnitOfWork, actor: Actor, block_id: uuid.UUID) -> AvailabilityBlock:
    block = await uow.session.scalar(
        select(AvailabilityBlock).where(
            AvailabilityBlock.practice_id == uow.practice_id, AvailabilityBlock.id == block_id
        )
    )
    if block is None or not (
        can(actor, Action.schedule_for, block.provider_id) or block.provider_id == actor.staff_id
    ):
        raise NotFound("No such availability")
    return block


async def update_block(
    uow: UnitOfWork, actor: Actor, block: AvailabilityBlock, data: BlockIn
) -> None:
    for name, value in (await _values(uow, actor, data)).items():
        setattr(block, name, value)
    await uow.session.flush()


async def delete_block(uow: UnitOfWork, block: AvailabilityBlock) -> None:
    await uow.session.delete(block)
    await uow.session.flush()


async def blocks_of(uow: UnitOfWork, provider_id: uuid.UUID) -> list[AvailabilityBlock]:
    return list(
        await uow.session.scalars(
            select(AvailabilityBlock)
            .where(
                AvailabilityBlock.practice_id == uow.practice_id,
                AvailabilityBlock.provider_id == provider_id,
            )
            .order_by(AvailabilityBlock.effective_from, AvailabilityBlock.start_time)
        )
    )


def blocks_on(
    blocks: list[AvailabilityBlock], day: date, *, public: bool
) -> list[AvailabilityBlock]:
    """The blocks that apply on `day` (public: without staff-only time)."""
    return [
        b for b in blocks
        if b.applies_on(day) and not (public and b.audience == Audience.staff_only)
    ]  # fmt: skip


def open_hours(blocks: list[AvailabilityBlock], day: date, tz: str, hours: range) -> set[int]:
    """The hours of `day` (local to `tz`, the viewer's zone) that some bookable block
    overlaps — the calendar greys out the rest. Staff-only time is not open to clients."""
    zone = ZoneInfo(tz)
    out: set[int] = set()
    for b in blocks_on(blocks, day, public=True):
        there = ZoneInfo(b.timezone)
        start = datetime.combine(day, b.start_time, tzinfo=there).astimezone(zone)
        end = datetime.combine(day, b.end_time, tzinfo=there).astimezone(zone)
        for h in hours:
            at = datetime.combine(day, time(h), tzinfo=zone)
            if start < at + timedelta(hours=1) and end > at:
                out.add(h)
    return out
