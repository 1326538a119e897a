"""PracticeWelcome under time skipping: started through the outbox relay, mail through
the mail outbox, a three-day durable timer, steps and final status in workflow_runs —
and no practice data in clear anywhere in the history."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.db import SessionMaker, open_unit
from models.contracts.common import TaskQueue
from models.contracts.welcome import WelcomeStep, practice_welcome_id
from models.orm.staff import StaffRole
from services.outbox.relay import OutboxRelay
from services.practice_settings import update_profile
from services.practices import get_practice
from services.staff import add_staff_member
from tests.fixtures.db import Database
from tests.fixtures.factories import PracticeRef, make_practice
from tests.fixtures.temporal import SCANNER, FixedClient

CANARY = "Canary Jane Doe 078-05-1120"


async def relay_pending(ts_env: WorkflowEnvironment, sessionmaker: SessionMaker) -> int:
    return await OutboxRelay(FixedClient(ts_env.client), sessionmaker).sweep()


async def welcome_handle(
    ts_env: WorkflowEnvironment, practice: PracticeRef
) -> WorkflowHandle[object, object]:
    """The run the relay started. (A handle that did not start the run does not unlock
    the test server's automatic time skipping: the tests skip time with env.sleep.)"""
    plain = ts_env.client.get_workflow_handle(practice_welcome_id(practice.id))
    run_id = (await plain.describe()).run_id
    return ts_env.client.get_workflow_handle(practice_welcome_id(practice.id), run_id=run_id)


def mails(db: Database, practice: PracticeRef) -> list[str]:
    with db.owner() as owner:
        return [
            r[0]
            for r in owner.execute(
                "SELECT template FROM mail_outbox WHERE practice_id = %s ORDER BY created_at",
                (practice.id,),
            )
        ]


def run_row(db: Database, practice: PracticeRef) -> tuple[object, ...] | None:
    with db.owner() as owner:
        return owner.execute(
            "SELECT status, step, closed_at IS NOT NULL FROM workflow_runs WHERE workflow_id = %s",
            (practice_welcome_id(practice.id),),
        ).fetchone()


class TestPracticeWelcome:
    async def test_a_new_practice_is_welcomed_then_nudged_after_three_days(
        self,
        ts_env: WorkflowEnvironment,
        ts_worker: Worker,
        sessionmaker: SessionMaker,
        db: Database,
    ) -> None:
        practice = await make_practice(sessionmaker)
        assert await relay_pending(ts_env, sessionmaker) == 1  # the outbox start command
        status, step, closed = run_row(db, practice) or (None, None, None)
        assert (status, closed) == ("running", False)
        assert step in ("started", "waiting_to_nudge")  # its first activity may be done already
        handle = await welcome_handle(ts_env, practice)
        await ts_env.sleep(timedelta(hours=1))
        state = await handle.query("state")
        assert state["step"] == WelcomeStep.waiting_to_nudge
        assert mails(db, practice) == ["getting_started"]
        assert run_row(db, practice) == ("running", "waiting_to_nudge", False)
        await ts_env.sleep(timedelta(days=3))  # past the durable timer
        result = await handle.result()
        assert result == {"nudged": True}
        assert mails(db, practice) == ["getting_started", "getting_started_nudge"]
        assert run_row(db, practice) == ("completed", "nudged", True)
        # a second start through the outbox (a repeated relay, a re-created row) is refused:
        uow = await open_unit(sessionmaker, practice.id)
        from services.outbox import commands

        await commands.start_workflow(
            uow, workflow_type="PracticeWelcome", workflow_id=practice_welcome_id(practice.id),
            task_queue=TaskQueue.default, args={"practice_id": str(practice.id)},
            id_reuse_policy="REJECT_DUPLICATE",
        )  # fmt: skip
        await uow.commit()
        await uow.close()
        assert await relay_pending(ts_env, sessionmaker) == 1  # marked sent: it ran already
        assert mails(db, practice) == ["getting_started", "getting_started_nudge"]

    async def test_no_nudge_when_the_checklist_is_done(
        self,
        ts_env: WorkflowEnvironment,
        ts_worker: Worker,
        sessionmaker: SessionMaker,
        db: Database,
    ) -> None:
        practice = await make_practice(sessionmaker)
        await relay_pending(ts_env, sessionmaker)
        await ts_env.sleep(timedelta(days=1))
        uow = await open_unit(sessionmaker, practice.id)
        current = await get_practice(uow)
        await update_profile(uow, current, name=current.name, timezone=current.timezone,
                             link_name=current.link_name)  # fmt: skip
        await add_staff_member(
            uow, email="new@x.example", display_name="New", role=StaffRole.provider
        )
        await uow.commit()
        await uow.close()
        await ts_env.sleep(timedelta(days=3))
        result = await (await welcome_handle(ts_env, practice)).result()
        assert result == {"nudged": False}
        assert mails(db, practice) == ["getting_started"]
        assert run_row(db, practice) == ("completed", "checklist_done", True)

    async def test_nothing_of_the_practice_is_in_clear_in_the_history(
        self, ts_env: WorkflowEnvironment, ts_worker: Worker, sessionmaker: SessionMaker
    ) -> None:
        practice = await make_practice(sessionmaker, "canary")
        uow = await open_unit(sessionmaker, practice.id)
        current = await get_practice(uow)
        current.name = CANARY
        await uow.commit()
        await uow.close()
        SCANNER.seen.clear()
        await relay_pending(ts_env, sessionmaker)
        handle = await welcome_handle(ts_env, practice)
        await ts_env.sleep(timedelta(days=4))
        await handle.result()
        assert SCANNER.saw(str(practice.id))  # ids do travel (encrypted)...
        assert not SCANNER.saw(CANARY)  # ...the practice's name never does, even encrypted
        history = (await handle.fetch_history()).to_json()
        assert str(practice.id) not in history  # and in storage even the ids are ciphertext
