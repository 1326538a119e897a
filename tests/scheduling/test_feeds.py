"""Calendar feeds (CAL-*), parsed with the independent `icalendar` library: a valid
VCALENDAR with a VTIMEZONE for the practice's TZID, a stable UID per appointment, SEQUENCE
bumped on every change, cancellations kept as STATUS:CANCELLED (for 30 days), initials and
no names by default; the URL is a secret that regenerating, revoking or deactivating ends."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import icalendar
from fastapi import FastAPI

from core.db import SessionMaker, unit_of_work
from services.scheduling import appointments as appts
from services.scheduling import feeds
from services.scheduling.catalog import LocationIn, ServiceIn, create_location, create_service
from services.staff import deactivate, get_staff
from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.cases import Crew, open_case, person
from tests.fixtures.tasks import NOW

TZ = "America/Chicago"


async def _book(sessionmaker: SessionMaker, crew: Crew) -> tuple[uuid.UUID, uuid.UUID]:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        service = await create_service(
            uow, ServiceIn(name="Couples therapy", duration_minutes=50, fee="175")
        )
        office = await create_location(
            uow, LocationIn(name="Office", timezone=TZ, formats=["in_person"])
        )
    couple = await open_case(sessionmaker, crew, "couple", person("Maya", "Chen"), person("Jordan", "Lee"),
                             relationship_label="spouses")  # fmt: skip
    other = await open_case(sessionmaker, crew, "individual", person("Ben", "Cole"))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        a = await appts.book(uow, crew.actor("provider"), appts.Booking(
            case_id=couple, service_id=service.id, location_id=office.id,
            starts_at=datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo(TZ))), tz=TZ, now=NOW)  # fmt: skip
        b = await appts.book(uow, crew.actor("provider"), appts.Booking(
            case_id=other, service_id=service.id, location_id=office.id,
            starts_at=datetime(2027, 3, 16, 10, 0, tzinfo=ZoneInfo(TZ))), tz=TZ, now=NOW)  # fmt: skip
    return a.id, b.id


async def _feed_url(client: httpx.AsyncClient) -> str:
    page = await client.post("/settings/account/calendar-feed", data={"action": "issue"})
    match = re.search(r"https?://[^/\s<]+(/calendar/feed/[A-Za-z0-9_\-]+\.ics)", page.text)
    assert match is not None, page.text
    return match.group(1)


def events(body: str) -> dict[str, icalendar.cal.Component]:
    cal = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


async def test_a_valid_feed_with_sequence_and_cancellations(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker
) -> None:
    first, second = await _book(sessionmaker, crew)
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        url = await _feed_url(client)
        await client.post(
            f"/api/v1/appointments/{first}/move", json={"starts_at": "2026-12-08T11:00:00-06:00"}
        )
        await client.post(
            f"/api/v1/appointments/{second}/status", json={"status": "cancelled_by_practice"}
        )
    async with client_for(app) as anonymous:  # a calendar app: no session, only the URL
        got = await anonymous.get(url)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(got.text)
    assert cal["VERSION"] == "2.0"
    [tz] = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == TZ and tz.walk("DAYLIGHT") and tz.walk("STANDARD")
    found = events(got.text)
    moved, cancelled = found[f"{first}@practicerunner"], found[f"{second}@practicerunner"]
    assert int(str(moved["SEQUENCE"])) == 1 and str(moved["STATUS"]) == "CONFIRMED"
    start = moved.decoded("DTSTART")
    assert start.hour == 11 and str(start.tzinfo) in (TZ, "America/Chicago")
    assert int(str(cancelled["SEQUENCE"])) == 1 and str(cancelled["STATUS"]) == "CANCELLED"
    # A March date is after the spring change: its offset is CDT (the VTIMEZONE says so).
    assert cancelled.decoded("DTSTART").utcoffset() == timedelta(hours=-5)
    assert str(moved["SUMMARY"]) == "M.C. & J.L."  # initials, never names
    assert "Maya" not in got.text and "Couples therapy" not in got.text


async def test_cancellations_leave_the_feed_after_30_days(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    first, _ = await _book(sessionmaker, crew)
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        a = await appts.load_appointment(uow, crew.actor("provider"), first)
        await appts.set_status(uow, a, "cancelled_by_client", tz=TZ, now=NOW)
        await feeds.issue(uow, crew.team.provider.id, NOW)
        feed = await feeds.live_feed(uow, crew.team.provider.id)
        assert feed is not None
        soon = await feeds.render(
            uow, feed, tz=TZ, detail="initials", now=NOW + timedelta(days=29), calname="x"
        )
        later = await feeds.render(
            uow, feed, tz=TZ, detail="case_code", now=NOW + timedelta(days=31), calname="x"
        )
    assert f"{first}@practicerunner" in soon
    assert f"{first}@practicerunner" not in later


async def test_regenerating_revoking_and_deactivating_end_the_url(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker
) -> None:
    await _book(sessionmaker, crew)
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        old = await _feed_url(client)
        new = await _feed_url(client)
        async with client_for(app) as cal:
            assert (await cal.get(old)).status_code == 404
            assert (await cal.get(new)).status_code == 200
        await client.post("/settings/account/calendar-feed", data={"action": "revoke"})
        async with client_for(app) as cal:
            assert (await cal.get(new)).status_code == 404
        third = await _feed_url(client)
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        member = await get_staff(uow, crew.team.provider.id)
        await deactivate(uow, member, deactivated_by=crew.team.owner.id, now=NOW)
    async with client_for(app) as cal:
        assert (await cal.get(third)).status_code == 404
        assert (await cal.get("/calendar/feed/not-a-token.ics")).status_code == 404


async def test_the_practice_chooses_what_feeds_show(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker
) -> None:
    await _book(sessionmaker, crew)
    async with client_for(app) as owner:
        await sign_in(owner, crew.team.owner.email)
        bad = await owner.post(
            "/settings/practice/clients",
            data={"minor_age_of_consent": "18", "calendar_feed_detail": "everything"},
        )
        ok = await owner.post(
            "/settings/practice/clients",
            data={"minor_age_of_consent": "18", "calendar_feed_detail": "names"},
        )
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        url = await _feed_url(client)
        body = (await client.get(url)).text
    assert bad.status_code == 422 and ok.status_code == 303
    assert "SUMMARY:Maya Chen & Jordan Lee" in body
