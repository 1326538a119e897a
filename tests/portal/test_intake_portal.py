"""Intake in the portal: staff send the packet (one open per case; a minor's goes to the
verified representative; workshops get none by default); the client completes forms —
a draft is saved and resumed, a refused submit keeps what was typed, required questions
count on submit — acknowledges and signs documents (the signature keeps the name, time,
IP and the version's SHA-256); each recipient sees only their items (another's by URL is
a 404); the checklist rows complete the request."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from core.db import SessionMaker, unit_of_work
from core.errors import Conflict, InvalidInput
from models.orm.intake import IntakeRequest, IntakeStatus
from services.cases.records import load_case
from services.intake import process
from services.intake.requests import Packet, send_packet
from services.practice_settings import PracticeSettings
from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.cases import TODAY, Crew, open_case, person
from tests.fixtures.db import Database
from tests.fixtures.tasks import NOW
from tests.portal.test_portal_access import Lopez, lopez, person_id, portal_mails
from tests.scheduling.test_calendar_pages import texts


async def send(
    sessionmaker: SessionMaker,
    crew: Crew,
    case: uuid.UUID,
    *people: uuid.UUID,
    items: tuple[uuid.UUID, ...] = (),
) -> uuid.UUID:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        c, _ = await load_case(uow, crew.actor("provider"), case)
        request = await send_packet(
            uow,
            c,
            Packet(person_ids=people, item_ids=items),
            staff_id=crew.team.provider.id,
            now=NOW,
            today=TODAY,
            settings=PracticeSettings(),
        )
    await invite(sessionmaker, crew)
    return request.id


async def invite(sessionmaker: SessionMaker, crew: Crew) -> None:
    """The workflow's first step, without a worker: the invitations of every open intake
    (the workflow's own tests run it for real)."""
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        for request_id in await uow.session.scalars(
            select(IntakeRequest.id).where(IntakeRequest.status == IntakeStatus.open)
        ):
            await process.send_invitations(uow, request_id, NOW, "http://testserver")


def link_in(body: str) -> str:
    found = re.search(r"https?://[^/\s]+(/portal/\S+)", body)
    assert found is not None
    return found.group(1)


@asynccontextmanager
async def portal_as(app: FastAPI, link: str, dob: str) -> AsyncIterator[AsyncClient]:
    async with client_for(app) as client:
        signed = await client.post(link, data={"answer": dob})
        assert signed.status_code == 303, texts(signed.text)
        yield client


def item_links(html: str, base: str) -> dict[str, str]:
    return {
        m[1]: m[0]
        for m in re.findall(rf'<a href="({re.escape(base)}/items/[0-9a-f-]+)">([^<]+)</a>', html)
    }


async def test_a_client_completes_the_packet(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    own = await open_case(
        sessionmaker,
        crew,
        "individual",
        person("Rosa", "Diaz", email="rosa@example.org", date_of_birth="1990-04-23"),
    )
    rosa = person_id(db, "Rosa")
    request_id = await send(sessionmaker, crew, own, rosa)
    [(recipient, _subject, body)] = [m for m in portal_mails(db) if "first session" in m[1]]
    assert recipient == "rosa@example.org" and "Rosa" not in body and "Diaz" not in body
    base = f"/portal/{crew.team.practice.link_name}"
    async with portal_as(app, link_in(body), "1990-04-23") as portal:
        home = (await portal.get(f"{base}/")).text
        links = item_links(home, base)
        assert sorted(links) == sorted(
            [
                "About you",
                "Consent to treatment",
                "How you have been feeling",
                "Worry and anxiety",
                "Notice of privacy practices",
                "Practice policies",
            ]
        )
        about = links["About you"]
        draft = await portal.post(
            f"{about}/form", data={"action": "save", "preferred_name": "Ro", "wellbeing": "7"}
        )
        resumed = (await portal.get(about)).text
        refused = await portal.post(
            f"{about}/form",
            data={
                "action": "submit",
                "preferred_name": "Ro",
                "date_of_birth": "1990-04-23",
                "wellbeing": "12",
            },
        )
        kept = (await portal.get(about)).text
        done = await portal.post(
            f"{about}/form",
            data={
                "action": "submit",
                "preferred_name": "Ro",
                "date_of_birth": "1990-04-23",
                "address": "1 Main St",
                "phone": "312 555 0100",
                "emergency_name": "Luis",
                "emergency_phone": "312 555 0101",
                "reason": "Stress at work",
                "wellbeing": "6",
            },
        )
        phq = links["How you have been feeling"]
        phq_done = await portal.post(
            f"{phq}/form", data={"action": "submit", **{f"phq9.q{i}": "1" for i in range(1, 10)}}
        )
        unsigned = await portal.post(
            f"{links['Consent to treatment']}/form", data={"action": "submit", "understood": "yes"}
        )
        policies = links["Practice policies"]
        unticked = await portal.post(f"{policies}/document", data={})
        acked = await portal.post(f"{policies}/document", data={"agreed": "1"})
        after = texts((await portal.get(f"{base}/")).text)
    assert draft.status_code == 303
    assert 'value="Ro"' in resumed and 'value="7" checked' in resumed  # resumed as typed
    assert refused.status_code == 422 and "This question needs an answer." in texts(refused.text)
    assert "At most 10." in texts(refused.text) and 'value="12" checked' not in refused.text
    assert 'value="1990-04-23"' in kept  # the refused submit kept what was typed
    assert done.status_code == 303 and phq_done.status_code == 303
    assert unsigned.status_code == 422 and "This question needs an answer." in texts(unsigned.text)
    assert unticked.status_code == 422 and "Tick the box" in texts(unticked.text)
    assert acked.status_code == 303
    assert "Done About you submitted" in after or "About you submitted" in after
    with db.owner() as owner:
        phq_scores = owner.execute(
            "SELECT i.scores FROM intake_items i JOIN library_items l ON l.id = i.library_item_id"
            " WHERE l.key = 'phq9'"
        ).fetchone()
        status = owner.execute(
            "SELECT status FROM intake_requests WHERE id = %s", (request_id,)
        ).fetchone()
    assert (
        phq_scores is not None
        and phq_scores[0][0]["total"] == 9
        and phq_scores[0][0]["band"] == "Mild"
    )
    assert phq_scores[0][0]["flags"] == ["Item 9 answered above zero: review for safety"]
    assert status == ("open",)  # consent and the notice are still to do


async def test_signing_keeps_the_version_hash_and_the_request_completes(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    own = await open_case(
        sessionmaker,
        crew,
        "individual",
        person("Rosa", "Diaz", email="rosa@example.org", date_of_birth="1990-04-23"),
    )
    rosa = person_id(db, "Rosa")
    with db.owner() as owner:
        consent_doc = owner.execute(
            "INSERT INTO library_items (practice_id, kind, key, staff_name, client_title)"
            " VALUES (%s, 'document', 'telehealth_consent', 'Telehealth consent', 'Telehealth consent')"
            " RETURNING id",
            (crew.practice_id,),
        ).fetchone()
        assert consent_doc is not None
        owner.execute(
            "INSERT INTO library_versions (practice_id, item_id, version, body_markdown, requires,"
            " content_sha256, published_at) VALUES (%s, %s, 1, '# Telehealth\n\nI agree.', 'signature',"
            " sha256('v1'), now())",
            (crew.practice_id, consent_doc[0]),
        )
    request_id = await send(sessionmaker, crew, own, rosa, items=(consent_doc[0],))
    body = [m for m in portal_mails(db) if "first session" in m[1]][-1][2]
    base = f"/portal/{crew.team.practice.link_name}"
    async with portal_as(app, link_in(body), "1990-04-23") as portal:
        [doc] = item_links((await portal.get(f"{base}/")).text, base).values()
        nameless = await portal.post(f"{doc}/document", data={"signed_name": " "})
        signed = await portal.post(f"{doc}/document", data={"signed_name": "Rosa  Diaz"})
        again = await portal.post(f"{doc}/document", data={"signed_name": "Rosa Diaz"})
        shown = texts((await portal.get(doc)).text)
    assert nameless.status_code == 422 and "Type your full name to sign." in texts(nameless.text)
    assert signed.status_code == 303 and again.status_code == 422
    assert "Signed by Rosa Diaz" in shown
    with db.owner() as owner:
        row = owner.execute(
            "SELECT signed_name, signed_ip, signed_sha256 = sha256('v1') FROM intake_items"
        ).fetchone()
        status = owner.execute(
            "SELECT status, completed_at IS NOT NULL FROM intake_requests WHERE id = %s",
            (request_id,),
        ).fetchone()
    assert row == ("Rosa Diaz", "127.0.0.1", True)
    assert status == ("completed", True)


async def test_each_recipient_sees_only_their_items(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    family: Lopez = await lopez(sessionmaker, crew, db)
    ben_case = await open_case(
        sessionmaker,
        crew,
        "individual",
        person("Ben", "Cole", email="ben@example.org", date_of_birth="1970-01-01"),
    )
    await send(sessionmaker, crew, family.family, family.mia)  # to Ana, for Mia
    await send(sessionmaker, crew, ben_case, person_id(db, "Ben"))
    mails = [m for m in portal_mails(db) if "first session" in m[1]]
    assert [m[0] for m in mails] == ["ana@example.org", "ben@example.org"]
    base = f"/portal/{crew.team.practice.link_name}"
    async with portal_as(app, link_in(mails[1][2]), "1970-01-01") as ben:
        bens = item_links((await ben.get(f"{base}/")).text, base)
    async with portal_as(app, link_in(mails[0][2]), "1985-03-04") as ana:
        home = texts((await ana.get(f"{base}/")).text)
        for_mia = item_links((await ana.get(f"{base}/")).text, base)
        foreign = await ana.get(bens["About you"])
        foreign_post = await ana.post(f"{bens['About you']}/form", data={"action": "save"})
        made_up = await ana.get(f"{base}/items/{uuid.uuid4()}")
    assert "You are acting for Mia as their representative." in home
    assert len(for_mia) == 6
    assert (
        foreign.status_code == 404
        and foreign_post.status_code == 404
        and made_up.status_code == 404
    )


async def test_what_cannot_be_sent(sessionmaker: SessionMaker, crew: Crew, db: Database) -> None:
    own = await open_case(
        sessionmaker,
        crew,
        "individual",
        person("Rosa", "Diaz", email="rosa@example.org", date_of_birth="1990-04-23"),
    )
    rosa = person_id(db, "Rosa")
    await send(sessionmaker, crew, own, rosa)
    with pytest.raises(Conflict):
        await send(sessionmaker, crew, own, rosa)  # one open intake per case
    workshop = await open_case(
        sessionmaker,
        crew,
        "workshop_group",
        person("Wen", "Li", email="wen@example.org"),
        name="Stress workshop",
    )
    with pytest.raises(InvalidInput) as nothing:
        await send(sessionmaker, crew, workshop, person_id(db, "Wen"))
    assert nothing.value.field_errors == {"intake": "Choose forms or documents."}


async def test_staff_send_intake_and_read_the_checklist(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    family = await lopez(sessionmaker, crew, db, verified=False)
    base = f"/portal/{crew.team.practice.link_name}"
    async with client_for(app) as staff:
        await sign_in(staff, crew.team.provider.email)
        unverified = await staff.post(f"/cases/{family.family}/intake",
                                      data={"person_id": str(family.mia)})  # fmt: skip
        nobody = await staff.post(f"/cases/{family.own}/intake", data={})
        sent = await staff.post(f"/cases/{family.own}/intake", data={"person_id": str(family.ana)})
        twice = await staff.post(f"/cases/{family.own}/intake", data={"person_id": str(family.ana)})
        waiting = texts((await staff.get(f"/cases/{family.own}")).text)
        await invite(sessionmaker, crew)
        before = texts((await staff.get(f"/cases/{family.own}")).text)
    assert "Invitation waiting to be sent" in waiting
    assert "Invitation waiting to be sent" not in before and "Invited 2026-12-01" in before
    assert unverified.status_code == 422 and "verified representative" in texts(unverified.text)
    assert nobody.status_code == 422 and "Choose who completes it." in texts(nobody.text)
    assert sent.status_code == 303 and twice.status_code == 409
    assert "Ana Lopez" in before and "About you not started" in before
    body = [m for m in portal_mails(db) if "first session" in m[1]][-1][2]
    async with portal_as(app, link_in(body), "1985-03-04") as portal:
        links = item_links((await portal.get(f"{base}/")).text, base)
        await portal.post(f"{links['How you have been feeling']}/form",
                          data={"action": "submit", **{f"phq9.q{i}": "2" for i in range(1, 10)}})  # fmt: skip
        await portal.post(f"{links['About you']}/form", data={"action": "save", "pronouns": "she"})
    async with client_for(app) as staff:
        await sign_in(staff, crew.team.provider.email)
        after = texts((await staff.get(f"/cases/{family.own}")).text)
    assert "How you have been feeling done" in after
    assert "total 18 of 27 · Moderately severe · Item 9 answered above zero" in after
    assert "About you started" in after


async def test_staff_change_an_open_intake_and_bad_changes_are_refused(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    family = await lopez(sessionmaker, crew, db)
    request_id = await send(sessionmaker, crew, family.own, family.ana)
    path = f"/cases/{family.own}/intake/{request_id}"
    with db.owner() as owner:
        recipient = owner.execute(
            "SELECT id FROM intake_recipients WHERE request_id = %s", (request_id,)
        ).fetchone()
        roi = owner.execute(
            "SELECT id FROM library_items WHERE key = 'release_of_information'"
        ).fetchone()
        line = owner.execute(
            "SELECT id FROM intake_items WHERE request_id = %s ORDER BY position LIMIT 1",
            (request_id,),
        ).fetchone()
    assert recipient is not None and roi is not None and line is not None
    async with client_for(app) as staff:
        await sign_in(staff, crew.team.provider.email)
        bogus = await staff.post(path, data={"action": "explode"})
        bad_for = await staff.post(path, data={"action": "add", "item_id": str(roi[0]),
                                               "recipient_id": "not-an-id"})  # fmt: skip
        nothing = await staff.post(path, data={"action": "add"})
        foreign = await staff.post(path, data={"action": "remove", "line_id": str(uuid.uuid4())})
        resend = await staff.post(
            path, data={"action": "resend", "recipient_id": str(recipient[0])}
        )
        added = await staff.post(path, data={"action": "add", "item_id": str(roi[0])})
        twice = await staff.post(path, data={"action": "add", "item_id": str(roi[0])})
        removed = await staff.post(path, data={"action": "remove", "line_id": str(line[0])})
        cancelled = await staff.post(path, data={"action": "cancel"})
        again = await staff.post(path, data={"action": "cancel"})
        page = texts((await staff.get(f"/cases/{family.own}")).text)
    assert bogus.status_code == 422 and "Choose a change." in texts(bogus.text)
    assert bad_for.status_code == 422 and "Choose who it is for." in texts(bad_for.text)
    assert nothing.status_code == 422 and "Choose a form or document to add." in texts(nothing.text)
    assert foreign.status_code == 404
    assert [r.status_code for r in (resend, added, removed, cancelled)] == [303] * 4
    assert twice.status_code == 422 and "is already in this intake" in texts(twice.text)
    assert again.status_code == 422 and "no longer open" in texts(again.text)
    assert "cancelled by the practice" in page
    with db.owner() as owner:
        rows = owner.execute(
            "SELECT status, count(*) FROM intake_items WHERE request_id = %s GROUP BY status",
            (request_id,),
        ).fetchall()
        signals = owner.execute(
            "SELECT count(*) FROM workflow_outbox WHERE workflow_id = %s"
            " AND command = 'signal_with_start'",
            (f"intake-{request_id}",),
        ).fetchone()
    assert dict(rows) == {"pending": 6, "removed": 1}  # five left of the packet, ROI added
    assert signals == (4,)  # resend, add, remove, cancel: each a row change and a signal
