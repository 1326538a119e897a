"""The calendar: a provider's (or the practice's) day or week, in one query.

Days are the viewer's (practice) local days; each appointment is placed at its local time
in the practice zone and labelled in its location's zone when that differs (CAL: "each
appointment in its local time with the zone shown when it differs from the viewer's").
Whose calendars a viewer may open: `services.access.case_scope` — themselves and their
supervisees; an admin the provider they work for; owners everyone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.db import UnitOfWork
from models.orm.case import Case
from models.orm.scheduling import Appointment, Location, PracticeService
from models.orm.staff import StaffMember, StaffStatus
from services.access import Actor, case_scope

DAY_START, DAY_END = 7, 21  # the hours a week view shows (earlier/later ones are listed)


@dataclass(frozen=True)
class Slot:
    id: uuid.UUID
    case_id: uuid.UUID
    case_name: str
    service: str
    provider_id: uuid.UUID
    status: str
    format: str
    starts_local: datetime  # in the viewer's zone
    ends_local: datetime
    location_label: str | None  # "10:00 ET" when the location's zone differs

    @property
    def minutes_from_top(self) -> int:
        return (self.starts_local.hour - DAY_START) * 60 + self.starts_local.minute

    @property
    def length_minutes(self) -> int:
        return int((self.ends_local - self.starts_local).total_seconds() // 60)

    @property
    def top_step(self) -> int:
        """Five-minute steps from the top of the grid (clamped to the hours shown)."""
        return max(0, min(self.minutes_from_top // 5, (DAY_END - DAY_START) * 12))

    @property
    def height_steps(self) -> int:
        room = (DAY_END - DAY_START) * 12 - self.top_step
        return max(4, min(self.length_minutes // 5, room, (DAY_END - DAY_START) * 12))

    @property
    def cancelled(self) -> bool:
        return self.status not in ("scheduled", "attended", "no_show")


@dataclass
class Day:
    day: date
    slots: list[Slot] = field(default_factory=list)


@dataclass(frozen=True)
class Calendar:
    start: date
    days: list[Day]
    providers: list[tuple[uuid.UUID, str]]  # the calendars shown
    tz: str
    # The same slots by provider, then by day (the practice view's rows): grouped once here
    # rather than filtered per cell in the template.
    rows: dict[uuid.UUID, list[list[Slot]]] = field(default_factory=dict)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def calendars_for(uow: UnitOfWork, actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """The providers whose calendars the viewer may open (active clinicians)."""
    query = select(StaffMember.id, StaffMember.display_name).where(
        StaffMember.practice_id == actor.practice_id,
        StaffMember.status == StaffStatus.active,
        StaffMember.role != "admin",
    )
    scope = case_scope(actor)
    if scope is not None:
        query = query.where(StaffMember.id.in_(sorted(scope)))
    rows = await uow.session.execute(query.order_by(StaffMember.display_name, StaffMember.id))
    return [(r.id, r.display_name) for r in rows]


async def calendar(
    uow: UnitOfWork,
    providers: list[tuple[uuid.UUID, str]],
    start: date,
    days: int,
    tz: str,
    *,
    location_id: uuid.UUID | None = None,
) -> Calendar:
    zone = ZoneInfo(tz)
    begin = datetime.combine(start, time(0), tzinfo=zone)
    end = datetime.combine(start + timedelta(days=days), time(0), tzinfo=zone)
    ids = [p[0] for p in providers]
    # Columns, not ORM objects: the practice week holds thousands of slots.
    query = (
        select(
            Appointment.id,
            Appointment.case_id,
            Appointment.provider_id,
            Appointment.status,
            Appointment.format,
            Appointment.starts_at,
            Appointment.ends_at,
            Case.name,
            PracticeService.name,
            Location.timezone,
        )
        .join(
            Case, (Case.practice_id == Appointment.practice_id) & (Case.id == Appointment.case_id)
        )
        .join(
            PracticeService,
            (PracticeService.practice_id == Appointment.practice_id)
            & (PracticeService.id == Appointment.service_id),
        )
        .join(
            Location,
            (Location.practice_id == Appointment.practice_id)
            & (Location.id == Appointment.location_id),
        )
        .where(
            Appointment.practice_id == uow.practice_id,
            Appointment.provider_id.in_(ids),
            Appointment.starts_at < end,
            Appointment.starts_at >= begin - timedelta(hours=12),
            Appointment.ends_at > begin,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if location_id is not None:
        query = query.where(Appointment.location_id == location_id)
    grid = [Day(start + timedelta(days=i)) for i in range(days)]
    index = {d.day: i for i, d in enumerate(grid)}
    rows: dict[uuid.UUID, list[list[Slot]]] = {pid: [[] for _ in grid] for pid in ids}
    other_zones: dict[str, ZoneInfo] = {}
    for (
        appt_id, case_id, provider_id, status, fmt, starts_at, ends_at, case_name,
        service_name, location_tz,
    ) in (await uow.session.execute(query)).all():  # fmt: skip
        local = starts_at.astimezone(zone)
        i = index.get(local.date())
        if i is None:
            continue
        label = None
        if location_tz != tz:
            there_zone = other_zones.setdefault(location_tz, ZoneInfo(location_tz))
            label = f"{starts_at.astimezone(there_zone):%H:%M %Z}"
        slot = Slot(
            appt_id, case_id, case_name, service_name, provider_id, status, fmt, local,
            ends_at.astimezone(zone), label,
        )  # fmt: skip
        grid[i].slots.append(slot)
        rows[provider_id][i].append(slot)
    return Calendar(start, grid, providers, tz, rows)
