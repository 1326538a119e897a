"""Who may see what (decisions.md "Who sees what"): the same rule for the list, the search
and the record, per role — and a case of another practice is a 404."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from core.db import SessionMaker, unit_of_work
from core.errors import NotFound, PermissionDenied
from services.access import Action
from services.cases import commands
from services.cases.queries import CaseFilter, list_cases
from services.cases.records import load_case, load_person
from services.cases.search import search
from tests.fixtures.cases import Crew, open_case, person
from tests.fixtures.factories import Team
from tests.fixtures.tasks import actor_of


@dataclass(frozen=True)
class World:
    provider_case: uuid.UUID  # the provider's own client, "Quinn Provider-Own"
    associate_case: uuid.UUID  # the supervised associate's, "Quinn Associate-Own"
    other_case: uuid.UUID  # a second provider's, "Quinn Other-Own"


@pytest.fixture
async def world(sessionmaker: SessionMaker, crew: Crew) -> World:
    a = await open_case(sessionmaker, crew, "individual", person("Quinn", "Provider-Own"))
    b = await open_case(
        sessionmaker, crew, "individual", person("Quinn", "Associate-Own"), by="associate",
        provider=crew.team.associate.id,
    )  # fmt: skip
    c = await open_case(
        sessionmaker, crew, "individual", person("Quinn", "Other-Own"), by="other",
        provider=crew.other.id,
    )  # fmt: skip
    return World(a, b, c)


MATRIX = {
    # who: (provider's case, associate's case, other provider's case)
    "owner": (True, True, True),
    "provider": (True, True, False),  # own + supervised associate's
    "associate": (False, True, False),
    "other": (False, False, True),  # a provider without access to the first one's cases
    "admin_acting": (True, False, False),  # admin working for the provider: the provider's own
    "admin": (False, False, False),  # the same admin, working as themselves
}


def _actor(crew: Crew, who: str):  # type: ignore[no-untyped-def]
    if who == "admin_acting":
        return crew.actor("admin", acting_for=crew.team.provider.id)
    return crew.actor(who)


@pytest.mark.parametrize("who", list(MATRIX))
async def test_list_search_and_record_follow_one_rule(
    sessionmaker: SessionMaker, crew: Crew, world: World, who: str
) -> None:
    actor = _actor(crew, who)
    cases = (world.provider_case, world.associate_case, world.other_case)
    expected = {c for c, seen in zip(cases, MATRIX[who], strict=True) if seen}
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        listed = {r.case.id for r in (await list_cases(uow, actor, CaseFilter())).rows}
        found = await search(uow, actor, "quinn")
        searched = {r.case.id for g in found.groups for r in g.cases}
        opened = set()
        for case_id in cases:
            try:
                await load_case(uow, actor, case_id)
                opened.add(case_id)
            except NotFound:
                pass
        people_seen = set()
        for case_id in cases:
            for part in await commands.participants_of(uow, case_id):
                try:
                    await load_person(uow, actor, part.person_id)
                    people_seen.add(case_id)
                except NotFound:
                    pass
    assert listed == expected
    assert searched == expected
    assert {p.name.split()[1] for p in found.people} == {
        n
        for c, n in zip(cases, ("Provider-Own", "Associate-Own", "Other-Own"), strict=True)
        if c in expected
    }
    assert opened == expected
    assert people_seen == expected


async def test_supervisors_read_clinical_but_do_not_change_the_case(
    sessionmaker: SessionMaker, crew: Crew, world: World
) -> None:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        _, grants = await load_case(uow, crew.actor("provider"), world.associate_case)
        with pytest.raises(PermissionDenied):
            await load_case(uow, crew.actor("provider"), world.associate_case, Action.change_case)
        await load_case(uow, crew.actor("provider"), world.associate_case, Action.see_clinical)
        with pytest.raises(PermissionDenied):  # billing documents: not for supervision alone
            await load_case(
                uow, crew.actor("provider"), world.associate_case, Action.see_case_billing
            )
        assert grants.grants == {"supervision"}


async def test_admins_never_reach_clinical_content(
    sessionmaker: SessionMaker, crew: Crew, world: World
) -> None:
    actor = crew.actor("admin", acting_for=crew.team.provider.id)
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        await load_case(uow, actor, world.provider_case, Action.change_case)
        await load_case(uow, actor, world.provider_case, Action.see_case_billing)
        with pytest.raises(PermissionDenied):
            await load_case(uow, actor, world.provider_case, Action.see_clinical)


async def test_another_practices_case_is_a_404_even_for_its_owner_role(
    sessionmaker: SessionMaker, crew: Crew, world: World, theirs: Team
) -> None:
    stranger = actor_of(theirs, "owner")
    async with unit_of_work(sessionmaker, theirs.practice.id) as uow:
        with pytest.raises(NotFound):
            await load_case(uow, stranger, world.provider_case)
        assert (await list_cases(uow, stranger, CaseFilter(status="everyone"))).rows == []
        assert (await search(uow, stranger, "quinn")).empty


async def test_a_new_case_supervisor_gains_access_and_the_old_one_loses_it(
    sessionmaker: SessionMaker, crew: Crew, world: World
) -> None:
    owner = crew.actor("owner")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        case, _ = await load_case(uow, owner, world.other_case, for_update=True)
        await commands.update_case(
            uow, owner, case, commands.CaseEdit(supervisor_id=crew.team.provider.id)
        )
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        _, grants = await load_case(uow, crew.actor("provider"), world.other_case)
        assert grants.grants == {"supervision"}
        case, _ = await load_case(uow, owner, world.other_case, for_update=True)
        await commands.update_case(uow, owner, case, commands.CaseEdit(clear_supervisor=True))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        with pytest.raises(NotFound):
            await load_case(uow, crew.actor("provider"), world.other_case)
