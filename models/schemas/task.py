"""HTTP view models for tasks (JSON API and pages). Titles carry no PHI by rule; the
resolution note is staff's own words, shown to whoever may see the task."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, Field


class TaskRead(BaseModel):
    id: uuid.UUID
    kind: str
    kind_label: str
    title: str
    status: str = Field(description="open, done or dismissed")
    subject_type: str | None = None
    subject_id: uuid.UUID | None = None
    assignee_id: uuid.UUID
    assignee_name: str
    due_at: datetime | None = Field(default=None, description="When it becomes overdue (UTC)")
    due_all_day: bool = Field(
        default=False, description="Due on a day: overdue when that day ends (practice time)"
    )
    due_label: str | None = Field(default=None, description="The due time in practice time")
    overdue: bool
    opened_by_staff_id: uuid.UUID | None = None
    opened_by_workflow_id: str | None = None
    opened_by_label: str
    resolution_note: str | None = None
    resolved_at: datetime | None = None
    resolved_by_label: str | None = None
    created_at: datetime


class TaskPageRead(BaseModel):
    items: list[TaskRead]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; absent on the last"
    )


class TaskCountsRead(BaseModel):
    mine_open: int
    mine_overdue: int
    everyone_open: int = Field(description="Open tasks the caller may see")
    everyone_overdue: int


class TaskDue(BaseModel):
    due_at: AwareDatetime | None = Field(
        default=None, description="A moment with its UTC offset: overdue once it passes"
    )
    due_date: date | None = Field(
        default=None, description="A day (practice time): overdue once the day ends"
    )


class TaskCreate(TaskDue):
    kind: str = Field(default="follow_up", description="follow_up, billing or inquiry")
    title: str = Field(max_length=500)
    assignee_id: uuid.UUID | None = Field(
        default=None, description="Omitted: the default for the kind (decisions.md Tasks)"
    )
    key: str | None = Field(
        default=None,
        max_length=150,
        description="Your idempotency key: the same key twice (from you) returns the first "
        "task with 200",
    )


class TaskEdit(TaskDue):
    title: str = Field(max_length=500)


class TaskAssign(BaseModel):
    assignee_id: uuid.UUID


class TaskClose(BaseModel):
    note: str | None = Field(
        default=None, max_length=4000, description="Required when dismissing: why"
    )
