"""NoticeDispatch: send the practice's due appointment notices, once each.

Started by the practice's Temporal Schedule (services.schedules.NOTICE_DISPATCH: every 5
minutes in safe local hours, overlap BUFFER_ONE) and *triggered* through the outbox by
every booking, move or cancellation that wrote notice rows (services.scheduling.notices),
so a notice leaves within seconds of the change and a lost nudge is caught by the next
tick. BUFFER_ONE: a nudge while a run is sending buffers exactly one more run, which
starts after it and sees the rows the nudging change committed; further nudges coalesce.

The pass looks at its scheduled time (`TemporalScheduledStartTime`), never
`workflow.now()`. Each batch is one activity and one transaction (services.scheduling.
notices.dispatch_due): rows locked SKIP LOCKED, mail queued under `notice:<id>`, the row
marked sent or stale in the same transaction — so a retried batch, or two runs side by
side, send nothing twice. Full batches repeat up to `max_batches`; the rest waits for the
next tick. The counts go to `practice_schedules` and the run is closed in
`workflow_runs` under the schedule id (one row per schedule, not one per tick). The
reminders issue adds reminder rows to the same dispatch (no workflow change: the
activity decides what is due).
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.notices import NoticeActivities
    from activities.runs import RunActivities
    from models.contracts.common import CloseRun
    from models.contracts.notices import (
        NoticeBatchInput,
        NoticeDispatchFinish,
        NoticeDispatchInput,
        NoticeDispatchState,
        NoticeStep,
    )
    from workflows._policies import activity_options
    from workflows._schedule import scheduled_tick


@workflow.defn(name="NoticeDispatch")
class NoticeDispatchWorkflow:
    @workflow.init
    def __init__(self, inp: NoticeDispatchInput) -> None:
        self._state = NoticeDispatchState()

    @workflow.run
    async def run(self, inp: NoticeDispatchInput) -> NoticeDispatchState:
        options = activity_options(inp.timing)
        as_of, run_key = scheduled_tick(inp.as_of)
        self._state = NoticeDispatchState(step=NoticeStep.sending, as_of=as_of)
        try:
            for _ in range(max(1, inp.max_batches)):
                batch = await workflow.execute_activity_method(
                    NoticeActivities.dispatch_notice_batch,
                    NoticeBatchInput(practice_id=inp.practice_id, run_key=run_key, as_of=as_of),
                    **options,
                )
                if not batch.practice_found:
                    self._set(step=NoticeStep.done)
                    return self._state
                self._set(
                    batches=self._state.batches + 1,
                    sent=self._state.sent + batch.sent,
                    stale=self._state.stale + batch.stale,
                )
                if not batch.more:
                    break
            await workflow.execute_activity_method(
                NoticeActivities.finish_notice_dispatch,
                NoticeDispatchFinish(
                    practice_id=inp.practice_id, run_key=run_key, as_of=as_of,
                    sent=self._state.sent, stale=self._state.stale,
                ),
                **options,
            )  # fmt: skip
        except (asyncio.CancelledError, ActivityError, ApplicationError) as err:
            cancelled = is_cancelled_exception(err)
            await self._close(
                inp, run_key, NoticeStep.cancelled if cancelled else NoticeStep.failed
            )
            raise
        self._set(step=NoticeStep.done)
        return self._state

    async def _close(self, inp: NoticeDispatchInput, run_key: str, step: NoticeStep) -> None:
        self._set(step=step)
        await workflow.execute_activity_method(
            RunActivities.close_run,
            CloseRun(practice_id=inp.practice_id, status=step.value, step=step, run_key=run_key),
            **activity_options(inp.timing),
        )

    def _set(self, **changes: object) -> None:
        self._state = self._state.model_copy(update=changes)

    @workflow.query
    def state(self) -> NoticeDispatchState:
        return self._state
