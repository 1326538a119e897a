"""A series from one of its sessions (the appointment page's Series card): change this and
following or all upcoming (the day sets the new weekday, the rest of a counted series
carries over), cancel this and following (one notice, not one per session); a clash, a
bad day or a past session re-renders the page with the message and changes nothing; a
provider without the case gets 404."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from httpx import AsyncClient

from core.db import SessionMaker, unit_of_work
from services.scheduling import appointments as appts
from services.scheduling.catalog import LocationIn, ServiceIn, create_location, create_service
from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.cases import Crew, open_case, person
from tests.fixtures.db import Database
from tests.fixtures.tasks import NOW
from tests.scheduling.test_calendar_pages import texts

TZ = "America/Chicago"


async def _setup(sessionmaker: SessionMaker, crew: Crew) -> tuple[str, str, uuid.UUID]:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        service = await create_service(
            uow, ServiceIn(name="Psychotherapy", duration_minutes=50, fee="150", cpt_code="90834")
        )
        office = await create_location(
            uow, LocationIn(name="Office", timezone=TZ, formats=["in_person"])
        )
    case = await open_case(
        sessionmaker, crew, "individual", person("Rosa", "Diaz", email="rosa@example.org")
    )
    return str(service.id), str(office.id), case


async def _book_weekly(client: AsyncClient, service: str, office: str, case: uuid.UUID) -> None:
    booked = await client.post("/appointments", data={
        "case_id": str(case), "service_id": service, "location_id": office,
        "date": "2026-12-08", "time": "10:00", "repeat": "weekly", "count": "6",
    })  # fmt: skip
    assert booked.status_code == 303, texts(booked.text)


def sessions(db: Database) -> list[tuple[str, str]]:
    """(local start, status) of every appointment, in order."""
    with db.owner() as owner:
        rows = owner.execute(
            "SELECT starts_at, status FROM appointments ORDER BY starts_at, status"
        ).fetchall()
    return [(r[0].astimezone(ZoneInfo(TZ)).strftime("%a %m-%d %H:%M"), r[1]) for r in rows]


def session_id(db: Database, local: str) -> str:
    start = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(TZ))
    with db.owner() as owner:
        row = owner.execute(
            "SELECT id FROM appointments WHERE starts_at = %s AND status = 'scheduled'", (start,)
        ).fetchone()
    assert row is not None
    return str(row[0])


def notices(db: Database) -> list[str]:
    with db.owner() as owner:
        return [r[0] for r in owner.execute(
            "SELECT kind FROM appointment_notices ORDER BY created_at, kind").fetchall()]  # fmt: skip


async def test_change_this_and_following_then_cancel_the_rest(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    service, office, case = await _setup(sessionmaker, crew)
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        await _book_weekly(client, service, office, case)
        third = session_id(db, "2026-12-22T10:00")
        page = texts((await client.get(f"/appointments/{third}")).text)
        changed = await client.post(f"/appointments/{third}/series", data={
            "scope": "following", "date": "2026-12-24", "time": "14:00",
            "service_id": service, "location_id": office, "every": "1",
        })  # fmt: skip
        fifth = session_id(db, "2027-01-07T14:00")
        later = texts((await client.get(f"/appointments/{fifth}")).text)
        ended = await client.post(
            f"/appointments/{fifth}/series/cancel", data={"scope": "following"}
        )
        after = texts((await client.get(f"/appointments/{fifth}")).text)
    assert "Weekly on Tuesday at 10:00 (America/Chicago) · 6 sessions" in page
    assert changed.status_code == 303
    # the first two stay; four were left, and they move to Thursdays at 14:00
    assert "Weekly on Thursday at 14:00 (America/Chicago) · 4 sessions" in later
    assert ended.status_code == 303
    assert sessions(db) == [
        ("Tue 12-08 10:00", "scheduled"), ("Tue 12-15 10:00", "scheduled"),
        ("Tue 12-22 10:00", "cancelled_by_practice"), ("Thu 12-24 14:00", "scheduled"),
        ("Tue 12-29 10:00", "cancelled_by_practice"), ("Thu 12-31 14:00", "scheduled"),
        ("Tue 01-05 10:00", "cancelled_by_practice"), ("Thu 01-07 14:00", "cancelled_by_practice"),
        ("Tue 01-12 10:00", "cancelled_by_practice"), ("Thu 01-14 14:00", "cancelled_by_practice"),
    ]  # fmt: skip
    assert "Cancelled by practice" in after
    # one notice each: booked the series, booked the changed one, cancelled the rest
    assert notices(db) == ["booked", "booked", "cancelled"]


async def test_all_upcoming_changes_every_session_not_yet_held(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    service, office, case = await _setup(sessionmaker, crew)
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        await _book_weekly(client, service, office, case)
        fourth = session_id(db, "2026-12-29T10:00")
        changed = await client.post(f"/appointments/{fourth}/series", data={
            "scope": "all", "date": "2026-12-08", "time": "11:00",
            "service_id": service, "location_id": office, "every": "2",
        })  # fmt: skip
    assert changed.status_code == 303, texts(changed.text)
    held = [s for s in sessions(db) if s[1] == "scheduled"]
    assert held == [
        ("Tue 12-08 11:00", "scheduled"), ("Tue 12-22 11:00", "scheduled"),
        ("Tue 01-05 11:00", "scheduled"), ("Tue 01-19 11:00", "scheduled"),
        ("Tue 02-02 11:00", "scheduled"), ("Tue 02-16 11:00", "scheduled"),
    ]  # fmt: skip


async def test_a_clash_a_bad_day_and_a_past_session_change_nothing(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    service, office, case = await _setup(sessionmaker, crew)
    other = await open_case(sessionmaker, crew, "individual", person("Ben", "Cole"))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        await appts.book(uow, crew.actor("provider"), appts.Booking(
            case_id=other, service_id=uuid.UUID(service), location_id=uuid.UUID(office),
            starts_at=datetime(2026, 12, 24, 14, 30, tzinfo=ZoneInfo(TZ))), tz=TZ, now=NOW)  # fmt: skip
    edit = {"scope": "following", "date": "2026-12-24", "time": "14:00",
            "service_id": service, "location_id": office, "every": "1"}  # fmt: skip
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        await _book_weekly(client, service, office, case)
        before = sessions(db)
        third = session_id(db, "2026-12-22T10:00")
        clash = await client.post(f"/appointments/{third}/series", data=edit)
        bad_day = await client.post(f"/appointments/{third}/series", data={**edit, "date": "24/12"})
        past = await client.post(
            f"/appointments/{third}/series", data={**edit, "date": "2026-11-24"}
        )
        bad_scope = await client.post(f"/appointments/{third}/series/cancel", data={"scope": "x"})
    assert clash.status_code == 409
    assert "14:30–15:20 CST" in texts(clash.text)  # names the appointment in the way
    assert 'value="2026-12-24"' in clash.text and 'value="14:00"' in clash.text  # kept
    assert bad_day.status_code == 422 and "Choose a day and a time." in texts(bad_day.text)
    assert past.status_code == 422 and "Choose a day from today on." in texts(past.text)
    assert bad_scope.status_code == 422 and "Choose which sessions." in texts(bad_scope.text)
    assert sessions(db) == before
    with db.owner() as owner:
        assert owner.execute("SELECT count(*) FROM appointment_series").fetchone() == (1,)


async def test_a_held_session_cannot_start_a_change_and_strangers_get_404(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    service, office, case = await _setup(sessionmaker, crew)
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        await _book_weekly(client, service, office, case)
        first = session_id(db, "2026-12-08T10:00")
        await client.post(f"/appointments/{first}/status", data={"status": "attended"})
        held = await client.post(
            f"/appointments/{first}/series/cancel", data={"scope": "following"}
        )
    async with client_for(app) as stranger:
        await sign_in(stranger, crew.other.email)
        foreign = await stranger.post(f"/appointments/{first}/series/cancel", data={"scope": "all"})
        page = await stranger.get(f"/appointments/{first}")
    assert held.status_code == 422 and "open an upcoming one" in texts(held.text)
    assert foreign.status_code == 404 and page.status_code == 404
    assert [s for s in sessions(db) if s[1] != "scheduled"] == [("Tue 12-08 10:00", "attended")]


async def test_a_split_series_keeps_its_parts_apart(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    """The new part may not start before a session the old part keeps; once split, the
    old part's sessions change one by one and point at the part that continues; the
    series' own service stays selected even when it is no longer offered."""
    service, office, case = await _setup(sessionmaker, crew)
    edit = {"scope": "following", "time": "14:00", "service_id": service, "location_id": office,
            "every": "1"}  # fmt: skip
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        await _book_weekly(client, service, office, case)
        third = session_id(db, "2026-12-22T10:00")
        overlapping = await client.post(
            f"/appointments/{third}/series", data={**edit, "date": "2026-12-15"}
        )
        split = await client.post(
            f"/appointments/{third}/series", data={**edit, "date": "2026-12-23"}
        )
        assert split.status_code == 303, texts(split.text)[:3000]
        second = session_id(db, "2026-12-15T10:00")
        old_part = await client.get(f"/appointments/{second}")
        refused = await client.post(
            f"/appointments/{second}/series", data={**edit, "date": "2026-12-16"}
        )
        with db.owner() as owner:
            owner.execute("UPDATE practice_services SET active = false")
        new_part = await client.get(f"/appointments/{session_id(db, '2026-12-30T14:00')}")
    assert overlapping.status_code == 422
    assert "Choose a day after the session kept on Tue Dec 15." in texts(overlapping.text)
    assert split.status_code == 303
    assert "Its later sessions were changed and continue from" in texts(old_part.text)
    assert "Change the series" not in old_part.text and "Move" in texts(old_part.text)
    assert refused.status_code == 422 and "from a session of the new series" in texts(refused.text)
    assert f'<option value="{service}" selected>' in new_part.text
