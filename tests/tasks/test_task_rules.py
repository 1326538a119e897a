"""Task rules through the services, on real Postgres as the app role: idempotent opening
(also under a real race), default assignees (decisions.md "Tasks"), titles, closing,
reopening, workflow-owned tasks, and handing over a deactivated member's tasks."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import SessionMaker, unit_of_work
from core.errors import Conflict, InvalidInput
from models.orm.staff import StaffRole, StaffStatus
from models.orm.task import Task, TaskStatus
from services.practice_settings import PracticeSettings, settings_of, update_task_settings
from services.practices import get_practice
from services.staff import deactivate, get_staff
from services.tasks import commands
from services.tasks.kinds import TaskKind
from tests.fixtures.db import Database
from tests.fixtures.factories import Team, make_staff
from tests.fixtures.tasks import NOW, open_for


def task_rows(db: Database, practice_id: uuid.UUID) -> list[tuple[object, ...]]:
    with db.owner() as owner:
        return owner.execute(
            "SELECT title, assignee_id, status FROM tasks WHERE practice_id = %s ORDER BY created_at",
            (practice_id,),
        ).fetchall()


class TestOpening:
    async def test_the_same_business_key_returns_the_first_task(
        self, sessionmaker: SessionMaker, ours: Team, db: Database
    ) -> None:
        first = await open_for(sessionmaker, ours, "Intake overdue", assignee=None,
                               workflow_id="intake-1", kind=TaskKind.intake_overdue,
                               key="intake-overdue:1")  # fmt: skip
        again = await open_for(sessionmaker, ours, "Another title", assignee=ours.provider.id,
                               workflow_id="intake-1", kind=TaskKind.intake_overdue,
                               key="intake-overdue:1")  # fmt: skip
        assert again == first
        assert task_rows(db, ours.practice.id) == [("Intake overdue", ours.owner.id, "open")]

    async def test_two_openers_racing_on_one_key_make_one_task(
        self, sessionmaker: SessionMaker, ours: Team, db: Database
    ) -> None:
        """Real commits on two connections: the unique key decides, the loser gets the
        winner's task and no error."""
        ids = await asyncio.gather(*(
            open_for(sessionmaker, ours, f"Race {n}", assignee=ours.provider.id,
                     workflow_id="w", key="race")
            for n in range(4)
        ))  # fmt: skip
        assert len(set(ids)) == 1
        assert len(task_rows(db, ours.practice.id)) == 1

    async def test_a_title_is_one_short_line(self, sessionmaker: SessionMaker, ours: Team,
                                             db: Database) -> None:  # fmt: skip
        for bad in ("", "   ", "x" * 201, "bell\x07"):
            with pytest.raises(InvalidInput) as err:
                await open_for(sessionmaker, ours, bad, assignee=ours.owner.id)
            assert "title" in err.value.field_errors
        tid = await open_for(sessionmaker, ours, "  Call\n back   soon ", assignee=ours.owner.id)
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            assert (await commands.get_task(uow, tid)).title == "Call back soon"
        assert len(task_rows(db, ours.practice.id)) == 1

    async def test_an_inactive_assignee_is_refused(
        self, sessionmaker: SessionMaker, ours: Team, db: Database
    ) -> None:
        invited = await make_staff(
            sessionmaker, ours.practice, password=None, status=StaffStatus.invited
        )
        with pytest.raises(InvalidInput) as err:
            await open_for(sessionmaker, ours, "For a newcomer", assignee=invited.id)
        assert "assignee_id" in err.value.field_errors
        with pytest.raises(InvalidInput):
            await open_for(sessionmaker, ours, "For nobody", assignee=uuid.uuid4())
        assert task_rows(db, ours.practice.id) == []


class TestDefaultAssignees:
    async def test_billing_goes_to_the_contact_else_the_owner(
        self, sessionmaker: SessionMaker, ours: Team
    ) -> None:
        before = await open_for(sessionmaker, ours, "Card failed", assignee=None,
                                workflow_id="payment-1", kind=TaskKind.billing)  # fmt: skip
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            practice = await get_practice(uow)
            await update_task_settings(
                uow, practice, tasks_contact_id=ours.admin.id, task_escalation_hours=24
            )
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            practice = await get_practice(uow)
            settings = settings_of(practice)
            task, _ = await commands.open_task(
                uow,
                commands.TaskOpen(kind=TaskKind.intake_overdue, title="Intake late",
                                  opener=commands.Opener(workflow_id="intake-2")),
                settings, NOW,
            )  # fmt: skip
            owner_task = await commands.get_task(uow, before)
            assert owner_task.assignee_id == ours.owner.id
            assert task.assignee_id == ours.admin.id
            # a contact who left: back to the owner
            admin = await get_staff(uow, ours.admin.id)
            await deactivate(uow, admin, deactivated_by=ours.owner.id, now=NOW)
            again, _ = await commands.open_task(
                uow,
                commands.TaskOpen(kind=TaskKind.billing, title="Refund asked",
                                  opener=commands.Opener(workflow_id="payment-2")),
                settings, NOW,
            )  # fmt: skip
            assert again.assignee_id == ours.owner.id

    async def test_clinical_kinds_go_to_the_clinician_and_follow_ups_to_their_opener(
        self, sessionmaker: SessionMaker, ours: Team
    ) -> None:
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            missing, _ = await commands.open_task(
                uow,
                commands.TaskOpen(kind=TaskKind.missing_note, title="Note missing",
                                  opener=commands.Opener(workflow_id="w"),
                                  clinician_id=ours.associate.id),
                PracticeSettings(), NOW,
            )  # fmt: skip
            review, _ = await commands.open_task(
                uow,
                commands.TaskOpen(kind=TaskKind.note_review, title="Review a note",
                                  opener=commands.Opener(workflow_id="w2"),
                                  clinician_id=ours.provider.id),
                PracticeSettings(), NOW,
            )  # fmt: skip
            mine, _ = await commands.open_task(
                uow,
                commands.TaskOpen(kind=TaskKind.follow_up, title="Order supplies",
                                  opener=commands.Opener(staff_id=ours.provider.id)),
                PracticeSettings(), NOW,
            )  # fmt: skip
        assert missing.assignee_id == ours.associate.id
        assert review.assignee_id == ours.provider.id
        assert mine.assignee_id == ours.provider.id


