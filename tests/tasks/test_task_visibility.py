"""Who sees which task (decisions.md "Who sees what", "Tasks"): the SQL filter of the
lists and `can(actor, see_task, …)` give the same answer for every role, and a task
outside one's reach — or in another practice — is a 404."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from core.db import SessionMaker, unit_of_work
from core.errors import NotFound
from services.access import Action, TaskHolders, can
from services.tasks import queries
from services.tasks.commands import get_task
from services.tasks.queries import TaskFilter
from tests.fixtures.factories import Team
from tests.fixtures.tasks import NOW, actor_of, open_for

# Who may see each task, by its name: (assignee, opener).
EXPECTED = {
    "owner": {
        "for owner",
        "for provider",
        "for associate",
        "for admin",
        "associate opened for owner",
    },
    "provider": {"for provider", "for associate"},  # self + supervisee
    "associate": {"for associate", "associate opened for owner"},  # self + what they opened
    "admin": {"for admin", "for provider"},  # self + the provider they may act for
}


async def _tasks(sessionmaker: SessionMaker, crew: Team) -> dict[str, uuid.UUID]:
    names = {
        "for owner": (crew.owner.id, crew.owner.id),
        "for provider": (crew.provider.id, crew.owner.id),
        "for associate": (crew.associate.id, crew.owner.id),
        "for admin": (crew.admin.id, crew.owner.id),
        "associate opened for owner": (crew.owner.id, crew.associate.id),
    }
    return {
        name: await open_for(
            sessionmaker, crew, name, assignee=a, opener=o, due_in=timedelta(hours=n - 2)
        )
        for n, (name, (a, o)) in enumerate(names.items())
    }


class TestVisibility:
    @pytest.mark.parametrize("who", list(EXPECTED))
    async def test_lists_and_records_agree_per_role(
        self, sessionmaker: SessionMaker, ours: Team, who: str
    ) -> None:
        ids = await _tasks(sessionmaker, ours)
        actor = actor_of(ours, who)
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            page = await queries.list_tasks(uow, actor, TaskFilter(who="everyone"), NOW)
            listed = {t.title for t in page.tasks}
            assert listed == EXPECTED[who]
            for name, tid in ids.items():
                task = await get_task(uow, tid)
                holders = TaskHolders(task.assignee_id, task.opened_by_staff_id)
                assert can(actor, Action.see_task, holders) == (name in EXPECTED[who]), name
                if name in EXPECTED[who]:
                    assert (await queries.visible_task(uow, actor, tid)).id == tid
                else:
                    with pytest.raises(NotFound):
                        await queries.visible_task(uow, actor, tid)
            counts = await queries.count_tasks(uow, actor, NOW)
            assert counts.everyone_open == len(EXPECTED[who])

    async def test_mine_is_the_provider_an_admin_works_for(
        self, sessionmaker: SessionMaker, ours: Team
    ) -> None:
        await _tasks(sessionmaker, ours)
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            own = await queries.list_tasks(uow, actor_of(ours, "admin"), TaskFilter(), NOW)
            acting = actor_of(ours, "admin", acting_for=ours.provider.id)
            theirs = await queries.list_tasks(uow, acting, TaskFilter(), NOW)
            counts = await queries.count_tasks(uow, acting, NOW)
        assert [t.title for t in own.tasks] == ["for admin"]
        assert [t.title for t in theirs.tasks] == ["for provider"]
        assert (counts.mine_open, counts.mine_overdue) == (1, 1)  # due an hour ago

    async def test_another_practices_task_is_not_found(
        self, sessionmaker: SessionMaker, ours: Team, theirs: Team
    ) -> None:
        foreign = await open_for(sessionmaker, theirs, "Theirs", assignee=theirs.owner.id)
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            with pytest.raises(NotFound):
                await queries.visible_task(uow, actor_of(ours, "owner"), foreign)
            page = await queries.list_tasks(uow, actor_of(ours, "owner"),
                                            TaskFilter(who="everyone"), NOW)  # fmt: skip
        assert page.tasks == []
