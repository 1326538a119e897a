"""The transactional outbox against the real dev server: Temporal down at commit, a
duplicate relay, a crashed relay swept, a signal for a workflow that does not exist."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from core.db import SessionMaker, open_unit
from core.temporal import LazyClient
from services.outbox import commands
from services.outbox.relay import OutboxRelay
from tests.fixtures.db import Database
from tests.fixtures.factories import PracticeRef, make_practice
from tests.fixtures.temporal import TEST_PAYLOAD_KEYS, FixedClient

NOBODY_POLLS = "outbox-tests-no-worker"  # started workflows just wait: nothing runs them


@pytest.fixture
async def started(dev_env: WorkflowEnvironment) -> AsyncIterator[list[str]]:
    ids: list[str] = []
    yield ids
    for workflow_id in ids:
        with contextlib.suppress(Exception):
            await dev_env.client.get_workflow_handle(workflow_id).terminate("test over")


async def enqueue(
    sessionmaker: SessionMaker,
    practice: PracticeRef,
    workflow_id: str,
    relay: OutboxRelay | None = None,
) -> uuid.UUID:
    uow = await open_unit(sessionmaker, practice.id, relay.relay if relay else None)
    command_id = await commands.start_workflow(
        uow, workflow_type="PracticeWelcome", workflow_id=workflow_id, task_queue=NOBODY_POLLS,
        args={"practice_id": str(practice.id)}, subject_type="practice", subject_id=practice.id,
    )  # fmt: skip
    await uow.commit()
    await uow.close()
    return command_id


def row(db: Database, command_id: uuid.UUID) -> tuple[object, ...]:
    with db.owner() as owner:
        found = owner.execute(
            "SELECT status, attempts, last_error_code, next_attempt_at > now() FROM workflow_outbox WHERE id = %s",
            (command_id,),
        ).fetchone()
    assert found is not None
    return tuple(found)


async def runs(client: Client, workflow_id: str) -> list[str]:
    return [w.run_id async for w in client.list_workflows(f"WorkflowId = '{workflow_id}'")]


class TestOutbox:
    async def test_temporal_down_at_commit_then_delivered_once_when_back(
        self,
        dev_env: WorkflowEnvironment,
        sessionmaker: SessionMaker,
        db: Database,
        practice: PracticeRef,
        started: list[str],
    ) -> None:
        workflow_id = f"welcome-{uuid.uuid4()}"
        started.append(workflow_id)
        down = OutboxRelay(LazyClient("127.0.0.1:9", "default", TEST_PAYLOAD_KEYS), sessionmaker)
        command_id = await enqueue(sessionmaker, practice, workflow_id, relay=down)
        # the domain change committed; the relay after commit could not reach Temporal
        status, attempts, error, later = row(db, command_id)
        assert (status, attempts, later) == ("pending", 1, True)
        assert error in ("TimeoutError", "RuntimeError")
        back = OutboxRelay(FixedClient(dev_env.client), sessionmaker)
        with db.owner() as owner:  # the retry delay passes
            owner.execute(
                "UPDATE workflow_outbox SET next_attempt_at = now() WHERE id = %s", (command_id,)
            )
        assert await back.sweep() == 1
        assert await back.sweep() == 0
        assert row(db, command_id)[0] == "sent"
        description = await dev_env.client.get_workflow_handle(workflow_id).describe()
        assert description.status == WorkflowExecutionStatus.RUNNING
        assert description.search_attributes.get("PracticeId") == [str(practice.id)]
        with db.owner() as owner:
            recorded = owner.execute(
                "SELECT status, run_id FROM workflow_runs WHERE workflow_id = %s", (workflow_id,)
            ).fetchone()
        assert recorded == ("running", description.run_id)

    async def test_a_duplicate_relay_starts_nothing_twice(
        self,
        dev_env: WorkflowEnvironment,
        sessionmaker: SessionMaker,
        db: Database,
        practice: PracticeRef,
        started: list[str],
    ) -> None:
        workflow_id = f"welcome-{uuid.uuid4()}"
        started.append(workflow_id)
        relay = OutboxRelay(FixedClient(dev_env.client), sessionmaker)
        first = await enqueue(sessionmaker, practice, workflow_id)
        results = await asyncio.gather(
            relay.relay(practice.id, first), relay.relay(practice.id, first)
        )
        assert sorted(results) == [False, True]  # the second found it taken or sent
        second = await enqueue(sessionmaker, practice, workflow_id)  # the same command again
        assert await relay.relay(practice.id, second) is True
        for _ in range(50):  # visibility on the dev server lags a moment
            found = await runs(dev_env.client, workflow_id)
            if found:
                break
            await asyncio.sleep(0.1)
        assert len(found) == 1

    async def test_the_sweeper_picks_up_a_crashed_relay(
        self,
        dev_env: WorkflowEnvironment,
        sessionmaker: SessionMaker,
        db: Database,
        practice: PracticeRef,
        started: list[str],
    ) -> None:
        workflow_id = f"welcome-{uuid.uuid4()}"
        started.append(workflow_id)
        command_id = await enqueue(sessionmaker, practice, workflow_id)  # committed, never relayed
        assert row(db, command_id)[:2] == ("pending", 0)
        assert await OutboxRelay(FixedClient(dev_env.client), sessionmaker).sweep() == 1
        assert row(db, command_id)[0] == "sent"
        await dev_env.client.get_workflow_handle(workflow_id).describe()

    async def test_a_signal_for_a_missing_workflow_fails_for_good(
        self,
        dev_env: WorkflowEnvironment,
        sessionmaker: SessionMaker,
        db: Database,
        practice: PracticeRef,
    ) -> None:
        uow = await open_unit(sessionmaker, practice.id)
        command_id = await commands.signal_workflow(
            uow, workflow_type="MailDispatch", workflow_id=f"missing-{uuid.uuid4()}",
            signal_name="mail_queued", args={"practice_id": str(practice.id)},
        )  # fmt: skip
        await uow.commit()
        await uow.close()
        relay = OutboxRelay(FixedClient(dev_env.client), sessionmaker)
        assert await relay.relay(practice.id, command_id) is False
        assert row(db, command_id)[:3] == ("failed", 1, "workflow_not_found")

    async def test_a_rolled_back_change_sends_nothing(
        self,
        dev_env: WorkflowEnvironment,
        sessionmaker: SessionMaker,
        db: Database,
        practice: PracticeRef,
    ) -> None:
        relay = OutboxRelay(FixedClient(dev_env.client), sessionmaker)
        uow = await open_unit(sessionmaker, practice.id, relay.relay)
        workflow_id = f"welcome-{uuid.uuid4()}"
        await commands.start_workflow(
            uow, workflow_type="PracticeWelcome", workflow_id=workflow_id, task_queue=NOBODY_POLLS,
            args={"practice_id": str(practice.id)},
        )  # fmt: skip
        await uow.rollback()
        await uow.close()
        assert await relay.sweep() == 0
        with pytest.raises(Exception, match="not found"):
            await dev_env.client.get_workflow_handle(workflow_id).describe()


async def test_a_request_does_not_wait_for_temporal_and_its_command_waits_for_the_sweeper(
    app: object, sessionmaker: SessionMaker, db: Database
) -> None:
    """The test app points at a Temporal address where nothing answers."""
    from fastapi import FastAPI

    from tests.auth.helpers import sign_in
    from tests.fixtures.app import client_for
    from tests.fixtures.factories import set_password

    assert isinstance(app, FastAPI)
    practice = await make_practice(sessionmaker)
    await set_password(sessionmaker, practice, practice.owner_id)
    async with client_for(app) as client:
        await sign_in(client, f"owner@{practice.link_name}.example")
        response = await client.post(
            "/settings/staff/invite",
            data={"display_name": "Ana", "email": "ana@x.example", "role": "provider"},
        )
    assert response.status_code == 303  # saved and answered; Temporal is not needed for that
    await app.state.relay.settle()
    with db.owner() as owner:
        rows = owner.execute(
            "SELECT workflow_type, status, attempts FROM workflow_outbox WHERE practice_id = %s"
            " AND workflow_type = 'MailDispatch'",
            (practice.id,),
        ).fetchall()
    assert rows == [("MailDispatch", "pending", 1)]  # tried once, kept for the sweeper
