"""The Good Faith Estimate sent in an intake is filled from the case's booked services and
fees (the main service for a course of 12 sessions, any other as booked), names the
practice and the clients, is what the client reads in the portal and what the record
hashes; a case with nothing booked gets a clear refusal, not a guess."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI

from core.db import SessionMaker, unit_of_work
from core.errors import InvalidInput
from services.scheduling import appointments as appts
from services.scheduling.catalog import LocationIn, ServiceIn, create_location, create_service
from tests.fixtures.cases import Crew, open_case, person
from tests.fixtures.db import Database
from tests.fixtures.tasks import NOW
from tests.portal.test_intake_portal import item_links, link_in, portal_as, send
from tests.portal.test_portal_access import person_id, portal_mails
from tests.scheduling.test_calendar_pages import texts

TZ = "America/Chicago"
FIRST = datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo(TZ))


def estimate_id(db: Database, crew: Crew) -> uuid.UUID:
    with db.owner() as owner:
        row = owner.execute(
            "SELECT id FROM library_items WHERE practice_id = %s AND key = 'good_faith_estimate'",
            (crew.practice_id,),
        ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


async def book(sessionmaker: SessionMaker, crew: Crew, case: uuid.UUID) -> None:
    """Two therapy sessions at $150 (CPT 90837) and an assessment at $200 (90791)."""
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        therapy = await create_service(uow, ServiceIn(name="Psychotherapy | 53 min",
                                                      duration_minutes=53, fee="150",
                                                      cpt_code="90837"))  # fmt: skip
        assessment = await create_service(uow, ServiceIn(name="Diagnostic assessment",
                                                         duration_minutes=60, fee="200",
                                                         cpt_code="90791"))  # fmt: skip
        office = await create_location(uow, LocationIn(name="Office", timezone=TZ,
                                                       formats=["in_person"]))  # fmt: skip
        for days, service in ((0, assessment), (7, therapy), (14, therapy)):
            await appts.book(
                uow, crew.actor("provider"),
                appts.Booking(case_id=case, service_id=service.id, location_id=office.id,
                              starts_at=FIRST + timedelta(days=days)),
                tz=TZ, now=NOW,
            )  # fmt: skip


async def test_the_estimate_is_filled_from_the_case_and_hashed_as_read(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    case = await open_case(sessionmaker, crew, "individual", person(
        "Ines", "Moreau", email="ines@example.org", date_of_birth="1982-07-14"))  # fmt: skip
    ines = person_id(db, "Ines")
    gfe = estimate_id(db, crew)
    with pytest.raises(InvalidInput) as nothing_booked:
        await send(sessionmaker, crew, case, ines, items=(gfe,))
    assert "book the first appointment" in nothing_booked.value.field_errors["intake"]

    await book(sessionmaker, crew, case)
    request_id = await send(sessionmaker, crew, case, ines, items=(gfe,))
    with db.owner() as owner:
        row = owner.execute(
            "SELECT body_markdown, body_sha256 FROM intake_items WHERE request_id = %s",
            (request_id,),
        ).fetchone()
    assert row is not None
    body, digest = row
    assert "| Psychotherapy / 53 min | 90837 | $150.00 | 12 | $1,800.00 |" in body
    assert "| Diagnostic assessment | 90791 | $200.00 | 1 | $200.00 |" in body
    assert "**Estimated total: $2,000.00**" in body and "next 13 sessions" in body
    assert "**For:** Ines Moreau" in body and "**Provider:** Practice " in body
    assert "{" not in body  # every placeholder filled
    assert bytes(digest) == hashlib.sha256(body.encode()).digest()

    invitation = [m for m in portal_mails(db) if "first session" in m[1]][-1][2]
    assert "Moreau" not in invitation and "$" not in invitation
    base = f"/portal/{crew.team.practice.link_name}"
    async with portal_as(app, link_in(invitation), "1982-07-14") as portal:
        [doc] = item_links((await portal.get(f"{base}/")).text, base).values()
        shown = texts((await portal.get(doc)).text)
        done = await portal.post(f"{doc}/document", data={"agreed": "1"})
    assert "Estimated total: $2,000.00" in shown and "Psychotherapy / 53 min" in shown
    assert done.status_code == 303
    with db.owner() as owner:
        status = owner.execute(
            "SELECT status FROM intake_requests WHERE id = %s", (request_id,)
        ).fetchone()
    assert status == ("completed",)


async def test_a_group_members_estimate_names_only_them(
    crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    case = await open_case(sessionmaker, crew, "therapy_group",
                           person("Ada", "One", email="ada@example.org", date_of_birth="1980-01-01"),
                           person("Ben", "Two", email="ben@example.org", date_of_birth="1981-01-01"),
                           name="Tuesday group")  # fmt: skip
    await book(sessionmaker, crew, case)
    request_id = await send(sessionmaker, crew, case, person_id(db, "Ada"),
                            items=(estimate_id(db, crew),))  # fmt: skip
    with db.owner() as owner:
        row = owner.execute(
            "SELECT body_markdown FROM intake_items WHERE request_id = %s", (request_id,)
        ).fetchone()
    assert row is not None
    assert "**For:** Ada One" in row[0] and "Ben" not in row[0]
