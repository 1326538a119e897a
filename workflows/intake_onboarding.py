"""Intake onboarding (`intake-{intake_request_id}`), started through the outbox when staff
send an intake packet (issue 8 §5).

The rows in Postgres are the checklist; this workflow drives the process around them. It
loops: re-read the rows (`check_intake`), then do what is due — the invitations not yet
sent (the send, a staff resend, an added item for someone who had finished), the latest
reminder whose time has come (default day 2 and day 5 after the start: a fresh sign-in
link), the "Intake overdue" task once the deadline passes (default day 7; it keeps
waiting) — and wait on a durable timer for the next of those, or for the `rows_changed`
signal that every portal submission and staff change sends through the outbox. When the
rows say the request is completed, cancelled or ended (case closed, participant left) it
applies the outcome (`finish_intake`: onboarding complete, Intake pending → Active, the
overdue task resolved, a review task for the provider) and ends. Cancelling the run
(the workflow console's Cancel, a domain command) cancels an intake still open
(`cancel_intake`) before the run closes: a request nobody drives must not stay open.

Signals are hints, never data: one that arrives while a step runs makes the loop re-read
at once, so nothing is missed; while the worker is down the portal and staff pages keep
writing rows, and the first check after it returns catches up. Reminders and the
deadline count from the request's `created_at` (the send), compared with the workflow
clock: a worker's downtime or a new run does not move them.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.intake import IntakeActivities
    from activities.runs import RunActivities
    from models.contracts.common import CloseRun
    from models.contracts.intake import (
        INTAKE_CHANGED_SIGNAL,
        IntakeInput,
        IntakeState,
        IntakeStep,
        IntakeStepInput,
        IntakeView,
    )
    from workflows._policies import activity_options

FINAL = {"completed": IntakeStep.completed, "cancelled": IntakeStep.cancelled}


@workflow.defn(name="IntakeOnboarding")
class IntakeOnboardingWorkflow:
    @workflow.init
    def __init__(self, inp: IntakeInput) -> None:
        self._state = IntakeState()
        self._changed = False

    @workflow.signal(name=INTAKE_CHANGED_SIGNAL)
    def rows_changed(self, _: IntakeInput) -> None:
        self._changed = True

    @workflow.query
    def state(self) -> IntakeState:
        return self._state

    @workflow.run
    async def run(self, inp: IntakeInput) -> IntakeState:
        try:
            return await self._onboard(inp)
        except (asyncio.CancelledError, ActivityError, ApplicationError) as err:
            status = "cancelled" if is_cancelled_exception(err) else "failed"
            if status == "cancelled":  # from the workflow console: the intake ends with it
                await workflow.execute_activity_method(
                    IntakeActivities.cancel_intake, self._step(inp), **activity_options(inp.timing)
                )
                self._state = self._state.model_copy(update={"step": IntakeStep.cancelled})
            await workflow.execute_activity_method(
                RunActivities.close_run,
                CloseRun(practice_id=inp.practice_id, status=status, step=self._state.step),
                **activity_options(inp.timing),
            )
            raise

    def _step(self, inp: IntakeInput, reminder: int = 0) -> IntakeStepInput:
        return IntakeStepInput(
            practice_id=inp.practice_id, request_id=inp.request_id, at=workflow.now(),
            reminder=reminder,
        )  # fmt: skip

    async def _onboard(self, inp: IntakeInput) -> IntakeState:
        options = activity_options(inp.timing)
        while True:
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(inp)
            self._changed = False  # a signal from here on means: read again
            view: IntakeView = await workflow.execute_activity_method(
                IntakeActivities.check_intake, self._step(inp), **options
            )
            self._state = self._state.model_copy(update={"checks": self._state.checks + 1})
            if view.status != "open":
                break
            now = workflow.now()
            anchor = view.sent_at or workflow.info().start_time
            reminders = [anchor + offset for offset in view.reminder_offsets]
            deadline = anchor + view.deadline_offset
            due = max((n for n, at in enumerate(reminders, 1) if at <= now), default=0)
            acted = False
            if view.invitations_due:
                sent = await workflow.execute_activity_method(
                    IntakeActivities.send_intake_invitations, self._step(inp), **options
                )
                self._count(invitations_sent=sent)
                acted = True
            if view.outstanding and due > view.reminders_sent:
                sent = await workflow.execute_activity_method(
                    IntakeActivities.send_intake_reminder, self._step(inp, due), **options
                )
                self._count(reminders_sent=sent)
                acted = True
            if view.outstanding and now >= deadline and not view.overdue:
                await workflow.execute_activity_method(
                    IntakeActivities.open_intake_overdue, self._step(inp), **options
                )
                acted = True
            if acted:
                continue  # read the rows again before deciding to wait
            later = [at for n, at in enumerate(reminders, 1) if n > max(due, view.reminders_sent)]
            if not view.overdue:
                later.append(deadline)
            wake = min((at for at in later if at > now), default=None)
            self._publish(view, wake, deadline)
            with contextlib.suppress(TimeoutError):  # a reminder or the deadline is due
                await workflow.wait_condition(lambda: self._changed, timeout=_until(wake, now))
        status = await workflow.execute_activity_method(
            IntakeActivities.finish_intake, self._step(inp), **options
        )
        self._state = self._state.model_copy(
            update={
                "step": FINAL.get(status, IntakeStep.ended),
                "outstanding": view.outstanding,
                "next_reminder_at": None,
            }
        )
        return self._state

    def _count(self, *, invitations_sent: int = 0, reminders_sent: int = 0) -> None:
        s = self._state
        self._state = s.model_copy(
            update={
                "invitations_sent": s.invitations_sent + invitations_sent,
                "reminders_sent": s.reminders_sent + reminders_sent,
            }
        )

    def _publish(self, view: IntakeView, wake: datetime | None, deadline: datetime) -> None:
        reminder = wake if wake is not None and wake != deadline else None
        self._state = self._state.model_copy(
            update={
                "step": IntakeStep.overdue if view.overdue else IntakeStep.waiting,
                "recipients": view.recipients,
                "outstanding": view.outstanding,
                "next_reminder_at": reminder.isoformat() if reminder else None,
                "deadline_at": deadline.isoformat(),
                "overdue": view.overdue,
            }
        )


def _until(wake: datetime | None, now: datetime) -> timedelta | None:
    """How long to wait: until the next reminder or the deadline; with neither ahead, for
    a signal only (the intake waits for the recipients, however long they take)."""
    if wake is None:
        return None
    return max(wake - now, timedelta(seconds=1))
