"""`/api/v1/cases`, `/api/v1/people`, `/api/v1/search` end to end through the app: every
kind, bad input as problem+json that changes nothing, audiences (admins get no clinical
fields, supervisors no billing), capability flags, 404s across practices, audit events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.cases import Crew
from tests.fixtures.db import Database
from tests.fixtures.factories import Team


@asynccontextmanager
async def signed_in(app: FastAPI, email: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        assert (await sign_in(client, email)).status_code == 303
        yield client


def count(db: Database, table: str) -> int:
    with db.owner() as owner:
        row = owner.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def errors_of(response: httpx.Response) -> dict[str, str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return {e["field"]: e["message"] for e in response.json().get("errors", [])}


def new(first: str, last: str, **extra: Any) -> dict[str, Any]:
    return {"person": {"first_name": first, "last_name": last, **extra}}


KINDS = [
    ("individual", [new("Ava", "Stone", email="ava@example.org", phone_mobile="312-555-0101")], {}),
    ("couple", [new("Maya", "Chen"), new("Jordan", "Chen")], {"relationship_label": "spouses"}),
    ("family", [new("Pat", "Reyes"), new("Kim", "Reyes", date_of_birth="2012-03-04")], {}),
    ("therapy_group", [new("G1", "One"), new("G2", "Two")], {"name": "Tuesday DBT"}),
    ("consultation", [new("Dr Lee", "Park")], {}),
    ("consultation_group", [new("Dr A", "Ames")], {"name": "Peer consult"}),
    ("workshop_group", [new("W", "One")], {"name": "Parenting workshop"}),
]


@pytest.mark.parametrize(("kind", "participants", "extra"), KINDS)
async def test_every_kind_through_the_api(
    app: FastAPI, crew: Crew, db: Database, kind: str, participants: list[Any],
    extra: dict[str, Any],
) -> None:  # fmt: skip
    async with signed_in(app, crew.team.provider.email) as client:
        created = await client.post(
            "/api/v1/cases", json={"kind": kind, "participants": participants, **extra}
        )
        assert created.status_code == 201, created.text
        case = created.json()
        got = await client.get(f"/api/v1/cases/{case['id']}")
        listed = await client.get("/api/v1/cases", params={"kind": kind})
    assert got.json() == case
    assert case["kind"] == kind
    assert case["primary_provider"]["id"] == str(crew.team.provider.id)
    assert len(case["participants"]) == len(participants)
    therapy = kind in ("individual", "couple", "family", "therapy_group")
    assert case["capabilities"]["diagnoses"] is therapy
    assert ("diagnoses" in case) is therapy  # a feature that is off is not in the data
    assert case["payers"] == []
    assert [c["id"] for c in listed.json()["items"]] == [case["id"]]
    if kind == "family":
        assert [p["minor"] for p in case["participants"]] == [False, True]
        assert case["identified_person_id"] == case["participants"][0]["person_id"]


async def test_bad_input_is_problem_json_and_writes_nothing(
    app: FastAPI, crew: Crew, db: Database
) -> None:
    before = (count(db, "cases"), count(db, "people"), count(db, "case_participants"))
    async with signed_in(app, crew.team.provider.email) as client:
        wrong_shape = await client.post(
            "/api/v1/cases",
            json={
                "kind": "couple",
                "relationship_label": "spouses",
                "participants": [new("A", "B")],
            },
        )
        bad_person = await client.post(
            "/api/v1/cases",
            json={"kind": "individual", "participants": [new("", "B", phone_mobile="12")]},
        )
        unknown_kind = await client.post(
            "/api/v1/cases", json={"kind": "tribe", "participants": []}
        )
        not_json = await client.post(
            "/api/v1/cases", content=b"{", headers={"content-type": "application/json"}
        )
        bad_filter = await client.get("/api/v1/cases", params={"status": "deleted", "cursor": "x"})
    assert wrong_shape.status_code == 422
    assert wrong_shape.headers["content-type"].startswith("application/problem+json")
    assert "exactly two" in errors_of(wrong_shape)["participants"]
    assert set(errors_of(bad_person)) == {
        "participants.0.first_name", "participants.0.phone_mobile",
    }  # fmt: skip
    assert unknown_kind.status_code == 422 and "kind" in errors_of(unknown_kind)
    assert not_json.status_code == 422
    assert set(errors_of(bad_filter)) == {"status", "cursor"}
    after = (count(db, "cases"), count(db, "people"), count(db, "case_participants"))
    assert after == before


async def _couple(client: httpx.AsyncClient) -> dict[str, Any]:
    created = await client.post(
        "/api/v1/cases",
        json={"kind": "couple", "relationship_label": "partners",
              "participants": [new("Maya", "Chen"), new("Jordan", "Lee")]},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_replace_a_partner_add_a_payer_and_a_diagnosis(
    app: FastAPI, crew: Crew, db: Database
) -> None:
    async with signed_in(app, crew.team.provider.email) as client:
        case = await _couple(client)
        maya, jordan = (p["person_id"] for p in case["participants"])
        base = f"/api/v1/cases/{case['id']}"
        replaced = await client.post(
            f"{base}/participants/{maya}/replace",
            json={"replacement": new("Riley", "Park"), "on": "2026-12-01"},
        )
        assert replaced.status_code == 200, replaced.text
        view = replaced.json()
        assert [p["current"] for p in view["participants"]] == [False, True, True]
        riley = view["participants"][2]["person_id"]
        assert view["identified_person_id"] == riley
        leave = await client.post(
            f"{base}/participants/{jordan}/leave", json={"left_on": "2026-12-01"}
        )
        assert leave.status_code == 422 and "exactly two" in leave.json()["detail"]
        payer = await client.post(
            f"{base}/payers", json={"person_id": jordan, "share_percent": "60"}
        )
        assert payer.status_code == 201, payer.text
        too_much = await client.post(
            f"{base}/payers", json={"person_id": riley, "share_percent": "50"}
        )
        assert too_much.status_code == 422 and "40 %" in errors_of(too_much)["share"]
        dx = await client.post(f"{base}/diagnoses", json={"person_id": riley, "code": "Z63.0"})
        assert dx.status_code == 201, dx.text
        bad_dx = await client.post(f"{base}/diagnoses", json={"person_id": riley, "code": "Q99"})
        assert bad_dx.status_code == 422
        final = (await client.get(base)).json()
    assert [(p["name"], p["share_percent"]) for p in final["payers"]] == [("Jordan Lee", 60.0)]
    assert [(d["code"], d["rank"]) for d in final["diagnoses"]] == [("Z63.0", 1)]


async def test_admins_get_no_clinical_fields_and_supervisors_no_billing(
    app: FastAPI, crew: Crew
) -> None:
    async with signed_in(app, crew.team.associate.email) as client:
        created = await client.post(
            "/api/v1/cases", json={"kind": "individual", "participants": [new("Ann", "Lowe")]}
        )
        case_id = created.json()["id"]
        person_id = created.json()["participants"][0]["person_id"]
        await client.post(
            f"/api/v1/cases/{case_id}/diagnoses", json={"person_id": person_id, "code": "F41.1"}
        )
    async with signed_in(app, crew.team.provider.email) as client:
        mine = await _couple(client)
        supervised = (await client.get(f"/api/v1/cases/{case_id}")).json()
        change = await client.patch(f"/api/v1/cases/{case_id}", json={"name": "Renamed"})
    assert [d["code"] for d in supervised["diagnoses"]] == ["F41.1"]  # supervisors read clinical
    assert "payers" not in supervised and supervised["may_change"] is False
    assert change.status_code == 403
    async with signed_in(app, crew.team.admin.email) as admin:
        before = await admin.get(f"/api/v1/cases/{mine['id']}")
        await admin.post("/acting-for", data={"provider_id": str(crew.team.provider.id)})
        acting = await admin.get(f"/api/v1/cases/{mine['id']}")
        dx = await admin.get(f"/api/v1/cases/{mine['id']}/diagnoses")
        not_theirs = await admin.get(f"/api/v1/cases/{case_id}")  # the provider only supervises it
    assert before.status_code == 404  # working as themselves: no client records
    assert acting.status_code == 200
    assert "diagnoses" not in acting.json() and acting.json()["payers"] == []
    assert dx.status_code == 403
    assert not_theirs.status_code == 404


async def test_consultation_cases_have_no_diagnosis_api_until_turned_on(
    app: FastAPI, crew: Crew
) -> None:
    async with signed_in(app, crew.team.provider.email) as client:
        case = (
            await client.post(
                "/api/v1/cases", json={"kind": "consultation", "participants": [new("Dr", "Who")]}
            )
        ).json()
        person_id = case["participants"][0]["person_id"]
        base = f"/api/v1/cases/{case['id']}"
        listed = await client.get(f"{base}/diagnoses")
        added = await client.post(
            f"{base}/diagnoses", json={"person_id": person_id, "code": "F43.10"}
        )
        on = await client.patch(base, json={"capabilities": {"diagnoses": True}})
        later = await client.post(
            f"{base}/diagnoses", json={"person_id": person_id, "code": "F43.10"}
        )
    assert listed.status_code == 404 and added.status_code == 404
    assert on.status_code == 200 and "diagnoses" in on.json()
    assert later.status_code == 201


async def test_search_is_a_post_and_respects_access(app: FastAPI, crew: Crew) -> None:
    async with signed_in(app, crew.team.provider.email) as client:
        await _couple(client)
        found = await client.post("/api/v1/search", json={"q": "jordn"})
        as_get = await client.get("/api/v1/search", params={"q": "jordan"})
        too_long = await client.post("/api/v1/search", json={"q": "x" * 300})
    assert [g["label"] for g in found.json()["groups"]] == ["Couples"]
    assert [p["name"] for p in found.json()["people"]] == ["Jordan Lee"]
    assert as_get.status_code == 405
    assert too_long.status_code == 422
    async with signed_in(app, crew.other.email) as other:
        nothing = await other.post("/api/v1/search", json={"q": "jordan"})
    assert nothing.json() == {"query": "jordan", "people": [], "groups": []}


async def test_people_relationships_and_helpers(app: FastAPI, crew: Crew) -> None:
    async with signed_in(app, crew.team.provider.email) as client:
        case = await _couple(client)
        maya, jordan = (p["person_id"] for p in case["participants"])
        spouse = await client.post(
            f"/api/v1/people/{maya}/relationships",
            json={"related_person_id": jordan, "kind": "partner"},
        )
        emergency = await client.post(
            f"/api/v1/people/{maya}/relationships",
            json={"new_person": {"first_name": "Lin", "last_name": "Chen", "phone_mobile": "3125550199"},
                  "kind": "parent", "emergency_contact": True},
        )  # fmt: skip
        assert emergency.status_code == 201, emergency.text
        lin = next(r for r in emergency.json()["relationships"] if r["name"] == "Lin Chen")
        helper = await client.post(
            f"/api/v1/people/{maya}/helpers",
            json={"helper_person_id": lin["person_id"], "scopes": ["representative"]},
        )
        bad_scope = await client.post(
            f"/api/v1/people/{maya}/helpers",
            json={"helper_person_id": lin["person_id"], "scopes": ["admin"]},
        )
        from_jordan = (await client.get(f"/api/v1/people/{jordan}")).json()
        lin_record = (await client.get(f"/api/v1/people/{lin['person_id']}")).json()
        edit = await client.patch(
            f"/api/v1/people/{maya}",
            json={"first_name": "Maya", "last_name": "Chen", "email": "nope"},
        )
    assert spouse.status_code == 201
    assert lin["kind"] == "parent" and lin["emergency_contact"] is True
    assert helper.json()["helpers"][0]["verification"] == "unverified"
    assert bad_scope.status_code == 422
    assert [(r["name"], r["kind"]) for r in from_jordan["relationships"]] == [
        ("Maya Chen", "partner")
    ]
    assert [(r["name"], r["kind"]) for r in lin_record["relationships"]] == [("Maya Chen", "child")]
    assert lin_record["person"]["lifecycle"] == "contact"
    assert edit.status_code == 422 and "email" in errors_of(edit)


async def test_another_practice_gets_404s_and_every_read_is_audited(
    app: FastAPI, crew: Crew, theirs: Team, db: Database
) -> None:
    async with signed_in(app, crew.team.provider.email) as client:
        case = await _couple(client)
    person_id = case["participants"][0]["person_id"]
    async with signed_in(app, theirs.owner.email) as stranger:
        answers = [
            await stranger.get(f"/api/v1/cases/{case['id']}"),
            await stranger.patch(f"/api/v1/cases/{case['id']}", json={"name": "x"}),
            await stranger.get(f"/api/v1/people/{person_id}"),
            await stranger.post(
                f"/api/v1/cases/{case['id']}/payers", json={"person_id": person_id}
            ),
        ]
        listed = await stranger.get("/api/v1/cases", params={"status": "everyone"})
    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert listed.json()["items"] == []
    with db.owner() as owner:
        rows = owner.execute(
            "SELECT action, subject_type, subject_ids FROM audit_events WHERE practice_id = %s"
            " AND subject_type = 'case' ORDER BY occurred_at",
            (crew.practice_id,),
        ).fetchall()
    assert ("api.cases_create", "case", [uuid.UUID(case["id"])]) in [tuple(r) for r in rows]
