"""System check: proves the chain API/devstack → Temporal → worker → Postgres works.

One short activity reads, as the worker's own database role, whether tenancy is enforced
(no superuser, no BYPASSRLS, owns nothing, RLS on every table it can read) and which
schema revision is live. `make run` runs it before printing READY; the health page
shows its last result. It writes nothing, so it has no status row to keep.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.system_check import SystemCheckActivities
    from models.contracts.system_check import (
        DatabaseCheck,
        SystemCheckInput,
        SystemCheckState,
        SystemCheckStep,
    )
    from workflows._policies import DB_RETRY


@workflow.defn(name="SystemCheck")
class SystemCheckWorkflow:
    @workflow.init
    def __init__(self, inp: SystemCheckInput) -> None:
        self._state = SystemCheckState()

    @workflow.run
    async def run(self, inp: SystemCheckInput) -> DatabaseCheck:
        self._state = SystemCheckState(step=SystemCheckStep.checking_database)
        result = await workflow.execute_activity_method(
            SystemCheckActivities.check_worker_database,
            inp,
            start_to_close_timeout=inp.activity_timeout,
            retry_policy=DB_RETRY,
        )
        self._state = SystemCheckState(step=SystemCheckStep.done, database=result)
        return result

    @workflow.query
    def state(self) -> SystemCheckState:
        return self._state
