"""Holes a review found, kept closed: a payer, a relationship or a page mark cannot reach a
stranger; a person follows their cases (not who first added them); odd input is a message,
never a 500; shares stay under 100 % when a payer is extended; leaving is recorded when it
happened; an emergency flag is kept on an existing link."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta

import httpx
import pytest
from fastapi import FastAPI

from core.db import SessionMaker, unit_of_work
from core.errors import InvalidInput
from models.orm.staff import StaffRole
from services.access import Actor
from services.cases import commands, payers
from services.cases.records import load_case, load_person
from services.people.commands import create_person
from services.people.relationships import add_relationship, relationships_of
from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.cases import TODAY, Crew, open_case, person
from tests.fixtures.db import Database
from tests.fixtures.factories import make_staff


@asynccontextmanager
async def signed_in(app: FastAPI, email: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        assert (await sign_in(client, email)).status_code == 303
        yield client


async def first_person(sessionmaker: SessionMaker, crew: Crew, case_id: uuid.UUID) -> uuid.UUID:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        return (await commands.participants_of(uow, case_id))[0].person_id


async def test_a_stranger_cannot_be_made_a_payer_to_reach_their_record(
    app: FastAPI, sessionmaker: SessionMaker, crew: Crew
) -> None:
    mine = await open_case(sessionmaker, crew, "individual", person("My", "Client"))
    theirs = await open_case(sessionmaker, crew, "individual", person("Their", "Client"),
                             by="other", provider=crew.other.id)  # fmt: skip
    stranger = await first_person(sessionmaker, crew, theirs)
    async with signed_in(app, crew.team.provider.email) as client:
        added = await client.post(f"/api/v1/cases/{mine}/payers", json={"person_id": str(stranger)})
        record = await client.get(f"/api/v1/people/{stranger}")
    assert added.status_code == 422
    assert record.status_code == 404


async def test_a_person_follows_their_cases_not_who_added_them(
    app: FastAPI, sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id = await open_case(sessionmaker, crew, "individual", person("Handed", "Over"))
    client_id = await first_person(sessionmaker, crew, case_id)
    supervised = await open_case(sessionmaker, crew, "individual", person("Assoc", "Client"),
                                 by="associate", provider=crew.team.associate.id)  # fmt: skip
    assoc_client = await first_person(sessionmaker, crew, supervised)
    owner = crew.actor("owner")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, owner, case_id, for_update=True)
        await commands.update_case(
            uow, owner, case, commands.CaseEdit(primary_provider_id=crew.other.id)
        )
    async with signed_in(app, crew.team.provider.email) as client:
        gone = await client.get(f"/api/v1/people/{client_id}")
        found = await client.post("/api/v1/search", json={"q": "handed"})
        read = await client.get(f"/api/v1/people/{assoc_client}")
        change = await client.patch(
            f"/api/v1/people/{assoc_client}", json={"first_name": "X", "last_name": "Y"}
        )
    assert gone.status_code == 404 and found.json()["people"] == []
    assert read.status_code == 200 and read.json()["may_change"] is False
    assert change.status_code == 403  # a supervisor reads, never changes


async def test_links_to_people_the_viewer_cannot_open_are_names_only(
    app: FastAPI, sessionmaker: SessionMaker, crew: Crew
) -> None:
    mine = await open_case(sessionmaker, crew, "individual", person("Kid", "Shared"))
    kid = await first_person(sessionmaker, crew, mine)
    theirs = await open_case(sessionmaker, crew, "individual", person("Mom", "Shared"),
                             by="other", provider=crew.other.id)  # fmt: skip
    mom = await first_person(sessionmaker, crew, theirs)
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        kid_p = await load_person(uow, crew.actor("owner"), kid)
        mom_p = await load_person(uow, crew.actor("owner"), mom)
        rel = await add_relationship(uow, mom_p, kid_p, "child")  # stored on Mom's side
    async with signed_in(app, crew.team.provider.email) as client:
        page = await client.get(f"/people/{kid}")
        removed = await client.post(f"/people/{kid}/relationships/{rel.id}/remove")
    assert "Mom Shared" in page.text and f'href="/people/{mom}"' not in page.text
    assert removed.status_code == 403  # the link is part of Mom's record too


async def test_a_page_mark_is_one_of_the_viewers_own_rows(
    app: FastAPI, sessionmaker: SessionMaker, crew: Crew
) -> None:
    theirs = await open_case(sessionmaker, crew, "individual", person("Hidden", "Row"),
                             by="other", provider=crew.other.id)  # fmt: skip
    async with signed_in(app, crew.team.provider.email) as client:
        probe = await client.get("/api/v1/cases", params={"cursor": str(theirs)})
        missing = await client.get("/api/v1/cases", params={"cursor": str(uuid.uuid4())})
    assert probe.status_code == missing.status_code == 422  # no difference to learn from


async def test_the_identified_client_is_checked_on_closed_cases_too(
    app: FastAPI, sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id = await open_case(sessionmaker, crew, "couple", person("A", "One"), person("B", "One"),
                              relationship_label="spouses")  # fmt: skip
    other = await open_case(sessionmaker, crew, "individual", person("C", "Two"))
    outsider = await first_person(sessionmaker, crew, other)
    async with signed_in(app, crew.team.provider.email) as client:
        await client.patch(f"/api/v1/cases/{case_id}", json={"status": "closed"})
        stranger = await client.patch(
            f"/api/v1/cases/{case_id}", json={"identified_person_id": str(outsider)}
        )
        random_id = await client.patch(
            f"/api/v1/cases/{case_id}", json={"identified_person_id": str(uuid.uuid4())}
        )
    assert stranger.status_code == random_id.status_code == 422


@pytest.mark.parametrize(
    "data",
    [
        {"first_name": "Ana", "last_name": "Ruiz", "country": "USA"},
        {"first_name": "Ana", "last_name": "Ruiz", "phone_mobile": "1" * 80},
        {"first_name": "Ana", "last_name": "Ruiz", "email": "ana\x00@example.org"},
        {"first_name": "Ana\x00", "last_name": "Ruiz", "date_of_birth": "2000-01-01" * 5},
    ],
)
async def test_odd_person_details_on_pages_are_messages_not_500s(
    app: FastAPI, sessionmaker: SessionMaker, crew: Crew, data: dict[str, str]
) -> None:
    case_id = await open_case(sessionmaker, crew, "individual", person("Ana", "Ruiz"))
    ana = await first_person(sessionmaker, crew, case_id)
    async with signed_in(app, crew.team.provider.email) as client:
        edit = await client.post(f"/people/{ana}", data=data)
        add = await client.post(f"/cases/{case_id}/participants", data={"action": "add", **data})
        new = await client.post(
            "/clients/new",
            data={"kind": "individual", "count": "1", "action": "review",
                  **{f"participants.0.{k}": v for k, v in data.items()}},
        )  # fmt: skip
    assert edit.status_code in (303, 422)  # (a NUL is dropped from form text, not stored)
    assert add.status_code == 422  # an individual case has its one participant already
    assert new.status_code in (200, 422)
    if data.get("country") == "USA":
        assert "two-letter country code" in edit.text


async def test_odd_values_elsewhere_are_messages_not_500s(
    app: FastAPI, sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id = await open_case(sessionmaker, crew, "individual", person("Ana", "Ruiz"))
    async with signed_in(app, crew.team.provider.email) as client:
        answers = [
            await client.post(
                "/clients/new",
                data={
                    "kind": "individual",
                    "count": "²",
                    "primary_provider_id": "garbage",
                    "identified_index": "²",
                    "action": "review",
                },
            ),
            await client.post(
                f"/cases/{case_id}/diagnoses", data={"action": "add", "code": "F43.10", "rank": "²"}
            ),
            await client.post("/search", data={"q": "an\x00a"}),
            await client.post("/api/v1/search", json={"q": "an\x00a"}),
            await client.get("/api/v1/diagnosis-codes", params={"q": "f43\x00"}),
            await client.post(
                f"/cases/{case_id}/diagnoses", data={"action": "find", "code_q": "\x00"}
            ),
            await client.post("/api/v1/organizations", json={"name": "Acme", "email": "a\x00b"}),
        ]
    assert all(a.status_code < 500 for a in answers), [a.status_code for a in answers]


async def test_extending_a_payer_cannot_push_shares_past_100(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id = await open_case(sessionmaker, crew, "individual", person("Pay", "Er"))
    me = await first_person(sessionmaker, crew, case_id)
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        first = await payers.add_payer(
            uow, actor, case,
            payers.PayerIn(person_id=me, effective_from=date(2026, 1, 1), effective_to=date(2026, 6, 30)),
            TODAY,
        )  # fmt: skip
        await payers.add_payer(
            uow, actor, case, payers.PayerIn(person_id=me, effective_from=date(2026, 12, 1)), TODAY
        )
        with pytest.raises(InvalidInput) as info:
            await payers.end_payer(uow, case, first.id, date(2030, 1, 1))
        assert "effective_to" in info.value.field_errors
        await payers.end_payer(uow, case, first.id, date(2026, 11, 30))  # up to the next: fine


async def test_a_leaving_is_recorded_when_it_happened(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id = await open_case(sessionmaker, crew, "therapy_group", person("A", "A"),
                              person("B", "B"), name="Group")  # fmt: skip
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        member = (await commands.participants_of(uow, case_id))[1].person_id
        with pytest.raises(InvalidInput) as info:
            await commands.end_participation(uow, case, member, TODAY + timedelta(days=7), TODAY)
        assert "today at the latest" in info.value.field_errors["left_on"]


async def test_an_emergency_flag_on_an_existing_link_is_kept(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id = await open_case(sessionmaker, crew, "individual", person("Kid", "Flag"))
    kid_id = await first_person(sessionmaker, crew, case_id)
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        kid = await load_person(uow, crew.actor("owner"), kid_id)
        mom = await create_person(uow, person("Mom", "Flag"), steward_id=crew.team.provider.id,
                                  today=TODAY)  # fmt: skip
        await add_relationship(uow, mom, kid, "child")  # Mom's side: Kid is her child
        await add_relationship(uow, kid, mom, "parent", emergency_contact=True)
        views = await relationships_of(uow, kid.id)
    assert [(v.other_name, v.label, v.emergency_contact) for v in views] == [
        ("Mom Flag", "Parent", True)
    ]


async def test_an_associate_whose_supervisor_left_can_still_open_a_case(
    sessionmaker: SessionMaker, crew: Crew, db: Database
) -> None:
    gone = await make_staff(sessionmaker, crew.team.practice, StaffRole.provider)
    associate = await make_staff(sessionmaker, crew.team.practice, StaffRole.associate,
                                 supervisor_id=gone.id)  # fmt: skip
    with db.owner() as owner:  # the supervisor left; the associate's default still names them
        owner.execute("UPDATE staff_members SET status = 'deactivated' WHERE id = %s", (gone.id,))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        actor = Actor(staff_id=associate.id, practice_id=crew.practice_id,
                      role=StaffRole.associate, display_name="a")  # fmt: skip
        case = await commands.open_case(
            uow, actor,
            commands.CaseOpen(kind="individual", primary_provider_id=associate.id,
                              participants=[commands.Joiner(person=person("New", "One"))]),
            TODAY,
        )  # fmt: skip
    assert case.supervisor_id is None
