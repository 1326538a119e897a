"""`workflow_runs`: what staff pages read about a process (never a Temporal query).

One row per business workflow id (its latest run). The relay records a start; activities
write each step and the final status — upserting, so a first activity that runs before
the relay's own transaction commits still leaves its step, and the relay's later write for
the same run changes nothing (rows are keyed by run id).
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
                "subject_type": stmt.excluded.subject_type,
                "subject_id": stmt.excluded.subject_id,
            },
            # the same run recorded again (a repeated relay, or its activity came first)
            where=WorkflowRun.run_id.is_distinct_from(stmt.excluded.run_id),
        )
    )


async def record_progress(
    uow: UnitOfWork,
    *,
    workflow_id: str,
    workflow_type: str,
    run_id: str,
    step: str,
    now: datetime,
    status: RunStatus = RunStatus.running,
) -> None:
    """A step (or, with a final status, the end) of a run, whatever is there already."""
    closed = None if status is RunStatus.running else now
    stmt = insert(WorkflowRun).values(
        id=uuid.uuid4(), practice_id=uow.practice_id, workflow_id=workflow_id,
        workflow_type=workflow_type, run_id=run_id, status=status, step=step, started_at=now,
        updated_at=now, closed_at=closed,
    )  # fmt: skip
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["practice_id", "workflow_id"],
            set_={
                "run_id": run_id,
                "status": status,
                "step": step,
                "updated_at": now,
                "closed_at": closed,
            },
        )
    )


async def run_of(uow: UnitOfWork, workflow_id: str) -> WorkflowRun | None:
    row: WorkflowRun | None = await uow.session.scalar(
        select(WorkflowRun).where(
            WorkflowRun.practice_id == uow.practice_id, WorkflowRun.workflow_id == workflow_id
        )
    )
    return row


async def mark_open_run(
    uow: UnitOfWork,
    *,
    workflow_id: str,
    workflow_type: str,
    run_id: str,
    step: str,
    now: datetime,
) -> None:
    """A step of a run that is still going (an operator's request): written when the row
    is missing or running, never reopening a row a finished run has closed."""
    stmt = insert(WorkflowRun).values(
        id=uuid.uuid4(), practice_id=uow.practice_id, workflow_id=workflow_id,
        workflow_type=workflow_type, run_id=run_id, status=RunStatus.running, step=step,
        started_at=now, updated_at=now,
    )  # fmt: skip
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["practice_id", "workflow_id"],
            set_={"step": step, "updated_at": now, "run_id": run_id},
            where=WorkflowRun.status == RunStatus.running,
        )
    )
