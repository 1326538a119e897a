"""Tasks — the Needs-attention queue — and the alerts the AttentionSweep sent about them.

Constraints, indexes and row-level security are in the migration (0004); the ORM maps the
columns. A task's subject is a polymorphic (type, id) pair without a foreign key, by design
(ARCHITECTURE §6): the subject may be a case, a person, an appointment, a note, an invoice,
an inquiry or an import.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Computed, DateTime, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base, TenantRow, Timestamps


class TaskStatus(StrEnum):
    open = "open"
    done = "done"
    dismissed = "dismissed"


class Task(TenantRow, Timestamps, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        UniqueConstraint("practice_id", "business_key"),
    )

    kind: Mapped[str] = mapped_column(Text, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    subject_type: Mapped[str | None] = mapped_column(Text)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    assignee_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_all_day: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    sort_due: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), Computed("coalesce(due_at, '9999-12-31 00:00:00+00'::timestamptz)")
    )
    status: Mapped[str] = mapped_column(Text, nullable=False, default=TaskStatus.open)
    opened_by_staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    opened_by_workflow_id: Mapped[str | None] = mapped_column(Text)
    business_key: Mapped[str | None] = mapped_column(Text)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    resolved_by_workflow_id: Mapped[str | None] = mapped_column(Text)

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.open

    @property
    def owned_by_workflow(self) -> bool:
        return self.opened_by_workflow_id is not None

    def overdue_at(self, now: datetime) -> bool:
        return self.is_open and self.due_at is not None and self.due_at <= now


class AlertKind(StrEnum):
    reminder = "reminder"  # to the assignee, once the task passed its due time
    escalation = "escalation"  # to the owners, once it stayed overdue past the practice's delay


class TaskAlert(TenantRow, Base):
    __tablename__ = "task_alerts"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    task_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    sweep_run_id: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
