"""Who pays (CASE-5, REL-1, WFS-7): payers apart from participants, effective dates,
organizations, shares that split by largest remainder so cents always add up."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.db import SessionMaker, unit_of_work
from core.errors import InvalidInput
from models.orm.person import ContactType, Lifecycle
from services.cases import commands, payers
from services.cases.records import load_case
from services.people.commands import create_organization, create_person
from services.people.relationships import Scope, scopes_of
from tests.fixtures.cases import TODAY, Crew, open_case, person


def test_a_three_way_split_of_an_odd_amount_adds_up() -> None:
    assert payers.split_cents(10001, [1, 1, 1]) == [3334, 3334, 3333]
    assert payers.split_cents(100, [3333, 3333, 3334]) == [33, 33, 34]
    assert payers.split_cents(1, [5000, 5000]) == [1, 0]  # a tie goes to the earlier payer


@given(
    amount=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=1, max_value=10000), min_size=1, max_size=8),
)
def test_split_always_adds_up_and_is_fair_to_the_cent(amount: int, weights: list[int]) -> None:
    parts = payers.split_cents(amount, weights)
    assert sum(parts) == amount
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - amount * weight / total) < 1


@pytest.mark.parametrize(
    ("text", "bp"), [("100", 10000), ("33.33", 3333), ("50 %", 5000), ("0.01", 1)]
)
def test_shares_read_as_percent(text: str, bp: int) -> None:
    assert payers.share_bp(text) == bp


@pytest.mark.parametrize("text", ["0", "101", "abc", "33.333", "-5", "NaN"])
def test_impossible_shares_are_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (the message is checked in the form tests)
        payers.share_bp(text)


async def _family(sessionmaker: SessionMaker, crew: Crew) -> tuple[uuid.UUID, list[uuid.UUID]]:
    case_id = await open_case(
        sessionmaker, crew, "family",
        person("Pat", "Reyes"), person("Kim", "Reyes", date_of_birth="2010-06-15"),
        person("Lou", "Reyes"),
    )  # fmt: skip
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        return case_id, [p.person_id for p in await commands.participants_of(uow, case_id)]


async def test_a_parent_pays_until_the_child_turns_18_then_the_child_does(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id, (pat, kim, _lou) = await _family(sessionmaker, crew)
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        await payers.add_payer(
            uow, actor, case,
            payers.PayerIn(person_id=pat, covers=[kim], effective_from=date(2026, 1, 1),
                           effective_to=date(2028, 6, 14)),
            TODAY,
        )  # fmt: skip
        await payers.add_payer(
            uow, actor, case, payers.PayerIn(person_id=kim, covers=[kim], effective_from=date(2028, 6, 15)),
            TODAY,
        )  # fmt: skip
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        before = await payers.responsibility_on(uow, case_id, kim, date(2028, 6, 14), 15000)
        after = await payers.responsibility_on(uow, case_id, kim, date(2028, 6, 15), 15000)
    assert [(r.name, r.cents) for r in before] == [("Pat Reyes", 15000)]
    assert [(r.name, r.cents) for r in after] == [("Kim Reyes", 15000)]


async def test_a_mid_year_payer_change_keeps_history(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id, (pat, kim, lou) = await _family(sessionmaker, crew)
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        first = await payers.add_payer(
            uow, actor, case, payers.PayerIn(person_id=pat, effective_from=date(2026, 1, 1)), TODAY
        )
        # A second full payer for the same period does not fit…
        with pytest.raises(InvalidInput) as info:
            await payers.add_payer(
                uow,
                actor,
                case,
                payers.PayerIn(person_id=lou, effective_from=date(2026, 7, 1)),
                TODAY,
            )
        assert "at most 0 % is left" in info.value.field_errors["share"]
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        # …so the first one ends, and the next one starts the day after.
        await payers.end_payer(uow, case, first.id, date(2026, 6, 30))
        await payers.add_payer(
            uow, actor, case, payers.PayerIn(person_id=lou, effective_from=date(2026, 7, 1)), TODAY
        )
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        rows = await payers.payers_of(uow, case_id)
        june = await payers.responsibility_on(uow, case_id, kim, date(2026, 6, 30), 9999)
        july = await payers.responsibility_on(uow, case_id, kim, date(2026, 7, 1), 9999)
    assert [(r.name, r.payer.effective_to) for r in rows] == [
        ("Pat Reyes", date(2026, 6, 30)), ("Lou Reyes", None),
    ]  # fmt: skip
    assert [(r.name, r.cents) for r in june] == [("Pat Reyes", 9999)]
    assert [(r.name, r.cents) for r in july] == [("Lou Reyes", 9999)]


async def test_an_organization_pays_part_and_the_rest_is_split_exactly(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    case_id = await open_case(
        sessionmaker, crew, "consultation_group", person("Dr A", "One"), person("Dr B", "Two"),
        name="Peer consultation",
    )  # fmt: skip
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        a, b = [p.person_id for p in await commands.participants_of(uow, case_id)]
        clinic = await create_organization(uow, name="Northside Clinic", kind="sponsor")
        await payers.add_payer(
            uow, actor, case, payers.PayerIn(organization_id=clinic.id, share="33.33"), TODAY
        )
        await payers.add_payer(
            uow, actor, case, payers.PayerIn(person_id=b, covers=[b], share="66.67"), TODAY
        )
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        for_a = await payers.responsibility_on(uow, case_id, a, TODAY, 10001)
        for_b = await payers.responsibility_on(uow, case_id, b, TODAY, 10001)
    assert [(r.name, r.cents) for r in for_a] == [
        ("Northside Clinic", 3333),
        ("Not assigned", 6668),
    ]
    assert [(r.name, r.cents) for r in for_b] == [("Northside Clinic", 3333), ("Dr B Two", 6668)]
    assert sum(r.cents for r in for_a) == sum(r.cents for r in for_b) == 10001


async def test_one_person_in_two_cases_with_different_payers(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    own = await open_case(sessionmaker, crew, "individual", person("Maya", "Chen"))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        maya = (await commands.participants_of(uow, own))[0].person_id
    couple = await open_case(
        sessionmaker, crew, "couple", maya, person("Jordan", "Chen"), relationship_label="spouses"
    )
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        jordan = (await commands.participants_of(uow, couple))[1].person_id
        case, _ = await load_case(uow, actor, couple, for_update=True)
        await payers.add_payer(uow, actor, case, payers.PayerIn(person_id=jordan), TODAY)
        case, _ = await load_case(uow, actor, own, for_update=True)
        employer = await create_organization(uow, name="Acme EAP", kind="employer")
        await payers.add_payer(uow, actor, case, payers.PayerIn(organization_id=employer.id), TODAY)
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        in_couple = await payers.responsibility_on(uow, couple, maya, TODAY, 20000)
        alone = await payers.responsibility_on(uow, own, maya, TODAY, 20000)
        assert [r.name for r in in_couple] == ["Jordan Chen"]
        assert [r.name for r in alone] == ["Acme EAP"]
        # Paying makes Jordan Maya's billing contact (decisions.md "Identities").
        assert Scope.billing_contact in await scopes_of(uow, jordan, maya)


async def test_a_payer_outside_the_case(sessionmaker: SessionMaker, crew: Crew) -> None:
    case_id = await open_case(sessionmaker, crew, "individual", person("Teen", "Ager"))
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        grandma = await create_person(
            uow, person("Rosa", "Ager"), steward_id=crew.team.provider.id, today=TODAY,
            contact_type=ContactType.contact, lifecycle=Lifecycle.contact,
        )  # fmt: skip
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        await payers.add_payer(uow, actor, case, payers.PayerIn(person_id=grandma.id), TODAY)
        [row] = await payers.payers_of(uow, case_id)
    assert (row.name, row.is_participant, row.is_organization) == ("Rosa Ager", False, False)


async def test_bad_payers_are_refused_with_reasons(sessionmaker: SessionMaker, crew: Crew) -> None:
    case_id = await open_case(sessionmaker, crew, "individual", person("A", "B"))
    outsider = await open_case(sessionmaker, crew, "individual", person("C", "D"))
    actor = crew.actor("provider")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        stranger = (await commands.participants_of(uow, outsider))[0].person_id
        me = (await commands.participants_of(uow, case_id))[0].person_id
        case, _ = await load_case(uow, actor, case_id, for_update=True)
        with pytest.raises(InvalidInput) as info:
            await payers.add_payer(
                uow, actor, case,
                payers.PayerIn(person_id=me, covers=[stranger], share="120",
                               effective_from=date(2026, 5, 1), effective_to=date(2026, 4, 1)),
                TODAY,
            )  # fmt: skip
        assert set(info.value.field_errors) == {"covers", "share", "effective_to"}
        with pytest.raises(InvalidInput) as info:
            await payers.add_payer(uow, actor, case, payers.PayerIn(), TODAY)
        assert "payer" in info.value.field_errors
        assert await payers.payers_of(uow, case_id) == []
