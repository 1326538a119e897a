"""Practice welcome: the first process, through every layer.

Started through the outbox when a practice is created (id `practice-welcome-{id}`, once
per practice). It queues the Getting-started email for the owner now, waits three days on
a durable timer, then re-reads the checklist in Postgres and sends one nudge only if
something is still open. Each step is written to `workflow_runs` by the activity that
takes it; the last activity closes the run, and a failure or a cancellation closes it as
such. Mail leaves through the mail outbox and the MailDispatch workflow.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.runs import RunActivities
    from activities.welcome import WelcomeActivities
    from models.contracts.common import CloseRun
    from models.contracts.welcome import (
        NudgeOutcome,
        PracticeWelcomeInput,
        WelcomeState,
        WelcomeStep,
    )
    from workflows._policies import activity_options


@workflow.defn(name="PracticeWelcome")
class PracticeWelcomeWorkflow:
    @workflow.init
    def __init__(self, inp: PracticeWelcomeInput) -> None:
        self._state = WelcomeState()

    @workflow.run
    async def run(self, inp: PracticeWelcomeInput) -> NudgeOutcome:
        options = activity_options(inp.timing)
        try:
            await workflow.execute_activity_method(WelcomeActivities.send_welcome, inp, **options)
            due = workflow.now() + inp.nudge_after
            self._state = WelcomeState(
                step=WelcomeStep.waiting_to_nudge, nudge_due_at=due.isoformat()
            )
            await workflow.sleep(inp.nudge_after)
            outcome: NudgeOutcome = await workflow.execute_activity_method(
                WelcomeActivities.nudge_if_checklist_open, inp, **options
            )
        except (asyncio.CancelledError, ActivityError, ApplicationError) as err:
            # A cancel that arrives during an activity surfaces as an ActivityError whose
            # cause is the cancellation: it is still a cancellation.
            await self._close(inp, "cancelled" if is_cancelled_exception(err) else "failed")
            raise
        step = WelcomeStep.nudged if outcome.nudged else WelcomeStep.checklist_done
        self._state = WelcomeState(step=step)
        return outcome

    async def _close(self, inp: PracticeWelcomeInput, status: str) -> None:
        await workflow.execute_activity_method(
            RunActivities.close_run,
            CloseRun(practice_id=inp.practice_id, status=status, step=self._state.step),
            **activity_options(inp.timing),
        )

    @workflow.query
    def state(self) -> WelcomeState:
        return self._state
