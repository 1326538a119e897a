"""Every change to an intake's rows is followed, in the same transaction, by a command in
the outbox for its IntakeOnboarding workflow: the first starts it, every later one is a
signal-with-start (a hint to re-read the rows — if the run has finished, a new run reads
them, finds the request closed and ends). The staff page and the portal never wait for
the worker: they write rows; the workflow catches up when it runs."""

from __future__ import annotations

from core.db import UnitOfWork
from models.contracts.common import TaskQueue
from models.contracts.intake import INTAKE_CHANGED_SIGNAL, INTAKE_WORKFLOW, intake_workflow_id
from models.orm.intake import IntakeRequest
from services.outbox import commands


def _args(request: IntakeRequest) -> dict[str, str]:
    return {"practice_id": str(request.practice_id), "request_id": str(request.id)}


async def start(uow: UnitOfWork, request: IntakeRequest) -> None:
    await commands.start_workflow(
        uow,
        workflow_type=INTAKE_WORKFLOW,
        workflow_id=intake_workflow_id(request.id),
        task_queue=TaskQueue.default,
        args=_args(request),
        subject_type="intake_request",
        subject_id=request.id,
        case_id=request.case_id,
    )


async def rows_changed(uow: UnitOfWork, request: IntakeRequest) -> None:
    await commands.signal_with_start(
        uow,
        workflow_type=INTAKE_WORKFLOW,
        workflow_id=intake_workflow_id(request.id),
        task_queue=TaskQueue.default,
        args=_args(request),
        signal_name=INTAKE_CHANGED_SIGNAL,
        subject_type="intake_request",
        subject_id=request.id,
        case_id=request.case_id,
    )
