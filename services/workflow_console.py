"""Operator commands from the workflow console, as domain commands (ARCHITECTURE §6).

Cancelling writes the request to `workflow_runs` (step `cancel_requested`, so staff pages
reading Postgres see it at once, also while Temporal or the worker is down) and an outbox
`cancel` command for that exact run; the workflow's own cancellation path then writes its
final status (`cancelled`) through its last activity.
"""

from __future__ import annotations

from datetime import datetime

from core.db import UnitOfWork
from models.orm.workflow import WorkflowRun
from services import workflow_runs
from services.outbox import commands

CANCEL_REQUESTED = "cancel_requested"


async def request_cancel(
    uow: UnitOfWork,
    *,
    workflow_id: str,
    run_id: str,
    workflow_type: str,
    run_key: str,
    now: datetime,
) -> None:
    """`run_key` is the workflow_runs key: the workflow id, or the schedule id for a run a
    Schedule started (those keep one row per schedule). A row that is closed already (the
    run finished between the console's look and this request) stays as it is: the cancel
    then finds nothing to cancel."""
    await workflow_runs.mark_open_run(
        uow, workflow_id=run_key, workflow_type=workflow_type, run_id=run_id,
        step=CANCEL_REQUESTED, now=now,
    )  # fmt: skip
    await commands.cancel_workflow(
        uow, workflow_type=workflow_type, workflow_id=workflow_id, run_id=run_id
    )


async def run_row(uow: UnitOfWork, run_key: str) -> WorkflowRun | None:
    return await workflow_runs.run_of(uow, run_key)
