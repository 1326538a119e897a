"""Activities of IntakeOnboarding: each step of services.intake.process in one
transaction (with the relay: the mail dispatcher is woken after commit), its progress in
`workflow_runs`. Inputs carry the workflow's instant; outputs are counts and codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio import activity

from activities.runs import progress_of
from core.db import OutboxRelayHook, SessionMaker, UnitOfWork, unit_of_work
from models.contracts.intake import IntakeStep, IntakeStepInput, IntakeView
from models.orm.intake import IntakeStatus
from models.orm.workflow import RunStatus
from services import workflow_runs
from services.intake import process

FINAL_STEP = {
    IntakeStatus.completed: IntakeStep.completed,
    IntakeStatus.cancelled: IntakeStep.cancelled,
    IntakeStatus.ended: IntakeStep.ended,
}


async def _progress(uow: UnitOfWork, step: str, status: RunStatus = RunStatus.running) -> None:
    await workflow_runs.record_progress(
        uow, **progress_of(activity.info()), step=step, status=status, now=datetime.now(UTC)
    )


@dataclass(frozen=True)
class IntakeActivities:
    sessionmaker: SessionMaker
    relay: OutboxRelayHook | None
    app_base_url: str

    @activity.defn
    async def check_intake(self, inp: IntakeStepInput) -> IntakeView:
        """The request as its rows stand (an open one that can no longer complete ends)."""
        async with unit_of_work(self.sessionmaker, inp.practice_id, self.relay) as uow:
            view = await process.check(uow, inp.request_id, inp.at)
            if view.status == IntakeStatus.open:
                await _progress(uow, IntakeStep.overdue if view.overdue else IntakeStep.waiting)
        return view

    @activity.defn
    async def send_intake_invitations(self, inp: IntakeStepInput) -> int:
        async with unit_of_work(self.sessionmaker, inp.practice_id, self.relay) as uow:
            sent = await process.send_invitations(uow, inp.request_id, inp.at, self.app_base_url)
            await _progress(uow, IntakeStep.inviting)
        return sent

    @activity.defn
    async def send_intake_reminder(self, inp: IntakeStepInput) -> int:
        async with unit_of_work(self.sessionmaker, inp.practice_id, self.relay) as uow:
            return await process.send_reminder(
                uow, inp.request_id, inp.reminder, inp.at, self.app_base_url
            )

    @activity.defn
    async def open_intake_overdue(self, inp: IntakeStepInput) -> bool:
        async with unit_of_work(self.sessionmaker, inp.practice_id, self.relay) as uow:
            opened = await process.open_overdue(uow, inp.request_id, inp.at)
            if opened:
                await _progress(uow, IntakeStep.overdue)
        return opened

    @activity.defn
    async def cancel_intake(self, inp: IntakeStepInput) -> str:
        """The run is being cancelled: the intake ends with it (close_run follows)."""
        async with unit_of_work(self.sessionmaker, inp.practice_id, self.relay) as uow:
            return await process.cancel(uow, inp.request_id, inp.at)

    @activity.defn
    async def finish_intake(self, inp: IntakeStepInput) -> str:
        """The outcome applied; the last step: it closes the run in workflow_runs."""
        async with unit_of_work(self.sessionmaker, inp.practice_id, self.relay) as uow:
            status = await process.finish(uow, inp.request_id, inp.at)
            step = (
                FINAL_STEP.get(IntakeStatus(status), IntakeStep.ended)
                if status != "missing"
                else IntakeStep.ended
            )
            await _progress(uow, step, RunStatus.completed)
        return status
