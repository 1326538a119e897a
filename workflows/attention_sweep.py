"""AttentionSweep: one pass over what needs attention in a practice, every 15 minutes.

Started by the practice's Temporal Schedule (services.schedules: every 15 minutes during
safe local hours, overlap SKIP). The pass looks at one instant — the run's scheduled time
(`TemporalScheduledStartTime`), never `workflow.now()`, so a late or backfilled run covers
exactly its own tick. It asks which checks to run (plug-ins in services.attention: overdue
tasks first; missing notes and the series horizon later), runs each in its own activity
(each idempotent: its rows say what was sent), then writes the counts to
`practice_schedules` and closes the run in `workflow_runs`, keyed by the schedule id so
there is one row per schedule rather than one per tick. The `state` query reports the
run's counts for the operators' console. A failure or a cancellation (also one that
arrives during an activity) closes the run as such; a run stopped by its 30-minute limit
cannot write its end, and the next tick's row replaces it.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.attention import AttentionActivities
    from activities.runs import RunActivities
    from models.contracts.attention import (
        AttentionCheckInput,
        AttentionSweepInput,
        AttentionSweepState,
        SweepFinish,
        SweepPlanInput,
        SweepStep,
    )
    from models.contracts.common import CloseRun
    from workflows._policies import activity_options
    from workflows._schedule import scheduled_tick


@workflow.defn(name="AttentionSweep")
class AttentionSweepWorkflow:
    @workflow.init
    def __init__(self, inp: AttentionSweepInput) -> None:
        self._state = AttentionSweepState()

    @workflow.run
    async def run(self, inp: AttentionSweepInput) -> AttentionSweepState:
        options = activity_options(inp.timing)
        as_of, run_key = scheduled_tick(inp.as_of)
        self._state = AttentionSweepState(step=SweepStep.planning, as_of=as_of)
        try:
            plan = await workflow.execute_activity_method(
                AttentionActivities.plan_attention_sweep,
                SweepPlanInput(practice_id=inp.practice_id, run_key=run_key),
                **options,
            )
            if not plan.practice_found:
                self._set(step=SweepStep.done)
                return self._state
            self._set(step=SweepStep.checking)
            for name in plan.checks:
                counts = await workflow.execute_activity_method(
                    AttentionActivities.run_attention_check,
                    AttentionCheckInput(practice_id=inp.practice_id, check=name, as_of=as_of),
                    **options,
                )
                self._set(checks=[*self._state.checks, counts])
            await workflow.execute_activity_method(
                AttentionActivities.finish_attention_sweep,
                SweepFinish(
                    practice_id=inp.practice_id,
                    run_key=run_key,
                    as_of=as_of,
                    checks=self._state.checks,
                ),
                **options,
            )
        except (asyncio.CancelledError, ActivityError, ApplicationError) as err:
            # Cancelled mid-activity arrives as an ActivityError caused by the cancellation.
            cancelled = is_cancelled_exception(err)
            await self._close(inp, run_key, SweepStep.cancelled if cancelled else SweepStep.failed)
            raise
        self._set(step=SweepStep.done)
        return self._state

    async def _close(self, inp: AttentionSweepInput, run_key: str, step: SweepStep) -> None:
        self._set(step=step)
        await workflow.execute_activity_method(
            RunActivities.close_run,
            # failed / cancelled: the same words as workflow_runs' statuses
            CloseRun(practice_id=inp.practice_id, status=step.value, step=step, run_key=run_key),
            **activity_options(inp.timing),
        )

    def _set(self, **changes: object) -> None:
        self._state = self._state.model_copy(update=changes)

    @workflow.query
    def state(self) -> AttentionSweepState:
        return self._state
