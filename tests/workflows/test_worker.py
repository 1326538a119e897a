"""The worker process: refuses to run with nothing registered, serves the queues it has
registrations for, runs the outbox sweeper, and stops cleanly."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from psycopg.types.json import Jsonb
from temporalio.testing import WorkflowEnvironment

from core.db import SessionMaker, open_unit
from models.contracts.common import TaskQueue
from models.contracts.system_check import DatabaseCheck, SystemCheckInput
from models.contracts.welcome import practice_welcome_id
from services.outbox import commands
from tests.fixtures.app import settings_for
from tests.fixtures.db import Database
from tests.fixtures.factories import make_practice
from worker import (
    Deps,
    NothingRegistered,
    QueueRegistrations,
    build_registrations,
    build_workers,
    run,
)


async def test_a_worker_with_nothing_registered_refuses_to_start(
    dev_env: WorkflowEnvironment, sessionmaker: SessionMaker
) -> None:
    empty = {queue: QueueRegistrations() for queue in TaskQueue}
    with pytest.raises(NothingRegistered):
        build_workers(dev_env.client, empty)
    # (a prefixed queue: a built worker stays registered with the client, and must not
    # collide with the `default` workers later tests run on this dev server)
    only_default = build_workers(
        dev_env.client, build_registrations(Deps(sessionmaker)), task_queue_prefix="probe-"
    )
    assert [w.task_queue for w in only_default] == ["probe-default"]  # stripe, bulk: empty


async def test_the_worker_serves_sweeps_and_stops_cleanly(
    dev_env: WorkflowEnvironment, db: Database, sessionmaker: SessionMaker
) -> None:
    target = dev_env.client.service_client.config.target_host
    settings = settings_for(db, TEMPORAL_ADDRESS=target, OUTBOX_SWEEP_SECONDS=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop))
    try:
        check: DatabaseCheck = await asyncio.wait_for(
            dev_env.client.execute_workflow(
                "SystemCheck", SystemCheckInput(), id=f"system-check-{uuid.uuid4()}",
                task_queue=TaskQueue.default, result_type=DatabaseCheck,
            ),
            30,
        )  # fmt: skip
        assert check.tenancy_enforced
        # a command committed without a relay is picked up by the worker's sweeper
        practice = await make_practice(sessionmaker)
        uow = await open_unit(sessionmaker, practice.id)
        workflow_id = f"swept-{uuid.uuid4()}"
        await commands.start_workflow(
            uow, workflow_type="PracticeWelcome", workflow_id=workflow_id,
            task_queue="nobody-polls-this", args={"practice_id": str(practice.id)},
        )  # fmt: skip
        await uow.commit()
        await uow.close()
        for _ in range(100):
            with db.owner() as owner:
                row = owner.execute(
                    "SELECT status FROM workflow_outbox WHERE workflow_id = %s", (workflow_id,)
                ).fetchone()
            if row == ("sent",):
                break
            await asyncio.sleep(0.1)
        assert row == ("sent",)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)  # graceful: returns, no exception
    assert task.exception() is None
    await dev_env.client.get_workflow_handle(workflow_id).terminate("test over")


async def test_a_new_practice_is_welcomed_end_to_end_on_the_dev_server(
    dev_env: WorkflowEnvironment, db: Database, sessionmaker: SessionMaker
) -> None:
    """The real worker process code, the real dev server, the sweeper relaying the
    practice's start command; a fast timing profile stands in for the three days."""
    practice = await make_practice(sessionmaker)
    fast = {"practice_id": str(practice.id), "nudge_after": "PT1S",
            "timing": {"activity_timeout": "PT10S", "retry_initial": "PT0.2S"}}  # fmt: skip
    with db.owner() as owner:
        owner.execute(
            "UPDATE workflow_outbox SET args = %s WHERE practice_id = %s AND workflow_type = 'PracticeWelcome'",
            (Jsonb(fast), practice.id),
        )
    target = dev_env.client.service_client.config.target_host
    settings = settings_for(db, TEMPORAL_ADDRESS=target, OUTBOX_SWEEP_SECONDS=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop))
    try:
        for _ in range(200):
            with db.owner() as owner:
                row = owner.execute(
                    "SELECT status, step FROM workflow_runs WHERE workflow_id = %s",
                    (practice_welcome_id(practice.id),),
                ).fetchone()
            if row is not None and row[0] == "completed":
                break
            await asyncio.sleep(0.1)
        assert row == ("completed", "nudged")
        with db.owner() as owner:
            templates = {
                r[0]
                for r in owner.execute(
                    "SELECT template FROM mail_outbox WHERE practice_id = %s", (practice.id,)
                )
            }
        assert templates == {"getting_started", "getting_started_nudge"}
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
