"""Recurring series in the database: weekly sessions keep 10:00 across the DST change,
materializing twice adds nothing, the horizon job extends and turns a clash into a task
(not a failure), "this and following" ends one series and starts the next, and a group's
roster on each day decides its attendance rows."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.db import SessionMaker, UnitOfWork, unit_of_work
from core.errors import Conflict
from models.orm.scheduling import Appointment, AppointmentSeries
from models.orm.task import Task
from services.attention import planned_checks
from services.cases import commands
from services.cases.records import load_case
from services.scheduling import appointments as appts
from services.scheduling import series as series_svc
from services.scheduling.catalog import LocationIn, ServiceIn, create_location, create_service
from tests.fixtures.cases import Crew, open_case, person

TZ = "America/Chicago"
NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


async def _setup(
    sessionmaker: SessionMaker, crew: Crew, kind: str = "individual"
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        service = await create_service(
            uow, ServiceIn(name="Therapy", duration_minutes=50, fee="150", cpt_code="90834")
        )
        office = await create_location(
            uow, LocationIn(name="Office", timezone=TZ, formats=["in_person"])
        )
    people = (
        [person("Ana", "Ruiz")]
        if kind == "individual"
        else [person("G", "One"), person("G", "Two")]
    )
    case_id = await open_case(sessionmaker, crew, kind, *people, name="Group" if kind != "individual" else None,
                              opened_on=date(2026, 9, 1))  # fmt: skip
    return service.id, office.id, case_id


def weekly(
    service: uuid.UUID, office: uuid.UUID, case_id: uuid.UUID, first: datetime, **extra: object
) -> series_svc.SeriesIn:
    return series_svc.SeriesIn(
        booking=appts.Booking(
            case_id=case_id, service_id=service, location_id=office, starts_at=first
        ),
        **extra,  # type: ignore[arg-type]
    )


async def starts(sessionmaker: SessionMaker, crew: Crew) -> list[datetime]:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        rows = await uow.session.scalars(
            select(Appointment.starts_at)
            .where(Appointment.status == "scheduled")
            .order_by(Appointment.starts_at)
        )
        return [r.astimezone(ZoneInfo(TZ)) for r in rows]


async def test_a_weekly_series_keeps_ten_across_the_dst_change(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    service, office, case_id = await _setup(sessionmaker, crew)
    first = datetime(2026, 10, 20, 10, 0, tzinfo=ZoneInfo(TZ))  # US clocks fall back Nov 1
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        series, done = await series_svc.create_series(
            uow,
            crew.actor("provider"),
            weekly(service, office, case_id, first, occurrences=4),
            tz=TZ,
            now=NOW,
        )
        assert series.rrule == "FREQ=WEEKLY;BYDAY=TU;COUNT=4"
    assert (done.created, done.clashes) == (4, 0)
    local = await starts(sessionmaker, crew)
    assert [(t.date().isoformat(), t.hour) for t in local] == [
        ("2026-10-20", 10), ("2026-10-27", 10), ("2026-11-03", 10), ("2026-11-10", 10),
    ]  # fmt: skip
    assert {t.utcoffset() for t in local} == {timedelta(hours=-5), timedelta(hours=-6)}
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:  # twice: nothing new
        series = (await uow.session.scalars(select(AppointmentSeries))).one()
        again = await series_svc.materialize(uow, series, until=NOW + timedelta(weeks=20), now=NOW)
    assert again.created == 0


async def test_the_horizon_extends_and_a_clash_becomes_a_task(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    assert "series_horizon" in planned_checks()
    service, office, case_id = await _setup(sessionmaker, crew)
    other = await open_case(sessionmaker, crew, "individual", person("Ben", "Cole"))
    first = datetime(2026, 10, 6, 9, 0, tzinfo=ZoneInfo(TZ))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        series, done = await series_svc.create_series(
            uow, crew.actor("provider"), weekly(service, office, case_id, first), tz=TZ, now=NOW
        )
    assert done.created == 12  # Tuesdays up to twelve weeks past NOW
    # Someone books the slot the series will need in week 14.
    clash_at = first + timedelta(weeks=14)
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        await appts.book(uow, crew.actor("provider"),
                         appts.Booking(case_id=other, service_id=service, location_id=office,
                                       starts_at=clash_at), tz=TZ, now=NOW)  # fmt: skip
    later = NOW + timedelta(weeks=4)
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        counts = await series_svc.extend_horizons(uow, later)
        again = await series_svc.extend_horizons(uow, later)
        tasks = list(await uow.session.scalars(select(Task).where(Task.kind == "schedule_clash")))
        total = await uow.session.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.series_id == series.id)
        )
    assert counts["clashes"] == 1 and counts["created"] == 3
    assert again == {"series": 0, "created": 0, "clashes": 0}
    assert len(tasks) == 1 and tasks[0].assignee_id == crew.team.provider.id
    assert tasks[0].subject_id == case_id and "clashes with another booking" in tasks[0].title
    assert total == done.created + 3


async def test_this_and_following_moves_the_rest_of_the_series(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    service, office, case_id = await _setup(sessionmaker, crew)
    first = datetime(2026, 10, 6, 9, 0, tzinfo=ZoneInfo(TZ))
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        series, _ = await series_svc.create_series(
            uow, actor, weekly(service, office, case_id, first, occurrences=6), tz=TZ, now=NOW
        )
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        s = await uow.session.get(AppointmentSeries, series.id)
        assert s is not None
        third = datetime(2026, 10, 20, 9, 0)  # noqa: DTZ001 (the occurrence's local time)
        new_first = datetime(2026, 10, 22, 14, 0, tzinfo=ZoneInfo(TZ))  # Thursdays at 14:00
        _, done = await series_svc.change_following(
            uow,
            actor,
            s,
            third,
            weekly(service, office, case_id, new_first, occurrences=4),
            tz=TZ,
            now=NOW,
        )
    local = await starts(sessionmaker, crew)
    assert [(t.strftime("%a %m-%d %H:%M")) for t in local] == [
        "Tue 10-06 09:00", "Tue 10-13 09:00",
        "Thu 10-22 14:00", "Thu 10-29 14:00", "Thu 11-05 14:00", "Thu 11-12 14:00",
    ]  # fmt: skip
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        s = await uow.session.get(AppointmentSeries, series.id)
        assert s is not None and s.last_day == date(2026, 10, 19)
        cancelled = await uow.session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(
                Appointment.series_id == series.id, Appointment.status == "cancelled_by_practice"
            )
        )
    assert cancelled == 4 and done.created == 4


async def test_a_clash_on_the_first_day_is_the_users_to_fix(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    service, office, case_id = await _setup(sessionmaker, crew)
    other = await open_case(sessionmaker, crew, "individual", person("Ben", "Cole"))
    first = datetime(2026, 10, 6, 9, 0, tzinfo=ZoneInfo(TZ))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        await appts.book(uow, crew.actor("provider"), appts.Booking(case_id=other, service_id=service,
                         location_id=office, starts_at=first), tz=TZ, now=NOW)  # fmt: skip
    with pytest.raises(Conflict):
        async with unit_of_work(sessionmaker, crew.practice_id) as uow:
            await series_svc.create_series(
                uow, crew.actor("provider"), weekly(service, office, case_id, first), tz=TZ, now=NOW
            )


async def test_group_series_attendance_follows_the_roster(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    service, office, group = await _setup(sessionmaker, crew, "therapy_group")
    first = datetime(2026, 10, 6, 18, 0, tzinfo=ZoneInfo(TZ))  # 18:00 CDT = 23:00 UTC, the same day
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        await series_svc.create_series(
            uow,
            crew.actor("provider"),
            weekly(service, office, group, first, occurrences=2),
            tz=TZ,
            now=NOW,
        )
        rows = await uow.session.scalars(select(Appointment.id).order_by(Appointment.starts_at))
        counts = [len(await appts.attendance_of(uow, a)) for a in list(rows)]
    assert counts == [2, 2]


async def test_a_roster_change_applies_to_future_occurrences_only(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    service, office, group = await _setup(sessionmaker, crew, "therapy_group")
    first = datetime(2026, 12, 1, 18, 0, tzinfo=ZoneInfo(TZ))  # Tuesdays from TODAY
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        await series_svc.create_series(
            uow, actor, weekly(service, office, group, first, occurrences=3), tz=TZ, now=NOW
        )
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, group, for_update=True)
        one = (await commands.participants_of(uow, group))[0].person_id
        await appts_attendance_mark(uow, group, "present")  # the first session happened
        await commands.add_participant(
            uow, actor, case, commands.Joiner(person=person("New", "Member"), joined_on=date(2026, 12, 8)),
            date(2026, 12, 2),
        )  # fmt: skip
        await commands.end_participation(uow, case, one, date(2026, 12, 9), date(2026, 12, 9))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        ids = list(
            await uow.session.scalars(select(Appointment.id).order_by(Appointment.starts_at))
        )
        sizes = [len(await appts.attendance_of(uow, a)) for a in ids]
    # Dec 1: the two who were there (recorded, kept); Dec 8: two + the newcomer;
    # Dec 15: the one who left is no longer expected.
    assert sizes == [2, 3, 2]


async def appts_attendance_mark(uow: UnitOfWork, case_id: uuid.UUID, status: str) -> None:
    first = await uow.session.scalar(
        select(Appointment)
        .where(Appointment.case_id == case_id)
        .order_by(Appointment.starts_at)
        .limit(1)
    )
    assert first is not None
    for row in await appts.attendance_of(uow, first.id):
        row.status = status
