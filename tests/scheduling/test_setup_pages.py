"""Settings → Services & locations (owners keep them; a service no longer offered stays
on its appointments but leaves the booking form) and Settings → Availability (a
provider keeps their own hours; another's calendar is a 404); bad input is explained
beside the field and saves nothing."""

from __future__ import annotations

from fastapi import FastAPI

from core.db import SessionMaker, unit_of_work
from services.scheduling.catalog import LocationIn, create_location
from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.cases import Crew
from tests.fixtures.db import Database
from tests.scheduling.test_calendar_pages import count, texts


async def test_the_owner_keeps_services_and_locations(
    app: FastAPI, crew: Crew, db: Database
) -> None:
    async with client_for(app) as client:
        await sign_in(client, crew.team.owner.email)
        bad = await client.post("/settings/scheduling/services", data={
            "name": "", "cpt_code": "9083", "duration_minutes": "", "fee": "lots", "kind": "therapy",
        })  # fmt: skip
        made = await client.post("/settings/scheduling/services", data={
            "name": "Psychotherapy 45", "cpt_code": "90834", "duration_minutes": "45",
            "fee": "140.00", "kind": "therapy",
        })  # fmt: skip
        no_format = await client.post("/settings/scheduling/locations", data={
            "name": "Office", "timezone": "America/Chicago", "pos_code": "11", "country": "US",
        })  # fmt: skip
        office = await client.post("/settings/scheduling/locations", data={
            "name": "Office", "timezone": "America/Chicago", "pos_code": "11", "country": "US",
            "formats": "in_person", "city": "Evanston", "region": "IL",
        })  # fmt: skip
        listing = texts((await client.get("/settings/scheduling")).text)
        with db.owner() as owner:
            row = owner.execute("SELECT id FROM practice_services").fetchone()
        assert row is not None
        edit = await client.get(f"/settings/scheduling/services/{row[0]}")
        retired = await client.post(
            f"/settings/scheduling/services/{row[0]}",
            data={
                "name": "Psychotherapy 45",
                "cpt_code": "90834",
                "duration_minutes": "45",
                "fee": "140",
                "kind": "therapy",
            },
        )  # fmt: skip  (the Offered box left unticked)
        after = texts((await client.get("/settings/scheduling")).text)
        booking = (await client.get("/appointments/new")).text
    assert bad.status_code == 422
    bad_text = texts(bad.text)
    assert "Minutes, like 50." in bad_text and "Enter a fee like 150 or 150.00." in bad_text
    assert 'value="lots"' in bad.text  # what was typed is kept
    assert made.status_code == 303 and office.status_code == 303
    assert no_format.status_code == 422
    assert "Choose in person, video or phone (one or more)." in texts(no_format.text)
    assert count(db, "practice_services") == 1 and count(db, "locations") == 1
    assert "Psychotherapy 45 90834 Therapy 45 $140.00" in listing
    assert "Office Evanston, IL In person America/Chicago 11" in listing
    assert 'value="140.00"' in edit.text
    assert retired.status_code == 303
    assert "Psychotherapy 45 not offered" in after
    assert "Psychotherapy 45 · 45 min" not in booking  # not offered for new appointments
    assert "Office</option>" in booking


async def test_only_who_manages_the_practice_sees_services_settings(
    app: FastAPI, crew: Crew
) -> None:
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        page = await client.get("/settings/scheduling")
        post = await client.post("/settings/scheduling/services", data={"name": "X"})
        nav = (await client.get("/settings/availability")).text
    assert page.status_code == 403 and post.status_code == 403
    assert 'href="/settings/scheduling"' not in nav and 'href="/settings/availability"' in nav


async def test_a_provider_keeps_their_own_hours(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        office = await create_location(
            uow, LocationIn(name="Office", timezone="America/Chicago", formats=["in_person"])
        )
    good = {"location_id": str(office.id), "weekdays": ["0", "2"], "start_time": "09:00",
            "end_time": "13:00", "audience": "both", "effective_from": "2026-12-01"}  # fmt: skip
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        backwards = await client.post(
            "/settings/availability", data={**good, "start_time": "15:00"}
        )
        no_days = await client.post("/settings/availability", data={**good, "weekdays": []})
        bad_format = await client.post("/settings/availability", data={**good, "formats": "video"})
        added = await client.post("/settings/availability", data=good)
        page = texts((await client.get("/settings/availability")).text)
        with db.owner() as owner:
            row = owner.execute("SELECT id FROM availability_blocks").fetchone()
        assert row is not None
        foreign_calendar = await client.get(f"/settings/availability?provider={crew.other.id}")
        not_an_id = await client.get("/settings/availability?provider=nope")
    async with client_for(app) as stranger:
        await sign_in(stranger, crew.other.email)
        theirs = await stranger.post(f"/settings/availability/{row[0]}/delete")
        mine = texts((await stranger.get("/settings/availability")).text)
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        removed = await client.post(f"/settings/availability/{row[0]}/delete")
    assert backwards.status_code == 422
    assert "The block ends after it starts." in texts(backwards.text)
    assert 'value="15:00"' in backwards.text
    assert no_days.status_code == 422
    assert "Choose the days of the week, or one date." in texts(no_days.text)
    assert bad_format.status_code == 422 and "Office offers in_person only." in texts(
        bad_format.text
    )
    assert added.status_code == 303
    assert "Mon, Wed 09:00–13:00 (America/Chicago) Office · In person" in page
    assert "New and existing clients Any service From Dec 1, 2026" in page
    assert foreign_calendar.status_code == 404 and not_an_id.status_code == 404
    assert theirs.status_code == 404 and "No hours yet." in mine
    assert removed.status_code == 303 and count(db, "availability_blocks") == 0
