"""The Temporal side, as Postgres sees it: commands waiting to be relayed, and runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Integer, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base, TenantRow


class CommandKind(StrEnum):
    start = "start"
    signal = "signal"
    signal_with_start = "signal_with_start"
    cancel = "cancel"
    schedule_upsert = "schedule_upsert"  # create or update a per-practice Temporal Schedule
    schedule_trigger = "schedule_trigger"  # run a per-practice Schedule now (a nudge)


class CommandStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # permanent (e.g. a signal for a workflow that does not exist)


class OutboxCommand(TenantRow, Base):
    __tablename__ = "workflow_outbox"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    command: Mapped[str] = mapped_column(Text, nullable=False)
    workflow_type: Mapped[str] = mapped_column(Text, nullable=False)
    workflow_id: Mapped[str] = mapped_column(Text, nullable=False)
    task_queue: Mapped[str] = mapped_column(Text, nullable=False)
    args: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    signal_name: Mapped[str | None] = mapped_column(Text)
    id_conflict_policy: Mapped[str] = mapped_column(Text, nullable=False, default="USE_EXISTING")
    id_reuse_policy: Mapped[str] = mapped_column(Text, nullable=False, default="ALLOW_DUPLICATE")
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    subject_type: Mapped[str | None] = mapped_column(Text)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(Text, nullable=False, default=CommandStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error_code: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RunStatus(StrEnum):
    running = "running"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


class WorkflowRun(TenantRow, Base):
    __tablename__ = "workflow_runs"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        UniqueConstraint("practice_id", "workflow_id"),
    )

    workflow_id: Mapped[str] = mapped_column(Text, nullable=False)
    workflow_type: Mapped[str] = mapped_column(Text, nullable=False)
    run_id: Mapped[str | None] = mapped_column(Text)
    subject_type: Mapped[str | None] = mapped_column(Text)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    step: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PracticeSchedule(TenantRow, Base):
    """One of a practice's Temporal Schedules (services.schedules has the registry): the
    time zone it was last built for, when it was last ensured in Temporal, and what its
    last run did (counts only) — so staff and operators read Postgres, not Temporal."""

    __tablename__ = "practice_schedules"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        UniqueConstraint("practice_id", "key"),
    )

    key: Mapped[str] = mapped_column(Text, nullable=False)
    schedule_id: Mapped[str] = mapped_column(Text, nullable=False)
    time_zone: Mapped[str | None] = mapped_column(Text)
    ensured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_run_workflow_id: Mapped[str | None] = mapped_column(Text)
    last_run_as_of: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_run_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_counts: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
