"""The staff pages for cases: the client list (filters, dots, couples together, pages),
the search page (a POST), "New client or case" (review rolls back; errors beside fields,
nothing written), the record's tabs per audience, and its forms."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import httpx
from fastapi import FastAPI

from core.db import SessionMaker
from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.cases import Crew, open_case, person
from tests.fixtures.db import Database


def texts(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def count(db: Database, table: str) -> int:
    with db.owner() as owner:
        row = owner.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


async def _couple(sessionmaker: SessionMaker, crew: Crew) -> Any:
    return await open_case(
        sessionmaker, crew, "couple", person("Maya", "Chen", email="maya@example.org"),
        person("Jordan", "Lee", phone_mobile="312 555 0144"), relationship_label="co_parents",
    )  # fmt: skip


async def test_the_list_shows_couples_together_with_status_dots(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker
) -> None:
    await _couple(sessionmaker, crew)
    closed = await open_case(sessionmaker, crew, "individual", person("Old", "Client"))
    await open_case(sessionmaker, crew, "individual", person("Theirs", "Only"), by="other",
                    provider=crew.other.id)  # fmt: skip
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        await client.post(f"/cases/{closed}/status", data={"action": "close"})
        page = await client.get("/clients")
        archived = texts((await client.get("/clients?status=archived")).text)
        everyone = texts((await client.get("/clients?status=everyone&sort=-name")).text)
        bad = await client.get("/clients?status=gone&kind=tribe&cursor=nope")
    body = texts(page.text)
    assert page.status_code == 200
    assert "Maya Chen & Jordan Lee" in body and "couple" in body
    assert "Old Client" not in body and "Theirs Only" not in body
    assert "status-prospect" in page.text  # new people are prospects
    assert "Old Client" in archived and "Maya Chen" not in archived
    assert everyone.index("Old Client") < everyone.index("Maya Chen")  # Z–A
    assert bad.status_code == 200
    assert "Choose one of the case kinds." in texts(bad.text)


async def test_the_list_pages_by_keyset_without_names_in_urls(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker
) -> None:
    for i in range(3):
        await open_case(sessionmaker, crew, "individual", person("Page", f"Person{i}"))
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        first = await client.get("/clients?limit=2")
        link = re.search(r'href="(/clients\?[^"]*cursor=[^"]+)"', first.text)
        assert link is not None
        url = link.group(1).replace("&amp;", "&")
        assert "person" not in url.lower()
        second = texts((await client.get(url)).text)
    assert "Page Person0" in texts(first.text) and "Page Person1" in texts(first.text)
    assert "Page Person2" in second and "Page Person0" not in second


async def test_search_is_a_post_and_groups_by_kind(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker
) -> None:
    await _couple(sessionmaker, crew)
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        found = texts((await client.post("/search", data={"q": "jordn le"})).text)
        by_phone = texts((await client.post("/search", data={"q": "555-0144"})).text)
        nothing = texts((await client.post("/search", data={"q": "zzqx"})).text)
    assert "People" in found and "Couples" in found and "Jordan Lee" in found
    assert "Jordan Lee" in by_phone
    assert "Nothing found" in nothing


def couple_form(**overrides: str) -> dict[str, str]:
    data = {
        "kind": "couple", "count": "2", "relationship_label": "spouses", "identified_index": "1",
        "participants.0.mode": "new", "participants.0.first_name": "Ana",
        "participants.0.last_name": "Ruiz", "participants.0.role": "partner",
        "participants.0.email": "ana@example.org",
        "participants.1.mode": "new", "participants.1.first_name": "Ben",
        "participants.1.last_name": "Ruiz", "participants.1.role": "partner",
        "participants.1.phone_mobile": "(312) 555-0190",
    }  # fmt: skip
    return {**data, **overrides}


async def test_new_couple_review_then_create(app: FastAPI, crew: Crew, db: Database) -> None:
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        picker = texts((await client.get("/clients/new")).text)
        form = texts((await client.get("/clients/new?kind=couple")).text)
        review = await client.post("/clients/new", data={**couple_form(), "action": "review"})
        assert count(db, "cases") == 0  # the review wrote nothing
        created = await client.post("/clients/new", data={**couple_form(), "action": "create"})
        assert created.status_code == 303, texts(created.text)
        record = texts((await client.get(created.headers["location"])).text)
    assert "Couple / two-person" in picker and "Workshop group" in picker
    assert "Person 1" in form and "Person 2" in form and "How are they related?" in form
    assert review.status_code == 200
    assert "Review" in texts(review.text) and "identified client" in texts(review.text)
    assert "Ana & Ben Ruiz" in record and "Workflow summary" in record
    assert "Ready to schedule" in record
    assert count(db, "cases") == 1 and count(db, "case_participants") == 2


async def test_new_case_errors_are_beside_their_fields_and_nothing_is_written(
    app: FastAPI, crew: Crew, db: Database
) -> None:
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        bad = await client.post(
            "/clients/new",
            data={**couple_form(**{"participants.1.first_name": "", "participants.0.email": "x@",
                                   "relationship_label": ""}), "action": "create"},
        )  # fmt: skip
        one = await client.post(
            "/clients/new",
            data={**couple_form(count="1"), "action": "create"},
        )
        added = await client.post("/clients/new", data={**couple_form(count="1"), "action": "add"})
    assert bad.status_code == 422
    assert 'id="e-participants.1.first_name"' in bad.text
    assert 'id="e-participants.0.email"' in bad.text
    assert 'id="e-relationship_label"' in bad.text
    assert 'value="Ana"' in bad.text  # what was typed is kept
    assert one.status_code == 422 and "exactly two" in texts(one.text)
    assert added.status_code == 200 and "Person 2" in texts(added.text)
    assert count(db, "cases") == 0 and count(db, "people") == 0


async def test_an_existing_client_is_found_with_a_post_and_joins_a_group(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    await _couple(sessionmaker, crew)
    with db.owner() as owner:
        row = owner.execute("SELECT id FROM people WHERE first_name = 'Maya'").fetchone()
    assert row is not None
    maya = str(row[0])
    group = {
        "kind": "therapy_group", "count": "1", "name": "Thursday group",
        "participants.0.mode": "existing", "participants.0.search": "maya",
        "participants.0.role": "member",
    }  # fmt: skip
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        found = await client.post("/clients/new", data={**group, "action": "find-0"})
        created = await client.post(
            "/clients/new", data={**group, "participants.0.person_id": maya, "action": "create"}
        )
        assert created.status_code == 303
        person_page = texts((await client.get(f"/people/{maya}")).text)
    assert f'value="{maya}"' in found.text
    assert "Thursday group" in person_page and "Maya Chen & Jordan Lee" in person_page


async def _tabs(client: httpx.AsyncClient, case_id: Any) -> dict[str, httpx.Response]:
    return {
        tab: await client.get(f"/cases/{case_id}?tab={tab}")
        for tab in ("overview", "clinical", "billing", "relationships", "details")
    }


async def test_record_tabs_per_audience(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    case_id = await _couple(sessionmaker, crew)
    with db.owner() as owner:
        row = owner.execute(
            "SELECT identified_person_id FROM cases WHERE id = %s", (case_id,)
        ).fetchone()
    assert row is not None
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        await client.post(
            f"/cases/{case_id}/diagnoses", data={"action": "find", "code_q": "adjustment"}
        )
        with_dx = await client.post(
            f"/cases/{case_id}/diagnoses",
            data={"action": "add", "code": "F43.20", "rank": "", "person_id": str(row[0])},
        )
        assert with_dx.status_code == 303, texts(with_dx.text)
        mine = await _tabs(client, case_id)
    async with client_for(app) as admin:
        await sign_in(admin, crew.team.admin.email)
        hidden = await admin.get(f"/cases/{case_id}")
        await admin.post("/acting-for", data={"provider_id": str(crew.team.provider.id)})
        acting = await _tabs(admin, case_id)
    async with client_for(app) as other:
        await sign_in(other, crew.other.email)
        stranger = await other.get(f"/cases/{case_id}")
    assert all(r.status_code == 200 for r in mine.values())
    assert "F43.20" in mine["clinical"].text
    assert hidden.status_code == 404 and stranger.status_code == 404
    assert all(r.status_code == 200 for r in acting.values())
    assert "F43.20" not in acting["clinical"].text  # admins: no clinical content
    assert "clinicians and their supervisors only" in texts(acting["clinical"].text)
    assert "Add a payer" in acting["billing"].text


async def test_record_forms_change_the_case_or_explain_why_not(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    case_id = await _couple(sessionmaker, crew)
    with db.owner() as owner:
        ids = [str(r[0]) for r in owner.execute(
            "SELECT person_id FROM case_participants WHERE case_id = %s ORDER BY seq", (case_id,)
        ).fetchall()]  # fmt: skip
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        leave = await client.post(f"/cases/{case_id}/participants/{ids[0]}/leave",
                                  data={"left_on": "2026-12-01"})  # fmt: skip
        replace = await client.post(
            f"/cases/{case_id}/participants/{ids[0]}/replace",
            data={"first_name": "Riley", "last_name": "Park", "on": "2026-12-01"},
        )
        payer = await client.post(
            f"/cases/{case_id}/payers",
            data={"payer": "organization", "organization_name": "Acme EAP", "share": "50",
                  "covers": "all", "collection_mode": "invoice"},
        )  # fmt: skip
        too_much = await client.post(
            f"/cases/{case_id}/payers",
            data={"payer": ids[1], "share": "60", "covers": "all"},
        )
        details = await client.post(
            f"/cases/{case_id}/details",
            data={"name": "", "relationship_label": "partners", "primary_provider_id": str(crew.team.provider.id),
                  "supervisor_id": "", "capabilities": ["diagnoses", "superbills"]},
        )  # fmt: skip
        overview = texts((await client.get(f"/cases/{case_id}")).text)
        billing = texts((await client.get(f"/cases/{case_id}?tab=billing")).text)
    assert leave.status_code == 422 and "exactly two" in texts(leave.text)
    assert replace.status_code == 303
    assert payer.status_code == 303
    assert too_much.status_code == 422 and "at most 50 % is left" in texts(too_much.text)
    assert details.status_code == 303
    assert "Jordan Lee & Riley Park" in overview
    assert "Acme EAP pays 50 % for the whole case" in overview
    assert "Acme EAP" in billing and count(db, "case_payers") == 1


async def test_person_page_relationships_and_helpers(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    case_id = await _couple(sessionmaker, crew)
    with db.owner() as owner:
        maya, jordan = [str(r[0]) for r in owner.execute(
            "SELECT person_id FROM case_participants WHERE case_id = %s ORDER BY seq", (case_id,)
        ).fetchall()]  # fmt: skip
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        found = await client.post(
            f"/people/{maya}/relationships", data={"action": "find", "q": "jordan"}
        )
        added = await client.post(
            f"/people/{maya}/relationships",
            data={"action": "add", "related_person_id": jordan, "kind": "co_parent"},
        )
        bad_ec = await client.post(
            f"/people/{maya}/relationships",
            data={"action": "emergency", "contact.first_name": "Lin", "contact.last_name": "",
                  "kind": "parent"},
        )  # fmt: skip
        ec = await client.post(
            f"/people/{maya}/relationships",
            data={"action": "emergency", "contact.first_name": "Lin", "contact.last_name": "Chen",
                  "contact.phone_mobile": "312-555-0177", "kind": "parent"},
        )  # fmt: skip
        helper = await client.post(
            f"/people/{maya}/helpers", data={"helper_person_id": jordan, "scopes": "representative"}
        )
        page = texts((await client.get(f"/people/{maya}")).text)
        summary = texts((await client.get(f"/cases/{case_id}")).text)
        edit = await client.post(
            f"/people/{maya}",
            data={"first_name": "Maya", "last_name": "Chen", "phone_mobile": "12"},
        )
    assert f'value="{jordan}"' in found.text
    assert added.status_code == 303 and ec.status_code == 303
    assert bad_ec.status_code == 422
    assert helper.status_code == 303
    assert "Jordan Lee · Co-parent" in page
    assert "emergency contact Lin Chen · Parent" in page
    assert "not verified" in page
    assert "Verify representative Jordan" in summary and "Needs attention" in summary
    assert edit.status_code == 422 and 'id="e-details-phone_mobile"' in edit.text
    assert 'value="12"' in edit.text  # what was typed is kept


async def test_a_task_opened_from_the_record_shows_on_its_summary(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    case_id = await _couple(sessionmaker, crew)
    theirs = await open_case(sessionmaker, crew, "individual", person("Not", "Mine"), by="other",
                             provider=crew.other.id)  # fmt: skip
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        form = texts((await client.get(f"/tasks/new?case={case_id}")).text)
        created = await client.post(
            "/tasks", data={"title": "Send the release form", "kind": "follow_up",
                            "assignee_id": str(crew.team.provider.id), "case_id": str(case_id)},
        )  # fmt: skip
        summary = texts((await client.get(f"/cases/{case_id}")).text)
        foreign = await client.get(f"/tasks/new?case={theirs}")
        smuggled = await client.post(
            "/tasks", data={"title": "Peek", "kind": "follow_up", "case_id": str(theirs)}
        )
    assert "About the case Maya Chen & Jordan Lee" in form
    assert created.status_code == 303
    assert "Follow-up: Send the release form" in summary and "Needs attention" in summary
    assert foreign.status_code == 404 and smuggled.status_code == 404
    with db.owner() as owner:
        rows = owner.execute("SELECT subject_type, subject_id FROM tasks").fetchall()
    assert [tuple(r) for r in rows] == [("case", case_id)]


async def test_a_consultation_case_shows_no_diagnosis_ui_until_turned_on(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker
) -> None:
    case_id = await open_case(sessionmaker, crew, "consultation", person("Dr", "Consultee"))
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        clinical = texts((await client.get(f"/cases/{case_id}?tab=clinical")).text)
        billing = texts((await client.get(f"/cases/{case_id}?tab=billing")).text)
        posted = await client.post(
            f"/cases/{case_id}/diagnoses", data={"action": "find", "code_q": "anxiety"}
        )
        await client.post(
            f"/cases/{case_id}/details",
            data={"primary_provider_id": str(crew.team.provider.id), "capabilities": "diagnoses"},
        )
        turned_on = texts((await client.get(f"/cases/{case_id}?tab=clinical")).text)
    assert "Diagnoses" not in clinical and "Add a diagnosis" not in clinical
    assert "superbills" not in billing  # consultation billing: invoices and receipts
    assert posted.status_code == 404
    assert "Add a diagnosis" in turned_on


async def test_participant_settings_in_a_case(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    case_id = await _couple(sessionmaker, crew)
    with db.owner() as owner:
        maya = str(owner.execute(
            "SELECT person_id FROM case_participants WHERE case_id = %s ORDER BY seq", (case_id,)
        ).fetchone()[0])  # type: ignore[index]  # fmt: skip
    async with client_for(app) as client:
        await sign_in(client, crew.team.provider.email)
        saved = await client.post(
            f"/cases/{case_id}/participants/{maya}/settings",
            data={"role": "partner", "reminder_preference": "sms", "portal_access": "1",
                  "onboarding_state": "invited"},
        )  # fmt: skip
        bad = await client.post(
            f"/cases/{case_id}/participants/{maya}/settings", data={"reminder_preference": "pigeon"}
        )
        page = texts((await client.get(f"/cases/{case_id}")).text)
    assert saved.status_code == 303
    assert bad.status_code == 422 and "Choose email, text message or none." in texts(bad.text)
    assert "Reminders: Text message · portal on · onboarding invited" in page
    with db.owner() as owner:
        row = owner.execute(
            "SELECT reminder_preference, portal_access FROM case_participants WHERE person_id = %s",
            (maya,),
        ).fetchone()
    assert row == ("sms", True)  # the refused change wrote nothing
