"""Writing Temporal commands into the outbox, inside the caller's transaction.

The row commits with the domain change or not at all; when the unit of work carries a
relay hook, the command is relayed right after the commit, else the sweeper picks it up
within seconds. Payloads are ids (JSON), never PHI. Policies are Temporal enum names.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from core.db import UnitOfWork
from core.errors import NotFound
from models.orm.workflow import CommandKind, CommandStatus, OutboxCommand


async def _enqueue(
    uow: UnitOfWork,
    *,
    command: CommandKind,
    workflow_type: str,
    workflow_id: str,
    task_queue: str,
    args: dict[str, Any],
    signal_name: str | None = None,
    id_conflict_policy: str = "USE_EXISTING",
    id_reuse_policy: str = "ALLOW_DUPLICATE",
    subject_type: str | None = None,
    subject_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
) -> uuid.UUID:
    if uow.practice_id is None:
        raise NotFound("No practice selected")
    now = datetime.now(UTC)
    row = OutboxCommand(
        id=uuid.uuid4(),
        practice_id=uow.practice_id,
        command=command,
        workflow_type=workflow_type,
        workflow_id=workflow_id,
        task_queue=task_queue,
        args=args,
        signal_name=signal_name,
        id_conflict_policy=id_conflict_policy,
        id_reuse_policy=id_reuse_policy,
        subject_type=subject_type,
        subject_id=subject_id,
        case_id=case_id,
        status=CommandStatus.pending,
        next_attempt_at=now,
        created_at=now,
    )
    uow.session.add(row)
    await uow.session.flush()
    relay = uow.outbox_relay
    if relay is not None:
        practice_id, command_id = row.practice_id, row.id

        async def relay_now() -> None:
            await relay(practice_id, command_id)

        uow.after_commit(relay_now)
    return row.id


async def start_workflow(
    uow: UnitOfWork,
    *,
    workflow_type: str,
    workflow_id: str,
    task_queue: str,
    args: dict[str, Any],
    subject_type: str | None = None,
    subject_id: uuid.UUID | None = None,
    id_conflict_policy: str = "USE_EXISTING",
    id_reuse_policy: str = "ALLOW_DUPLICATE",
    case_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Start (idempotent per business id: a second relay finds the run and starts nothing)."""
    return await _enqueue(
        uow, command=CommandKind.start, workflow_type=workflow_type, workflow_id=workflow_id,
        task_queue=task_queue, args=args, subject_type=subject_type, subject_id=subject_id,
        id_conflict_policy=id_conflict_policy, id_reuse_policy=id_reuse_policy, case_id=case_id,
    )  # fmt: skip


async def signal_with_start(
    uow: UnitOfWork,
    *,
    workflow_type: str,
    workflow_id: str,
    task_queue: str,
    args: dict[str, Any],
    signal_name: str,
    subject_type: str | None = None,
    subject_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Signal the running workflow, or start it with the signal (a hint; it re-reads rows)."""
    return await _enqueue(
        uow, command=CommandKind.signal_with_start, workflow_type=workflow_type,
        workflow_id=workflow_id, task_queue=task_queue, args=args, signal_name=signal_name,
        subject_type=subject_type, subject_id=subject_id, case_id=case_id,
    )  # fmt: skip


async def signal_workflow(
    uow: UnitOfWork, *, workflow_type: str, workflow_id: str, signal_name: str, args: dict[str, Any]
) -> uuid.UUID:
    return await _enqueue(
        uow, command=CommandKind.signal, workflow_type=workflow_type, workflow_id=workflow_id,
        task_queue="-", args=args, signal_name=signal_name,
    )  # fmt: skip


async def cancel_workflow(
    uow: UnitOfWork, *, workflow_type: str, workflow_id: str, run_id: str | None = None
) -> uuid.UUID:
    """Request cancellation of the workflow's latest run — or of `run_id` exactly, so a run
    that ended meanwhile does not turn the request onto its successor."""
    return await _enqueue(
        uow, command=CommandKind.cancel, workflow_type=workflow_type, workflow_id=workflow_id,
        task_queue="-", args={"run_id": run_id} if run_id else {},
    )  # fmt: skip


async def upsert_schedule(uow: UnitOfWork, *, schedule_key: str, schedule_id: str) -> uuid.UUID:
    """Create or update one of the practice's Temporal Schedules (services.schedules). The
    schedule id stands in the workflow id column, so upserts of one schedule go in order."""
    return await _enqueue(
        uow, command=CommandKind.schedule_upsert, workflow_type="schedule",
        workflow_id=schedule_id, task_queue="-", args={"schedule": schedule_key},
        subject_type="practice", subject_id=uow.practice_id,
    )  # fmt: skip


async def trigger_schedule(uow: UnitOfWork, *, schedule_id: str) -> uuid.UUID:
    """Run one of the practice's Schedules now, under its own overlap policy. Ordered
    behind the schedule's pending upserts (same id column), so a practice's first nudge
    waits for its schedule to exist."""
    return await _enqueue(
        uow, command=CommandKind.schedule_trigger, workflow_type="schedule",
        workflow_id=schedule_id, task_queue="-", args={},
        subject_type="practice", subject_id=uow.practice_id,
    )  # fmt: skip
