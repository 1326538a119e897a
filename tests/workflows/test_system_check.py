from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.db import SessionMaker, make_engine, make_sessionmaker
from models.contracts.common import TaskQueue
from models.contracts.system_check import DatabaseCheck, SystemCheckInput, SystemCheckStep
from tests.fixtures.db import APP_ROLE, Database
from worker import Deps, build_registrations, build_workers
from workflows.system_check import SystemCheckWorkflow


class TestSystemCheck:
    async def test_the_worker_reports_its_role_and_tenancy(
        self, ts_env: WorkflowEnvironment, sessionmaker: SessionMaker
    ) -> None:
        prefix = f"t-{uuid.uuid4().hex[:8]}-"
        [worker] = build_workers(
            ts_env.client, build_registrations(Deps(sessionmaker)), task_queue_prefix=prefix
        )
        async with worker:
            handle = await ts_env.client.start_workflow(
                SystemCheckWorkflow.run,
                SystemCheckInput(),
                id=f"system-check-{uuid.uuid4()}",
                task_queue=f"{prefix}{TaskQueue.default}",
            )
            result: DatabaseCheck = await handle.result()
            state = await handle.query(SystemCheckWorkflow.state)
        assert result.role == APP_ROLE
        assert result.tenancy_enforced
        assert state.step is SystemCheckStep.done
        assert state.database == result

    async def test_while_the_database_is_down_operators_see_it_retrying(
        self, ts_env: WorkflowEnvironment, db: Database
    ) -> None:
        engine = make_engine(db.app_url.replace(f"/{db.name}?", "/missing?"), pool_size=1)
        regs = build_registrations(Deps(make_sessionmaker(engine)))
        queue = f"t-{uuid.uuid4().hex[:8]}"
        try:
            async with Worker(
                ts_env.client,
                task_queue=queue,
                workflows=regs[TaskQueue.default].workflows,
                activities=regs[TaskQueue.default].activities,
            ):
                handle = await ts_env.client.start_workflow(
                    SystemCheckWorkflow.run,
                    SystemCheckInput(),
                    id=f"system-check-{uuid.uuid4()}",
                    task_queue=queue,
                )
                await ts_env.sleep(timedelta(seconds=20))
                state = await handle.query(SystemCheckWorkflow.state)
                description = await handle.describe()
                await handle.terminate("test over")
        finally:
            await engine.dispose()
        assert state.step is SystemCheckStep.checking_database
        assert state.database is None
        pending = description.raw_description.pending_activities
        assert len(pending) == 1
        assert pending[0].attempt > 1
        assert pending[0].last_failure.message  # why it is retrying
