"""Search by name fragments, phone, email and misspelling (SRCH-1, pg_trgm), diagnoses
with the shipped ICD-10-CM list (CLI-7), and consultation cases without them (CONS-3)."""

from __future__ import annotations

import uuid

import pytest

from core.db import SessionMaker, unit_of_work
from core.errors import InvalidInput, NotFound
from services.cases import commands, diagnoses
from services.cases.records import load_case
from services.cases.search import search
from tests.fixtures.cases import TODAY, Crew, open_case, person


@pytest.fixture
async def people(sessionmaker: SessionMaker, crew: Crew) -> dict[str, uuid.UUID]:
    own = await open_case(
        sessionmaker, crew, "individual",
        person("Jonathan", "Whitaker", email="jwhit@example.org", phone_mobile="(503) 555-0148"),
    )  # fmt: skip
    couple = await open_case(
        sessionmaker, crew, "couple", person("Priyanka", "Raman"), person("Dev", "Raman"),
        relationship_label="spouses",
    )  # fmt: skip
    await open_case(sessionmaker, crew, "individual", person("Mary", "Smith"))
    return {"own": own, "couple": couple}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jona", "Jonathan Whitaker"),  # a fragment of the first name
        ("whit", "Jonathan Whitaker"),
        ("jon whi", "Jonathan Whitaker"),  # fragments of both names
        ("Jonathon Whitakker", "Jonathan Whitaker"),  # misspelt
        ("jwhit@exa", "Jonathan Whitaker"),  # email fragment
        ("555-0148", "Jonathan Whitaker"),  # phone, as typed
        ("5035550148", "Jonathan Whitaker"),
        ("priyanca", "Priyanka Raman"),
    ],
)
async def test_search_finds_people(
    sessionmaker: SessionMaker, crew: Crew, people: dict[str, uuid.UUID], query: str, expected: str
) -> None:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        found = await search(uow, crew.actor("provider"), query)
    assert found.people and found.people[0].name == expected
    assert "Mary Smith" not in [p.name for p in found.people]


async def test_search_groups_cases_by_kind_and_finds_a_couple_by_either_partner(
    sessionmaker: SessionMaker, crew: Crew, people: dict[str, uuid.UUID]
) -> None:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        found = await search(uow, crew.actor("provider"), "dev raman")
    assert [g.label for g in found.groups] == ["Couples"]
    assert [r.case.id for r in found.groups[0].cases] == [people["couple"]]
    assert [p.name for p in found.groups[0].cases[0].people] == ["Priyanka Raman", "Dev Raman"]


@pytest.mark.parametrize("query", ["", "   ", "x", "%", "___"])
async def test_search_with_nothing_to_look_for_finds_nothing(
    sessionmaker: SessionMaker, crew: Crew, people: dict[str, uuid.UUID], query: str
) -> None:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        assert (await search(uow, crew.actor("owner"), query)).empty


async def test_codes_are_searchable_by_code_and_words(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        by_code = await diagnoses.search_codes(uow, "f4310")
        by_words = await diagnoses.search_codes(uow, "post traumatic stress")
        typo = await diagnoses.search_codes(uow, "generalised anxiety")
        z_code = await diagnoses.search_codes(uow, "Z63.0")
    assert by_code[0].code == "F43.10"
    assert "F43.10" in [c.code for c in by_words]
    assert "F41.1" in [c.code for c in typo]
    assert z_code[0].description.startswith("Problems in relationship with spouse")


async def test_diagnoses_on_a_therapy_case(sessionmaker: SessionMaker, crew: Crew) -> None:
    case_id = await open_case(
        sessionmaker, crew, "couple", person("A", "Ames"), person("B", "Ames"),
        relationship_label="spouses",
    )  # fmt: skip
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id)
        a, b = [p.person_id for p in await commands.participants_of(uow, case_id)]
        await diagnoses.add_diagnosis(
            uow, case, person_id=a, code="F43.23", rank=None, active_from=TODAY
        )
        await diagnoses.add_diagnosis(
            uow, case, person_id=a, code="z630", rank=None, active_from=TODAY
        )
        with pytest.raises(InvalidInput) as info:
            await diagnoses.add_diagnosis(
                uow, case, person_id=uuid.uuid4(), code="F99.99", rank=13, active_from=TODAY
            )
        assert set(info.value.field_errors) == {"code", "person_id", "rank"}
        with pytest.raises(InvalidInput) as info:
            await diagnoses.add_diagnosis(
                uow, case, person_id=a, code="F43.23", rank=None, active_from=TODAY
            )
        assert "already current" in info.value.field_errors["code"]
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id)
        rows = await diagnoses.diagnoses_of(uow, case)
    assert [(d.person_id, d.code, d.rank) for d in rows] == [(a, "F43.23", 1), (a, "Z63.0", 2)]
    assert b not in {d.person_id for d in rows}


@pytest.mark.parametrize("kind", ["consultation", "workshop_group"])
async def test_consultation_and_workshop_cases_have_no_diagnoses_by_default(
    sessionmaker: SessionMaker, crew: Crew, kind: str
) -> None:
    case_id = await open_case(sessionmaker, crew, kind, person("C", "Lin"), name="Workshop")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, crew.actor("provider"), case_id)
        [part] = await commands.participants_of(uow, case_id)
        with pytest.raises(NotFound):
            await diagnoses.add_diagnosis(
                uow, case, person_id=part.person_id, code="F43.10", rank=1, active_from=TODAY
            )
        # The practice may turn the capability on for one case.
        await commands.update_case(
            uow, crew.actor("provider"), case, commands.CaseEdit(cap_diagnoses=True)
        )
        await diagnoses.add_diagnosis(
            uow, case, person_id=part.person_id, code="F43.10", rank=1, active_from=TODAY
        )
