"""Activities of the AttentionSweep: plan (which checks), run one check, finish.

Each attempt is one transaction with the practice set; every check is idempotent (its own
rows say what it did), so a retried attempt sends nothing twice. Progress and the final
status go to `workflow_runs` under the run key (the schedule id for scheduled runs: one
row per schedule, not one per tick) and the counts to `practice_schedules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from temporalio import activity

from activities.runs import RunRef, progress_of
from core.db import OutboxRelayHook, SessionMaker, unit_of_work
from models.contracts.attention import (
    AttentionCheckInput,
    CheckCounts,
    SweepFinish,
    SweepPlan,
    SweepPlanInput,
    SweepStep,
)
from models.orm.practice import Practice
from models.orm.workflow import RunStatus
from services import attention, schedules, workflow_runs
from services.attention.context import CheckContext


def _run_ref(run_key: str) -> RunRef:
    ref = progress_of(activity.info())
    ref["workflow_id"] = run_key
    return ref


@dataclass(frozen=True)
class AttentionActivities:
    sessionmaker: SessionMaker
    relay: OutboxRelayHook | None
    app_base_url: str

    @activity.defn
    async def plan_attention_sweep(self, inp: SweepPlanInput) -> SweepPlan:
        async with unit_of_work(self.sessionmaker, inp.practice_id) as uow:
            found = await uow.session.scalar(
                select(Practice.id).where(Practice.id == inp.practice_id)
            )
            if found is None:
                return SweepPlan(practice_found=False)
            await workflow_runs.record_progress(
                uow, **_run_ref(inp.run_key), step=SweepStep.checking, now=datetime.now(UTC)
            )
        return SweepPlan(checks=attention.planned_checks())

    @activity.defn
    async def run_attention_check(self, inp: AttentionCheckInput) -> CheckCounts:
        async with unit_of_work(self.sessionmaker, inp.practice_id, self.relay) as uow:
            practice = await uow.session.scalar(
                select(Practice).where(Practice.id == inp.practice_id)
            )
            if practice is None:  # the practice is gone (or another database): nothing to do
                return CheckCounts(check=inp.check)
            ctx = CheckContext(
                practice=practice,
                as_of=inp.as_of,
                run_id=activity.info().workflow_run_id or "",
                app_base_url=self.app_base_url,
            )
            counts = await attention.run_check(uow, inp.check, ctx)
        return CheckCounts(check=inp.check, counts=counts)

    @activity.defn
    async def finish_attention_sweep(self, inp: SweepFinish) -> None:
        """The last step: counts to practice_schedules, the run closed in workflow_runs."""
        totals: dict[str, int] = {}
        for c in inp.checks:
            for k, v in c.counts.items():
                totals[f"{c.check}.{k}"] = v
        now = datetime.now(UTC)
        async with unit_of_work(self.sessionmaker, inp.practice_id) as uow:
            await schedules.record_run(
                uow, schedules.ATTENTION_SWEEP.key, workflow_id=activity.info().workflow_id or "",
                as_of=inp.as_of, counts=totals, now=now,
            )  # fmt: skip
            await workflow_runs.record_progress(
                uow, **_run_ref(inp.run_key), step=SweepStep.done, status=RunStatus.completed,
                now=now,
            )  # fmt: skip
