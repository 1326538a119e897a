"""Appointments (SCHED-*): booking fills from the service and location; a provider's
time-holding appointments never overlap — also under two concurrent bookings that both
try to commit — while a cancelled slot is rebookable; an appointment opens its case to its
provider; multi-person appointments track each participant's attendance."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import SessionMaker, open_unit, unit_of_work
from core.errors import Conflict, InvalidInput, NotFound
from models.orm.case import CaseAccess
from models.orm.scheduling import Appointment
from services.access import Action
from services.cases import commands
from services.cases.records import load_case
from services.scheduling import appointments as appts
from services.scheduling.catalog import LocationIn, ServiceIn, create_location, create_service
from tests.fixtures.cases import TODAY, Crew, open_case, person

TZ = "America/Chicago"
TUESDAY_10 = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)  # 10:00 in Chicago


@dataclass(frozen=True)
class Setup:
    service: uuid.UUID
    location: uuid.UUID
    video_only: uuid.UUID
    case: uuid.UUID


@pytest.fixture
async def setup(sessionmaker: SessionMaker, crew: Crew) -> Setup:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        service = await create_service(
            uow,
            ServiceIn(name="Individual therapy", duration_minutes=50, fee="150", cpt_code="90834"),
        )
        office = await create_location(
            uow, LocationIn(name="Office", timezone=TZ, formats=["in_person"], pos_code="11")
        )
        video = await create_location(
            uow, LocationIn(name="Telehealth", timezone=TZ, formats=["video"], pos_code="10")
        )
    case_id = await open_case(sessionmaker, crew, "individual", person("Ana", "Ruiz"))
    return Setup(service.id, office.id, video.id, case_id)


def booking(s: Setup, starts_at: datetime = TUESDAY_10, **extra: object) -> appts.Booking:
    return appts.Booking(
        case_id=extra.pop("case_id", s.case),  # type: ignore[arg-type]
        service_id=s.service, location_id=s.location, starts_at=starts_at, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


async def book(
    sessionmaker: SessionMaker, crew: Crew, data: appts.Booking, who: str = "provider"
) -> Appointment:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        return await appts.book(uow, crew.actor(who), data, tz=TZ, now=TUESDAY_10)


async def change(
    sessionmaker: SessionMaker, crew: Crew, appointment_id: uuid.UUID, *,
    status: str | None = None, to: datetime | None = None,
) -> None:  # fmt: skip
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        a = await appts.load_appointment(
            uow, crew.actor("provider"), appointment_id, Action.change_case
        )
        if status is not None:
            await appts.set_status(uow, a, status, tz=TZ, now=TUESDAY_10)
        if to is not None:
            await appts.reschedule(uow, a, to, tz=TZ)


async def test_a_booking_takes_duration_fee_and_place_from_service_and_location(
    sessionmaker: SessionMaker, crew: Crew, setup: Setup
) -> None:
    a = await book(sessionmaker, crew, booking(setup))
    assert a.ends_at - a.starts_at == timedelta(minutes=50)
    assert (a.fee_cents, a.pos_code, a.format) == (15000, "11", "in_person")
    assert a.provider_id == crew.team.provider.id and a.sequence == 0


async def test_overlapping_time_is_refused_naming_the_clash(
    sessionmaker: SessionMaker, crew: Crew, setup: Setup
) -> None:
    await book(sessionmaker, crew, booking(setup))
    other = await open_case(sessionmaker, crew, "individual", person("Ben", "Cole"))
    with pytest.raises(Conflict) as info:
        await book(
            sessionmaker, crew, booking(setup, TUESDAY_10 + timedelta(minutes=30), case_id=other)
        )
    assert "Tue Dec 8, 2026 10:00–10:50 CST" in info.value.message
    # Back to back is fine: the ranges are half-open.
    await book(
        sessionmaker, crew, booking(setup, TUESDAY_10 + timedelta(minutes=50), case_id=other)
    )


async def test_two_concurrent_bookings_cannot_both_commit(
    sessionmaker: SessionMaker, crew: Crew, setup: Setup
) -> None:
    other = await open_case(sessionmaker, crew, "individual", person("Ben", "Cole"))
    both_checked = asyncio.Event()
    checked = 0

    async def attempt(case_id: uuid.UUID) -> str:
        nonlocal checked
        uow = await open_unit(sessionmaker, crew.practice_id)
        try:
            # Both pass the friendly check before either has written anything …
            assert (
                await appts.clash_of(
                    uow, crew.team.provider.id, TUESDAY_10, TUESDAY_10 + timedelta(minutes=50)
                )
                is None
            )
            checked += 1
            if checked == 2:
                both_checked.set()
            await both_checked.wait()
            # … so only the constraint stands between them.
            await appts.book(
                uow, crew.actor("provider"), booking(setup, case_id=case_id), tz=TZ, now=TUESDAY_10
            )
            await uow.commit()
            return "booked"
        except Conflict:
            return "conflict"
        finally:
            await uow.close()

    results = await asyncio.wait_for(asyncio.gather(attempt(setup.case), attempt(other)), 30)
    assert sorted(results) == ["booked", "conflict"]
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Appointment)) == 1


async def test_a_cancelled_slot_is_rebookable_and_cannot_be_reinstated_over_it(
    sessionmaker: SessionMaker, crew: Crew, setup: Setup
) -> None:
    first = await book(sessionmaker, crew, booking(setup))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        a = await appts.load_appointment(uow, crew.actor("provider"), first.id, Action.change_case)
        await appts.set_status(uow, a, "cancelled_by_client", tz=TZ, now=TUESDAY_10)
        assert a.sequence == 1 and a.cancelled_at is not None
    other = await open_case(sessionmaker, crew, "individual", person("Ben", "Cole"))
    await book(sessionmaker, crew, booking(setup, case_id=other))
    with pytest.raises(Conflict):
        await change(sessionmaker, crew, first.id, status="scheduled")


async def test_rescheduling_bumps_the_sequence_and_checks_the_new_time(
    sessionmaker: SessionMaker, crew: Crew, setup: Setup
) -> None:
    first = await book(sessionmaker, crew, booking(setup))
    other = await open_case(sessionmaker, crew, "individual", person("Ben", "Cole"))
    second = await book(
        sessionmaker, crew, booking(setup, TUESDAY_10 + timedelta(hours=2), case_id=other)
    )
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        a = await appts.load_appointment(uow, crew.actor("provider"), first.id, Action.change_case)
        await appts.reschedule(uow, a, TUESDAY_10 + timedelta(days=1), tz=TZ)
        assert a.sequence == 1
    with pytest.raises(Conflict):
        await change(sessionmaker, crew, first.id, to=second.starts_at + timedelta(minutes=10))


async def test_an_appointment_opens_the_case_to_its_provider(
    sessionmaker: SessionMaker, crew: Crew, setup: Setup
) -> None:
    with pytest.raises(NotFound):
        async with unit_of_work(sessionmaker, crew.practice_id) as uow:
            await load_case(uow, crew.actor("other"), setup.case)
    # The owner books the second provider into the first provider's case (a co-therapist).
    appointment = await book(
        sessionmaker, crew, booking(setup, provider_id=crew.other.id), who="owner"
    )
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        _, grants = await load_case(uow, crew.actor("other"), setup.case)
        assert grants.grants == {"own"}
        reasons = set(await uow.session.scalars(
            select(CaseAccess.reason).where(CaseAccess.case_id == setup.case, CaseAccess.staff_id == crew.other.id)
        ))  # fmt: skip
        assert reasons == {"appointment"}
        a = await appts.load_appointment(
            uow, crew.actor("owner"), appointment.id, Action.change_case
        )
        a.provider_id = crew.team.provider.id  # moved back to the case's provider
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        with pytest.raises(NotFound):
            await load_case(uow, crew.actor("other"), setup.case)


async def test_bad_bookings_are_refused_with_reasons(
    sessionmaker: SessionMaker, crew: Crew, setup: Setup
) -> None:
    with pytest.raises(InvalidInput) as info:
        await book(
            sessionmaker, crew, booking(setup, format="video", modifiers=("77",), pos_code="x")
        )
    assert set(info.value.field_errors) == {"format", "modifiers", "pos_code"}
    with pytest.raises(InvalidInput):
        await book(sessionmaker, crew, booking(setup, datetime(2026, 12, 8, 10, 0)))  # noqa: DTZ001
    with pytest.raises(InvalidInput) as info:
        await book(sessionmaker, crew, booking(setup, provider_id=crew.other.id))
    assert "provider_id" in info.value.field_errors  # not the provider's own calendar
    theirs = await open_case(sessionmaker, crew, "individual", person("X", "Y"), by="other",
                             provider=crew.other.id)  # fmt: skip
    with pytest.raises(NotFound):  # a case the viewer does not reach
        await book(sessionmaker, crew, booking(setup, case_id=theirs))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Appointment)) == 0


async def test_group_attendance_per_participant(
    sessionmaker: SessionMaker, crew: Crew, setup: Setup
) -> None:
    group = await open_case(
        sessionmaker, crew, "therapy_group", person("G", "One"), person("G", "Two"), person("G", "Three"),
        name="Thursday group", opened_on=date(2026, 11, 1),
    )  # fmt: skip
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, group, for_update=True)
        three = (await commands.participants_of(uow, group))[2].person_id
        await commands.end_participation(uow, case, three, TODAY, TODAY)
    a = await book(sessionmaker, crew, booking(setup, case_id=group))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        rows = await appts.attendance_of(uow, a.id)
        assert len(rows) == 2 and {r.status for r in rows} == {"expected"}
        loaded = await appts.load_appointment(uow, actor, a.id, Action.change_case)
        await appts.set_attendance(uow, loaded, rows[0].person_id, "present")
        await appts.set_attendance(uow, loaded, rows[1].person_id, "absent")
        with pytest.raises(NotFound):
            await appts.set_attendance(uow, loaded, three, "present")  # left before the day
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        assert sorted(r.status for r in await appts.attendance_of(uow, a.id)) == [
            "absent",
            "present",
        ]
