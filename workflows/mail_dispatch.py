"""Mail dispatch: one per practice (`mail-dispatch-{practice_id}`), woken by a signal
each time mail is queued (signal-with-start through the outbox).

It drains the practice's mail outbox in an activity (SMTP, one message per transaction),
drains again while mail is due, sleeps until the earliest retry when a message must
wait, and otherwise waits for the next signal for a while before finishing. Without
SMTP_URL the activity reports that nothing is delivered and the workflow ends at once:
the development outbox page stays the viewer. Long-lived runs continue as new. The
run's end — idle, outbox only, or cancelled from the console — is written to workflow_runs.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.mail import MailActivities
    from activities.runs import RunActivities
    from models.contracts.common import CloseRun
    from models.contracts.mail import (
        MailDispatchInput,
        MailDispatchState,
        MailQueued,
    )
    from workflows._policies import activity_options


@workflow.defn(name="MailDispatch")
class MailDispatchWorkflow:
    @workflow.init
    def __init__(self, inp: MailDispatchInput) -> None:
        self._state = MailDispatchState()
        self._woken = False

    @workflow.run
    async def run(self, inp: MailDispatchInput) -> MailDispatchState:
        try:
            return await self._dispatch(inp)
        except (asyncio.CancelledError, ActivityError) as err:
            # Cancelled from the workflow console (while idle, or during a drain: then an
            # ActivityError caused by the cancellation): say so in workflow_runs. Mail still
            # queued stays in the outbox; the next queued message starts a new run.
            status = "cancelled" if is_cancelled_exception(err) else "failed"
            await self._finish(inp, status, status=status)
            raise

    async def _dispatch(self, inp: MailDispatchInput) -> MailDispatchState:
        options = activity_options(inp.timing)
        for _ in range(inp.rounds_before_new_run):
            if workflow.info().is_continue_as_new_suggested():
                break
            self._woken = False
            result = await workflow.execute_activity_method(
                MailActivities.drain_mail, MailQueued(practice_id=inp.practice_id), **options
            )
            self._state = MailDispatchState(
                rounds=self._state.rounds + 1,
                sent=self._state.sent + result.sent,
                failed=self._state.failed + result.failed,
                waiting="drained",
            )
            if not result.delivering:
                return await self._finish(inp, "outbox only (no SMTP)")
            if result.remaining_now > 0 and result.sent + result.failed == 0:
                # Due mail that this round could not take (leased by an earlier attempt,
                # or the server refused us): pause before trying again, never spin.
                await workflow.sleep(inp.timing.retry_initial)
                continue
            if result.remaining_now > 0 or self._woken:
                continue
            wait = inp.idle
            if result.retry_in is not None:
                wait = min(wait, max(result.retry_in, inp.timing.retry_initial))
            self._state = self._state.model_copy(update={"waiting": "for mail or a retry"})
            try:
                await workflow.wait_condition(lambda: self._woken, timeout=wait)
            except TimeoutError:
                # Idle: finish. (A signal arriving as we finish makes the server refuse the
                # completion; the task replays with the signal and the loop goes on.)
                if result.retry_in is None:
                    return await self._finish(inp, "idle")
        workflow.continue_as_new(inp)

    async def _finish(
        self, inp: MailDispatchInput, step: str, status: str = "completed"
    ) -> MailDispatchState:
        await workflow.execute_activity_method(
            RunActivities.close_run,
            CloseRun(practice_id=inp.practice_id, status=status, step=step),
            **activity_options(inp.timing),
        )
        return self._state

    @workflow.signal
    def mail_queued(self, msg: MailQueued) -> None:
        self._woken = True

    @workflow.query
    def state(self) -> MailDispatchState:
        return self._state
