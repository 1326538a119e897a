"""The Workflow summary (WFS-*): computed from rows by contributors — lifecycle and
"Ready to schedule", open attention items the viewer may see, the billing arrangement
(for those who see billing) — and the practice's minors setting."""

from __future__ import annotations

import uuid

from fastapi import FastAPI

from core.db import SessionMaker, unit_of_work
from services.access import Actor
from services.cases import commands, payers
from services.cases.records import load_case
from services.cases.views import people_of
from services.people.commands import set_lifecycle
from services.people.relationships import set_helper
from services.summary import Summary, SummaryContext, build_summary
from services.tasks.commands import get_task
from services.tasks.kinds import SubjectType
from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.cases import TODAY, Crew, open_case, person
from tests.fixtures.tasks import NOW, open_for


async def summary_for(
    sessionmaker: SessionMaker, crew: Crew, actor: Actor, case_id: uuid.UUID
) -> Summary:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, grants = await load_case(uow, actor, case_id)
        parts = await commands.participants_of(uow, case_id)
        people = await people_of(uow, parts)
        return await build_summary(
            SummaryContext(uow, actor, case, grants, parts, people, TODAY, NOW)
        )


async def test_a_new_family_is_ready_to_schedule_and_pays_for_itself(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id = await open_case(
        sessionmaker, crew, "family", person("Pat", "Ng"), person("Kit", "Ng")
    )
    summary = await summary_for(sessionmaker, crew, crew.actor("provider"), case_id)
    assert [s.label for s in summary.states] == ["Ready to schedule"]
    assert summary.next_step == "Schedule a first appointment."
    assert [(line.name, line.label) for line in summary.lifecycle] == [
        ("Pat Ng", "Prospect"), ("Kit Ng", "Prospect"),
    ]  # fmt: skip
    assert summary.billing == ["Each client pays for themselves (no billing contact)."]


async def test_attention_items_and_billing_arrangement(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id = await open_case(
        sessionmaker,
        crew,
        "family",
        person("Pat", "Ng"),
        person("Kit", "Ng", date_of_birth="2012-01-01"),
    )
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        pat, kit = [p.person_id for p in await commands.participants_of(uow, case_id)]
        people = await people_of(uow, await commands.participants_of(uow, case_id))
        for p in people.values():
            await set_lifecycle(uow, p, "active")
        await payers.add_payer(uow, actor, case, payers.PayerIn(person_id=pat, covers=[kit]), TODAY)
        await set_helper(uow, people[kit], people[pat], ["representative"])
    await open_for_case(
        sessionmaker, crew, case_id, "Call the school", assignee=crew.team.provider.id
    )
    await open_for_case(
        sessionmaker, crew, case_id, "Owner's private note", assignee=crew.team.owner.id
    )
    summary = await summary_for(sessionmaker, crew, actor, case_id)
    labels = [a.label for a in summary.attention]
    assert "Follow-up: Call the school" in labels
    assert not any("Owner's private" in label for label in labels)  # not a task the provider sees
    assert "Verify representative Pat" in labels
    assert [s.label for s in summary.states] == ["Needs attention"]  # everyone is active
    assert summary.billing == [
        "Pat Ng pays 100 % for Kit Ng", "Self-pay: Pat Ng",
    ]  # fmt: skip
    owner_view = await summary_for(sessionmaker, crew, crew.actor("owner"), case_id)
    assert any("Owner's private" in a.label for a in owner_view.attention)


async def test_supervisors_see_no_billing_arrangement(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id = await open_case(
        sessionmaker, crew, "individual", person("A", "B"), by="associate",
        provider=crew.team.associate.id,
    )  # fmt: skip
    summary = await summary_for(sessionmaker, crew, crew.actor("provider"), case_id)
    assert summary.billing is None


async def open_for_case(
    sessionmaker: SessionMaker, crew: Crew, case_id: uuid.UUID, title: str, *, assignee: uuid.UUID
) -> None:
    task_id = await open_for(sessionmaker, crew.team, title, assignee=assignee, opener=assignee)
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        task = await get_task(uow, task_id)
        task.subject_type, task.subject_id = SubjectType.case, case_id


async def test_the_age_of_consent_setting(app: FastAPI, crew: Crew) -> None:
    async with client_for(app) as client:
        await sign_in(client, crew.team.owner.email)
        bad = await client.post("/settings/practice/clients", data={"minor_age_of_consent": "40"})
        good = await client.post("/settings/practice/clients", data={"minor_age_of_consent": "16"})
        created = await client.post(
            "/api/v1/cases",
            json={"kind": "individual", "participants": [{"person": {
                "first_name": "Teen", "last_name": "Ager", "date_of_birth": "2009-06-01"}}]},
        )  # fmt: skip
    async with client_for(app) as provider:
        await sign_in(provider, crew.team.provider.email)
        refused = await provider.post(
            "/settings/practice/clients", data={"minor_age_of_consent": "16"}
        )
    assert bad.status_code == 422 and "from 12 to 21" in bad.text
    assert good.status_code == 303
    assert created.json()["participants"][0]["minor"] is False  # 17 and a half; consent at 16
    assert refused.status_code == 403
