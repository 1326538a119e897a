"""`workflow_runs`: what staff pages read about a process (never a Temporal query).

The relay records a started execution; activities write each step and, in the last
one, the final status. One row per business workflow id (the latest run).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from core.db import UnitOfWork
from models.orm.workflow import RunStatus, WorkflowRun


async def record_started(
    uow: UnitOfWork,
    *,
    workflow_id: str,
    workflow_type: str,
    run_id: str | None,
    subject_type: str | None,
    subject_id: uuid.UUID | None,
    now: datetime,
) -> None:
    stmt = insert(WorkflowRun).values(
        id=uuid.uuid4(), practice_id=uow.practice_id, workflow_id=workflow_id,
        workflow_type=workflow_type, run_id=run_id, subject_type=subject_type,
        subject_id=subject_id, status=RunStatus.running, step="started", started_at=now,
        updated_at=now,
    )  # fmt: skip
    same_run = WorkflowRun.run_id.is_distinct_from(stmt.excluded.run_id)
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["practice_id", "workflow_id"],
            set_={
                "run_id": stmt.excluded.run_id,
                "status": RunStatus.running,
                "step": "started",
                "started_at": now,
                "updated_at": now,
                "closed_at": None,
            },
            where=same_run,  # the same run relayed twice changes nothing
        )
    )


async def _row(uow: UnitOfWork, workflow_id: str) -> WorkflowRun | None:
    row: WorkflowRun | None = await uow.session.scalar(
        select(WorkflowRun).where(
            WorkflowRun.practice_id == uow.practice_id, WorkflowRun.workflow_id == workflow_id
        )
    )
    return row


async def set_step(uow: UnitOfWork, workflow_id: str, step: str, now: datetime) -> None:
    row = await _row(uow, workflow_id)
    if row is not None:
        row.step = step
        row.updated_at = now


async def finish(
    uow: UnitOfWork, workflow_id: str, status: RunStatus, now: datetime, step: str | None = None
) -> None:
    row = await _row(uow, workflow_id)
    if row is not None:
        row.status = status
        row.closed_at = now
        row.updated_at = now
        if step is not None:
            row.step = step


async def run_of(uow: UnitOfWork, workflow_id: str) -> WorkflowRun | None:
    return await _row(uow, workflow_id)
