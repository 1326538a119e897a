"""Every case kind through the service, and the shape each kind keeps (CASE-2, CASE-7,
CASE-14; migration 0005's case_shape constraint trigger)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from core.db import SessionMaker, open_unit, unit_of_work
from core.errors import InvalidInput
from models.orm.case import Case, CaseAccess, Participant
from models.orm.person import Person
from services.cases import commands
from services.cases.queries import roster_on
from services.cases.records import load_case
from tests.fixtures.cases import TODAY, Crew, open_case, person


async def counts(sessionmaker: SessionMaker, crew: Crew) -> tuple[int, int, int]:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        return (
            await uow.session.scalar(select(func.count()).select_from(Case)) or 0,
            await uow.session.scalar(select(func.count()).select_from(Participant)) or 0,
            await uow.session.scalar(select(func.count()).select_from(Person)) or 0,
        )


@pytest.mark.parametrize(
    ("kind", "people", "fields", "expected_name", "therapy"),
    [
        ("individual", 1, {}, "Ana Lopez1", True),
        ("couple", 2, {"relationship_label": "co_parents"}, "Ana Lopez1 & Ana Lopez2", True),
        ("family", 3, {}, "Lopez1 family", True),
        ("therapy_group", 4, {"name": "Tuesday DBT skills"}, "Tuesday DBT skills", True),
        ("consultation", 1, {}, "Ana Lopez1", False),
        ("consultation_group", 3, {"name": "Peer consult"}, "Peer consult", False),
        ("workshop_group", 2, {"name": "Couples weekend"}, "Couples weekend", False),
    ],
)
async def test_every_kind_opens_with_its_people_and_capabilities(
    sessionmaker: SessionMaker, crew: Crew, kind: str, people: int, fields: dict[str, Any],
    expected_name: str, therapy: bool,
) -> None:  # fmt: skip
    case_id = await open_case(
        sessionmaker, crew, kind, *[person("Ana", f"Lopez{i + 1}") for i in range(people)],
        **fields,
    )  # fmt: skip
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, crew.actor("provider"), case_id)
        parts = await commands.participants_of(uow, case_id)
        access = list(
            await uow.session.scalars(select(CaseAccess).where(CaseAccess.case_id == case_id))
        )
        contact_types = set(
            await uow.session.scalars(
                select(Person.contact_type).where(Person.id.in_([p.person_id for p in parts]))
            )
        )
    assert case.name == expected_name
    assert len(parts) == people and all(p.is_current for p in parts)
    assert (case.cap_diagnoses, case.cap_superbills, case.cap_claims) == (therapy,) * 3
    assert {(a.staff_id, a.reason) for a in access} == {(crew.team.provider.id, "primary_provider")}
    expected_type = {"consultation": "consultation_client", "consultation_group":
                     "clinical_consultee", "workshop_group": "group_participant"}.get(kind, "therapy_client")  # fmt: skip
    assert contact_types == {expected_type}
    if kind in ("couple", "family"):
        assert case.identified_person_id == parts[0].person_id  # superbills need one client


@pytest.mark.parametrize(
    ("kind", "people", "rule"),
    [
        ("individual", 2, "exactly one current participant"),
        ("individual", 0, "exactly one current participant"),
        ("consultation", 2, "exactly one current participant"),
        ("couple", 1, "exactly two"),
        ("couple", 3, "exactly two"),
        ("family", 1, "two or more"),
        ("therapy_group", 0, "one or more"),
        ("workshop_group", 0, "one or more"),
    ],
)
async def test_a_case_of_the_wrong_shape_is_refused_and_nothing_is_written(
    sessionmaker: SessionMaker, crew: Crew, kind: str, people: int, rule: str
) -> None:
    before = await counts(sessionmaker, crew)
    with pytest.raises(InvalidInput) as info:
        await open_case(
            sessionmaker, crew, kind, *[person("Bo", f"Kim{i}") for i in range(people)],
            name="A group", relationship_label="spouses" if kind == "couple" else None,
        )  # fmt: skip
    assert rule in info.value.field_errors["participants"]
    assert await counts(sessionmaker, crew) == before


async def test_the_database_refuses_a_broken_shape_at_commit_too(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    """Even a write that skips the service: a couple losing a partner fails at commit."""
    case_id = await open_case(
        sessionmaker, crew, "couple", person("Maya", "Chen"), person("Jordan", "Chen"),
        relationship_label="spouses", identified_index=1,
    )  # fmt: skip
    uow = await open_unit(sessionmaker, crew.practice_id)
    try:
        parts = await commands.participants_of(uow, case_id)
        parts[0].left_on = TODAY
        with pytest.raises(DBAPIError, match="case_shape:exactly_two"):
            await uow.commit()
    finally:
        await uow.close()
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        assert all(p.is_current for p in await commands.participants_of(uow, case_id))


async def test_a_couple_needs_a_relationship_label_and_a_group_a_name(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    with pytest.raises(InvalidInput) as info:
        await open_case(sessionmaker, crew, "couple", person("A", "B"), person("C", "D"))
    assert "relationship_label" in info.value.field_errors
    with pytest.raises(InvalidInput) as info:
        await open_case(sessionmaker, crew, "therapy_group", person("A", "B"))
    assert "name" in info.value.field_errors


async def test_bad_details_of_a_new_person_are_named_beside_their_field(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    before = await counts(sessionmaker, crew)
    with pytest.raises(InvalidInput) as info:
        await open_case(
            sessionmaker, crew, "couple",
            person("Maya", "Chen", phone_mobile="555", email="not-an-email"),
            person("", "Chen", date_of_birth="2090-01-01"),
            relationship_label="spouses",
        )  # fmt: skip
    errors = info.value.field_errors
    assert "valid phone number" in errors["participants.0.phone_mobile"]
    assert "valid email" in errors["participants.0.email"]
    assert "first name" in errors["participants.1.first_name"]
    assert "future" in errors["participants.1.date_of_birth"]
    assert await counts(sessionmaker, crew) == before


async def test_phones_are_stored_in_e164(sessionmaker: SessionMaker, crew: Crew) -> None:
    case_id = await open_case(
        sessionmaker, crew, "individual",
        person("Ivy", "Stone", phone_mobile="(503) 555-0123", phone_work="+44 20 7946 0958"),
    )  # fmt: skip
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        [part] = await commands.participants_of(uow, case_id)
        ivy = await uow.session.get(Person, part.person_id)
    assert ivy is not None
    assert (ivy.phone_mobile, ivy.phone_work) == ("+15035550123", "+442079460958")


async def test_replacing_a_partner_keeps_the_couple_valid(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id = await open_case(
        sessionmaker, crew, "couple", person("Maya", "Chen"), person("Jordan", "Chen"),
        relationship_label="partners",
    )  # fmt: skip
    actor = crew.actor("provider")
    day = TODAY
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        maya = (await commands.participants_of(uow, case_id))[0].person_id
        await commands.replace_participant(
            uow, actor, case, maya, commands.Joiner(person=person("Riley", "Park")), day, TODAY
        )
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id)
        parts = await commands.participants_of(uow, case_id)
        current = [p for p in parts if p.is_current]
        assert len(current) == 2 and len(parts) == 3
        assert case.name == "Jordan Chen & Riley Park"
        assert case.identified_person_id == current[-1].person_id  # Maya's role passed on
        # the day of the change holds both (one's last day, the other's first)
        assert await roster_on(uow, case_id, TODAY) == [p.person_id for p in parts]
        assert await roster_on(uow, case_id, TODAY + timedelta(days=1)) == [
            p.person_id for p in parts[1:]
        ]

    # Removing a partner without a replacement is refused with the couple's rule.
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        with pytest.raises(InvalidInput, match="exactly two"):
            await commands.end_participation(uow, case, current[0].person_id, day, TODAY)


async def test_group_roster_by_date(sessionmaker: SessionMaker, crew: Crew) -> None:
    """Members join late and leave early; the roster of a day is who was in on that day."""
    case_id = await open_case(
        sessionmaker, crew, "therapy_group", person("Ann", "One"), person("Ben", "Two"),
        name="Thursday group", opened_on=date(2026, 9, 1),
    )  # fmt: skip
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        ann, ben = [p.person_id for p in await commands.participants_of(uow, case_id)]
        cy = await commands.add_participant(
            uow, actor, case,
            commands.Joiner(person=person("Cy", "Three"), joined_on=date(2026, 10, 15)), TODAY,
        )  # fmt: skip
        await commands.end_participation(uow, case, ben, date(2026, 11, 1), TODAY)
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        assert await roster_on(uow, case_id, date(2026, 9, 10)) == [ann, ben]
        assert await roster_on(uow, case_id, date(2026, 10, 20)) == [ann, ben, cy.person_id]
        assert await roster_on(uow, case_id, date(2026, 11, 2)) == [ann, cy.person_id]
    # The last member cannot leave an open group.
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        await commands.end_participation(uow, case, ann, TODAY, TODAY)
        with pytest.raises(InvalidInput, match="one or more"):
            await commands.end_participation(uow, case, cy.person_id, TODAY, TODAY)


async def test_the_identified_client_must_be_a_current_participant(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    outsider = await open_case(sessionmaker, crew, "individual", person("Out", "Sider"))
    case_id = await open_case(
        sessionmaker, crew, "family", person("Pat", "Lee"), person("Sam", "Lee"),
        person("Kit", "Lee"), identified_index=2,
    )  # fmt: skip
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        other = (await commands.participants_of(uow, outsider))[0].person_id
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        parts = await commands.participants_of(uow, case_id)
        assert case.identified_person_id == parts[2].person_id
        with pytest.raises(InvalidInput) as info:
            await commands.update_case(
                uow, actor, case, commands.CaseEdit(identified_person_id=other)
            )
        assert "must be a current" in info.value.field_errors["identified_person_id"]
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        with pytest.raises(InvalidInput, match="identified client must be a current"):
            await commands.end_participation(uow, case, parts[2].person_id, TODAY, TODAY)


async def test_one_person_in_two_cases(sessionmaker: SessionMaker, crew: Crew) -> None:
    """CASE-12: Maya has her own case and is in a couple case; lifecycle stays on her."""
    own = await open_case(sessionmaker, crew, "individual", person("Maya", "Chen"))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        maya = (await commands.participants_of(uow, own))[0].person_id
    couple = await open_case(
        sessionmaker, crew, "couple", maya, person("Jordan", "Chen"), relationship_label="spouses"
    )
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        rows = await uow.session.scalars(
            select(Participant.case_id).where(Participant.person_id == maya)
        )
        assert set(rows) == {own, couple}
        assert await uow.session.scalar(select(func.count()).select_from(Person)) == 2


async def test_a_provider_opens_cases_for_themselves_only(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    with pytest.raises(InvalidInput) as info:
        await open_case(
            sessionmaker, crew, "individual", person("A", "B"), by="provider",
            provider=crew.other.id,
        )  # fmt: skip
    assert "yourself" in info.value.field_errors["primary_provider_id"]
    # The owner may open one for anyone; an admin for the provider they work for.
    await open_case(
        sessionmaker, crew, "individual", person("A", "B"), by="owner", provider=crew.other.id
    )
    await open_case(sessionmaker, crew, "individual", person("C", "D"), by="admin")


async def test_an_associates_case_gets_their_supervisor_as_case_supervisor(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id = await open_case(
        sessionmaker, crew, "individual", person("A", "B"), by="associate",
        provider=crew.team.associate.id,
    )  # fmt: skip
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        rows = await uow.session.execute(
            select(CaseAccess.staff_id, CaseAccess.reason).where(CaseAccess.case_id == case_id)
        )
        assert set(rows.all()) == {
            (crew.team.associate.id, "primary_provider"),
            (crew.team.provider.id, "case_supervisor"),
        }


async def test_closing_and_reopening(sessionmaker: SessionMaker, crew: Crew) -> None:
    case_id = await open_case(sessionmaker, crew, "individual", person("A", "B"))
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        with pytest.raises(InvalidInput):
            await commands.close_case(uow, case, TODAY - timedelta(days=3))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        await commands.close_case(uow, case, TODAY)
        # a closed case keeps no shape rule: its last participant may leave
        [part] = await commands.participants_of(uow, case_id)
        part.left_on = TODAY
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        with pytest.raises(InvalidInput, match="exactly one"):
            await commands.reopen_case(uow, case)
