from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio import activity

from core.db import OutboxRelayHook, SessionMaker, unit_of_work
from models.contracts.welcome import (
    NudgeOutcome,
    PracticeWelcomeInput,
    WelcomeStep,
    practice_welcome_id,
)
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
        now = datetime.now(UTC)
        async with unit_of_work(self.sessionmaker, inp.practice_id, self.relay) as uow:
            await welcome.send_getting_started(uow, self.app_base_url)
            await workflow_runs.set_step(
                uow, practice_welcome_id(inp.practice_id), WelcomeStep.waiting_to_nudge, now
            )

    @activity.defn
    async def nudge_if_checklist_open(self, inp: PracticeWelcomeInput) -> NudgeOutcome:
        """Re-read the checklist; nudge only if something is still open. Last step: closes
        the run in workflow_runs."""
        now = datetime.now(UTC)
        async with unit_of_work(self.sessionmaker, inp.practice_id, self.relay) as uow:
            nudged = await welcome.nudge_if_open(uow, self.app_base_url)
            step = WelcomeStep.nudged if nudged else WelcomeStep.checklist_done
            await workflow_runs.finish(
                uow, practice_welcome_id(inp.practice_id), RunStatus.completed, now, step=step
            )
        return NudgeOutcome(nudged=nudged)
