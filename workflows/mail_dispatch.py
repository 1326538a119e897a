"""Mail dispatch: one per practice (`mail-dispatch-{practice_id}`), woken by a signal
each time mail is queued (signal-with-start through the outbox).

It drains the practice's mail outbox in an activity (SMTP, one message per transaction),
drains again while mail is due, sleeps until the earliest retry when a message must
wait, and otherwise waits for the next signal for a while before finishing. Without
SMTP_URL the activity reports that nothing is delivered and the workflow ends at once:
the development outbox page stays the viewer. Long-lived runs continue as new.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.mail import MailActivities
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
        options = activity_options(inp.timing)
        for _ in range(inp.rounds_before_new_run):
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
                return self._state
            if result.remaining_now > 0 or self._woken:
                continue
            wait = inp.idle
            if result.next_retry_at is not None:
                until_retry = result.next_retry_at - workflow.now()
                wait = min(wait, max(until_retry, inp.timing.retry_initial))
            self._state = self._state.model_copy(update={"waiting": "for mail or a retry"})
            try:
                await workflow.wait_condition(lambda: self._woken, timeout=wait)
            except TimeoutError:
                # Idle: finish. (A signal arriving as we finish makes the server refuse the
                # completion; the task replays with the signal and the loop goes on.)
                if result.next_retry_at is None:
                    return self._state
        workflow.continue_as_new(inp)

    @workflow.signal
    def mail_queued(self, msg: MailQueued) -> None:
        self._woken = True

    @workflow.query
    def state(self) -> MailDispatchState:
        return self._state
