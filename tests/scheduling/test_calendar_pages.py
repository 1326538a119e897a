"""The calendar and appointment pages: the week grid of one provider and the practice
table, booking from a slot (a clash re-renders the form naming it, nothing written), the
appointment page (status, attendance, move), who may open which calendar."""

from __future__ import annotations

import re
from html import unescape

from fastapi import FastAPI

from core.db import SessionMaker, unit_of_work
from services.scheduling.catalog import LocationIn, ServiceIn, create_location, create_service
from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.cases import Crew, open_case, person
from tests.fixtures.db import Database


def texts(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


async def _catalog(sessionmaker: SessionMaker, crew: Crew) -> tuple[str, str]:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        service = await create_service(
            uow, ServiceIn(name="Couples therapy", duration_minutes=50, fee="175", cpt_code="90847")
        )
        office = await create_location(
            uow, LocationIn(name="Office", timezone="America/Chicago", formats=["in_person"])
        )
    return str(service.id), str(office.id)


def count(db: Database, table: str) -> int:
    with db.owner() as owner:
        row = owner.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


async def test_book_from_a_slot_see_it_in_the_week_then_mark_attendance(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    service, office = await _catalog(sessionmaker, crew)
    couple = await open_case(sessionmaker, crew, "couple", person("Maya", "Chen"), person("Jordan", "Lee"),
                             relationship_label="spouses")  # fmt: skip
    other = await open_case(sessionmaker, crew, "individual", person("Ben", "Cole"))
    form = {
        "case_id": str(couple),
        "service_id": service,
        "location_id": office,
        "date": "2026-12-08",
        "time": "10:00",
    }
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        empty = await client.get(
            f"/appointments/new?provider={crew.team.provider.id}&date=2026-12-08&time=10:00"
        )
        booked = await client.post("/appointments", data=form)
        assert booked.status_code == 303, texts(booked.text)
        clash = await client.post(
            "/appointments", data={**form, "case_id": str(other), "time": "10:30"}
        )
        week = await client.get("/calendar?date=2026-12-08")
        everyone = await client.get("/calendar?provider=all&date=2026-12-08")
        page = await client.get(booked.headers["location"])
        people = re.findall(r'name="attendance\.([0-9a-f-]+)"', page.text)
        saved = await client.post(booked.headers["location"] + "/attendance",
                                  data={f"attendance.{people[0]}": "present", f"attendance.{people[1]}": "absent"})  # fmt: skip
        moved = await client.post(
            booked.headers["location"] + "/move", data={"date": "2026-12-09", "time": "14:00"}
        )
        cancelled = await client.post(
            booked.headers["location"] + "/status", data={"status": "cancelled_by_client"}
        )
        after = texts((await client.get(booked.headers["location"])).text)
    assert 'value="10:00"' in empty.text and 'value="2026-12-08"' in empty.text
    assert clash.status_code == 409 and "10:00–10:50 CST" in texts(clash.text)
    assert 'value="10:30"' in clash.text  # what was typed is kept
    assert count(db, "appointments") == 1
    assert "Maya Chen & Jordan Lee" in texts(week.text) and "Couples therapy" in texts(week.text)
    assert "Maya Chen & Jordan Lee" in texts(everyone.text)
    assert saved.status_code == 303 and moved.status_code == 303 and cancelled.status_code == 303
    assert "Wed Dec 9, 2026 · 14:00–14:50 CST" in after and "Cancelled by client" in after
    with db.owner() as owner:
        rows = sorted(
            r[0] for r in owner.execute("SELECT status FROM appointment_attendance").fetchall()
        )
    assert rows == ["absent", "present"]


async def test_calendars_follow_who_may_see_them(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker
) -> None:
    service, office = await _catalog(sessionmaker, crew)
    mine = await open_case(sessionmaker, crew, "individual", person("Mine", "Client"))
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        await client.post("/appointments", data={"case_id": str(mine), "service_id": service,
                          "location_id": office, "date": "2026-12-08", "time": "09:00"})  # fmt: skip
    async with client_for(app) as other:
        await sign_in(other, crew.other.email)
        theirs = texts(
            (await other.get(f"/calendar?provider={crew.team.provider.id}&date=2026-12-08")).text
        )
        everyone = texts((await other.get("/calendar?provider=all&date=2026-12-08")).text)
    assert "Mine Client" not in theirs and "Mine Client" not in everyone
    async with client_for(app) as admin:
        await sign_in(admin, crew.team.admin.email)
        alone = await admin.get("/calendar")
        await admin.post("/acting-for", data={"provider_id": str(crew.team.provider.id)})
        acting = texts((await admin.get("/calendar?date=2026-12-08")).text)
    assert alone.status_code == 200 and "No calendars to show" in texts(alone.text)
    assert "Mine Client" in acting


async def test_bad_booking_forms_are_explained(app: FastAPI, crew: Crew, db: Database) -> None:
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        bad = await client.post(
            "/appointments", data={"date": "someday", "time": "25:99", "duration_minutes": "²"}
        )
        odd = await client.get("/calendar?date=notaday&provider=nobody&location=zzz&view=year")
    assert bad.status_code == 422
    body = texts(bad.text)
    assert "Choose a day and a time." in body and "Minutes, like 50." in body
    assert odd.status_code == 200
    assert count(db, "appointments") == 0


async def test_the_case_record_schedules_and_shows_what_is_booked(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker
) -> None:
    service, office = await _catalog(sessionmaker, crew)
    case_id = await open_case(sessionmaker, crew, "individual", person("Ana", "Ruiz"))
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        before = await client.get(f"/cases/{case_id}")
        link = re.search(r'href="(/appointments/new\?case=[^"]+)"', before.text)
        assert link is not None
        form = await client.get(unescape(link.group(1)))
        await client.post("/appointments", data={"case_id": str(case_id), "service_id": service,
                          "location_id": office, "date": "2026-12-08", "time": "09:00"})  # fmt: skip
        after = texts((await client.get(f"/cases/{case_id}")).text)
    assert "Ready to schedule" in texts(before.text) and "None booked" in texts(before.text)
    assert f'value="{case_id}" selected' in form.text  # the case is chosen already
    assert "Ready to schedule" not in after
    assert "Tue Dec 8, 09:00 CST" in after and "First appointment (done)" in after
