from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio import activity

from activities.runs import progress_of
from core.db import OutboxRelayHook, SessionMaker, unit_of_work
from models.contracts.welcome import NudgeOutcome, PracticeWelcomeInput, WelcomeStep
from models.orm.workflow import RunStatus
from services import welcome, workflow_runs


@dataclass(frozen=True)
class WelcomeActivities:
    sessionmaker: SessionMaker
    relay: OutboxRelayHook | None
    app_base_url: str

    @activity.defn
    async def send_welcome(self, inp: PracticeWelcomeInput) -> None:
        """Queue the Getting-started email for the owner(s); once per practice."""
        async with unit_of_work(self.sessionmaker, inp.practice_id, self.relay) as uow:
            await welcome.send_getting_started(uow, self.app_base_url)
            await workflow_runs.record_progress(
                uow, **progress_of(activity.info()), step=WelcomeStep.waiting_to_nudge,
                now=datetime.now(UTC),
            )  # fmt: skip

    @activity.defn
    async def nudge_if_checklist_open(self, inp: PracticeWelcomeInput) -> NudgeOutcome:
        """Re-read the checklist; nudge only if something is still open. The last step:
        it closes the run in workflow_runs."""
        async with unit_of_work(self.sessionmaker, inp.practice_id, self.relay) as uow:
            nudged = await welcome.nudge_if_open(uow, self.app_base_url)
            step = WelcomeStep.nudged if nudged else WelcomeStep.checklist_done
            await workflow_runs.record_progress(
                uow, **progress_of(activity.info()), step=step, status=RunStatus.completed,
                now=datetime.now(UTC),
            )  # fmt: skip
        return NudgeOutcome(nudged=nudged)