class TestHandling:
    async def test_done_dismissed_and_reopened(
        self, sessionmaker: SessionMaker, ours: Team
    ) -> None:
        tid = await open_for(sessionmaker, ours, "Send receipt", assignee=ours.provider.id,
                             due_in=timedelta(days=1))  # fmt: skip
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            task = await commands.get_task(uow, tid)
            with pytest.raises(InvalidInput) as err:  # dismissing asks why
                await commands.close(uow, task, TaskStatus.dismissed, staff_id=ours.owner.id,
                                     note="  ", now=NOW)  # fmt: skip
            assert "note" in err.value.field_errors
            assert task.is_open
            await commands.close(uow, task, TaskStatus.done, staff_id=ours.owner.id, note=None,
                                 now=NOW)  # fmt: skip
            with pytest.raises(Conflict):
                await commands.close(uow, task, TaskStatus.done, staff_id=ours.owner.id,
                                     note=None, now=NOW)  # fmt: skip
            with pytest.raises(Conflict):
                await commands.assign(uow, task, ours.owner.id, NOW)
            await commands.reopen(uow, task, NOW)
            assert (task.status, task.resolved_at, task.resolved_by_staff_id) == (
                "open",
                None,
                None,
            )
            await commands.close(uow, task, TaskStatus.dismissed, staff_id=ours.owner.id,
                                 note="Client paid at the desk", now=NOW)  # fmt: skip
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            stored = await commands.get_task(uow, tid)
            assert (stored.status, stored.resolution_note) == (
                "dismissed",
                "Client paid at the desk",
            )

    async def test_a_persons_key_cannot_take_a_workflows(
        self, sessionmaker: SessionMaker, ours: Team
    ) -> None:
        squatter = await open_for(sessionmaker, ours, "Mine", assignee=ours.associate.id,
                                  opener=ours.associate.id, key="intake-overdue:10")  # fmt: skip
        real = await open_for(sessionmaker, ours, "Intake overdue", assignee=None,
                              workflow_id="intake-10", kind=TaskKind.intake_overdue,
                              key="intake-overdue:10")  # fmt: skip
        assert real != squatter
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            assert await commands.resolve_by_key(uow, "intake-overdue:10",
                                                 workflow_id="intake-10", now=NOW)  # fmt: skip
            assert (await commands.get_task(uow, squatter)).status == "open"
            assert (await commands.get_task(uow, real)).status == "done"

    async def test_a_workflow_closes_its_own_task_once(
        self, sessionmaker: SessionMaker, ours: Team
    ) -> None:
        await open_for(sessionmaker, ours, "Intake overdue", assignee=None, workflow_id="intake-9",
                       kind=TaskKind.intake_overdue, key="intake-overdue:9")  # fmt: skip
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            assert await commands.resolve_by_key(uow, "intake-overdue:9", workflow_id="intake-9",
                                                 now=NOW)  # fmt: skip
            assert not await commands.resolve_by_key(uow, "intake-overdue:9",
                                                     workflow_id="intake-9", now=NOW)  # fmt: skip
            assert not await commands.resolve_by_key(uow, "no-such-key", workflow_id="x", now=NOW)
            task = await commands.by_key(uow, "intake-overdue:9")
            assert task is not None
            assert (task.status, task.resolved_by_workflow_id) == ("done", "intake-9")
            await commands.reopen(uow, task, NOW)  # staff may reopen it...
            with pytest.raises(Conflict):  # ...but its title and due time are the workflow's
                await commands.edit(uow, task, title="Renamed", due_at=None, due_all_day=False,
                                    now=NOW)  # fmt: skip

    async def test_a_deactivated_members_open_tasks_go_to_the_senior_owner(
        self, sessionmaker: SessionMaker, ours: Team, db: Database
    ) -> None:
        second_owner = await make_staff(sessionmaker, ours.practice, StaffRole.owner)
        open_one = await open_for(sessionmaker, ours, "Open", assignee=ours.provider.id)
        done_one = await open_for(sessionmaker, ours, "Done", assignee=ours.provider.id)
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            await commands.close(uow, await commands.get_task(uow, done_one), TaskStatus.done,
                                 staff_id=ours.provider.id, note=None, now=NOW)  # fmt: skip
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            provider = await get_staff(uow, ours.provider.id)
            await deactivate(uow, provider, deactivated_by=second_owner.id, now=NOW)
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            rows = {
                t.id: t.assignee_id
                for t in await uow.session.scalars(
                    select(Task).where(Task.practice_id == ours.practice.id)
                )
            }
        assert rows[open_one] == ours.owner.id  # the longest-standing owner
        assert rows[done_one] == ours.provider.id  # history stays as it was
