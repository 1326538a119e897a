"""Opening and handling tasks. Callers check `services.access` first (routes) or are
workflows' activities (trusted); these functions keep the task's own rules.

- Opening is idempotent per business key: the same key twice returns the first task,
  whatever its status (a workflow re-running a step opens nothing new). A staff member's
  keys are namespaced to them (`staff:<id>:<key>`); workflows use plain business keys.
- A task has exactly one opener: a staff member, or a workflow (by workflow id). Tasks a
  workflow opened are followed up by that workflow, not by the AttentionSweep; the
  workflow closes its own task when the condition clears (`resolve_by_key`).
- Titles are one line, 1–200 characters, and name no client (emails never carry them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from core.db import UnitOfWork
from core.errors import Conflict, InvalidInput, NotFound
from models.orm.task import Task, TaskStatus
from services.practice_settings import PracticeSettings
from services.tasks.assignees import active_staff_ids, default_assignee, senior_owner
from services.tasks.kinds import SubjectType, TaskKind

TITLE_MAX = 200
NOTE_MAX = 2000
# Due times a practice means (a typo like year 9999 is refused, not stored: Python's
# datetime could not even hold it in every time zone).
DUE_YEARS = (2000, 2099)


@dataclass(frozen=True)
class Opener:
    """Exactly one of the two."""

    staff_id: uuid.UUID | None = None
    workflow_id: str | None = None


@dataclass(frozen=True)
class TaskOpen:
    kind: TaskKind
    title: str
    opener: Opener
    assignee_id: uuid.UUID | None = None  # None: the default for the kind
    clinician_id: uuid.UUID | None = None  # for clinical and supervision kinds
    subject: tuple[SubjectType, uuid.UUID] | None = None
    due_at: datetime | None = None
    due_all_day: bool = False
    business_key: str | None = None


def clean_title(value: str) -> str:
    title = " ".join(value.split())
    if not 1 <= len(title) <= TITLE_MAX or not title.isprintable():
        raise InvalidInput(
            "The task needs a title",
            field_errors={"title": f"Enter a short title (1–{TITLE_MAX} characters, one line)."},
        )
    return title


def checked_due(due_at: datetime | None) -> datetime | None:
    if due_at is None:
        return None
    if due_at.tzinfo is None:
        raise ValueError("due times carry their zone")
    # (+1: a day due on 31 December 2099 ends at midnight, in 2100)
    if not DUE_YEARS[0] <= due_at.year <= DUE_YEARS[1] + 1:
        raise InvalidInput(
            "The due time is out of range",
            field_errors={"due_at": f"Choose a moment between {DUE_YEARS[0]} and {DUE_YEARS[1]}."},
        )
    return due_at


def clean_note(value: str | None, *, required: bool = False) -> str | None:
    note = (value or "").strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(
            "The note is too long", field_errors={"note": f"Keep it under {NOTE_MAX} characters."}
        )
    if required and not note:
        raise InvalidInput(
            "Say why the task is dismissed",
            field_errors={"note": "A short reason helps whoever looks at this later."},
        )
    return note or None


async def _checked_assignee(uow: UnitOfWork, assignee_id: uuid.UUID) -> uuid.UUID:
    if assignee_id not in await active_staff_ids(uow, [assignee_id]):
        raise InvalidInput(
            "Choose who the task is for",
            field_errors={"assignee_id": "Choose an active staff member of this practice."},
        )
    return assignee_id


async def open_task(
    uow: UnitOfWork, data: TaskOpen, settings: PracticeSettings, now: datetime
) -> tuple[Task, bool]:
    """The task, and whether it was created now (False: its business key existed)."""
    if (data.opener.staff_id is None) == (data.opener.workflow_id is None):
        raise ValueError("a task has exactly one opener")
    title = clean_title(data.title)
    key = data.business_key.strip() if data.business_key else None
    if key is not None and not 1 <= len(key) <= 150:
        raise InvalidInput("The key is too long", field_errors={"key": "Use 1–150 characters."})
    if key is not None and data.opener.staff_id is not None:
        # A person's keys live in their own namespace: nobody can take a key a workflow
        # will use (or learn that a colleague's task exists by colliding with it).
        key = f"staff:{data.opener.staff_id}:{key}"
    if key is not None:
        existing = await by_key(uow, key)
        if existing is not None:
            return existing, False
    if data.assignee_id is not None:
        assignee = await _checked_assignee(uow, data.assignee_id)
    else:
        assignee = await default_assignee(
            uow, data.kind, settings, clinician_id=data.clinician_id,
            opener_id=data.opener.staff_id,
        )  # fmt: skip
    values = {
        "id": uuid.uuid4(), "practice_id": uow.practice_id, "kind": data.kind, "title": title,
        "subject_type": data.subject[0] if data.subject else None,
        "subject_id": data.subject[1] if data.subject else None,
        "assignee_id": assignee, "due_at": checked_due(data.due_at),
        "due_all_day": data.due_all_day and data.due_at is not None,
        "status": TaskStatus.open, "opened_by_staff_id": data.opener.staff_id,
        "opened_by_workflow_id": data.opener.workflow_id, "business_key": key,
        "created_at": now, "updated_at": now,
    }  # fmt: skip
    stmt = insert(Task).values(**values)
    if key is not None:  # two openers racing on one key: the second gets the first's task
        stmt = stmt.on_conflict_do_nothing(index_elements=["practice_id", "business_key"])
    new_id = (await uow.session.execute(stmt.returning(Task.id))).scalar_one_or_none()
    if new_id is None:
        assert key is not None
        existing = await by_key(uow, key)
        assert existing is not None
        return existing, False
    return await get_task(uow, new_id), True


async def by_key(uow: UnitOfWork, key: str) -> Task | None:
    task: Task | None = await uow.session.scalar(
        select(Task).where(Task.practice_id == uow.practice_id, Task.business_key == key)
    )
    return task


async def get_task(uow: UnitOfWork, task_id: uuid.UUID, *, for_update: bool = False) -> Task:
    """`for_update` locks the row for a change (two people closing or editing one task
    at once go one after the other, the second seeing the first's result)."""
    query = (
        select(Task)
        .where(Task.practice_id == uow.practice_id, Task.id == task_id)
        .execution_options(populate_existing=True)
    )
    task = await uow.session.scalar(query.with_for_update() if for_update else query)
    if task is None:
        raise NotFound("No such task")
    return task


def _require_open(task: Task) -> None:
    if not task.is_open:
        raise Conflict(f"This task is already {task.status}. Reopen it first.")


async def assign(uow: UnitOfWork, task: Task, assignee_id: uuid.UUID, now: datetime) -> None:
    _require_open(task)
    task.assignee_id = await _checked_assignee(uow, assignee_id)
    task.updated_at = now
    await uow.session.flush()


async def edit(
    uow: UnitOfWork, task: Task, *, title: str, due_at: datetime | None, due_all_day: bool,
    now: datetime,
) -> None:  # fmt: skip
    """Title and due time of a task a person opened (a workflow's task is its own)."""
    _require_open(task)
    if task.owned_by_workflow:
        raise Conflict("A workflow opened this task: reassign, resolve or dismiss it instead.")
    task.title = clean_title(title)
    task.due_at = checked_due(due_at)
    task.due_all_day = due_all_day and due_at is not None
    task.updated_at = now
    await uow.session.flush()


async def close(
    uow: UnitOfWork,
    task: Task,
    status: TaskStatus,
    *,
    staff_id: uuid.UUID,
    note: str | None,
    now: datetime,
) -> None:
    """Done or dismissed by a staff member (dismissing asks for a reason)."""
    if status is TaskStatus.open:
        raise ValueError("close to done or dismissed")
    _require_open(task)
    task.resolution_note = clean_note(note, required=status is TaskStatus.dismissed)
    task.status = status
    task.resolved_at = now
    task.resolved_by_staff_id = staff_id
    task.updated_at = now
    await uow.session.flush()


async def reopen(uow: UnitOfWork, task: Task, now: datetime) -> None:
    if task.is_open:
        raise Conflict("This task is open already.")
    task.status = TaskStatus.open
    task.resolved_at = None
    task.resolved_by_staff_id = None
    task.resolved_by_workflow_id = None
    task.resolution_note = None
    task.updated_at = now
    await uow.session.flush()


async def resolve_by_key(
    uow: UnitOfWork, key: str, *, workflow_id: str, now: datetime, note: str | None = None
) -> bool:
    """A workflow closes its own task when the condition clears (intake completed closes
    "intake overdue"). Idempotent: False when there is no open task under the key that a
    workflow opened."""
    result = await uow.session.execute(
        update(Task)
        .where(
            Task.practice_id == uow.practice_id,
            Task.business_key == key,
            Task.status == TaskStatus.open,
            Task.opened_by_workflow_id.is_not(None),
        )
        .values(
            status=TaskStatus.done,
            resolved_at=now,
            resolved_by_workflow_id=workflow_id,
            resolution_note=clean_note(note),
            updated_at=now,
        )
        .returning(Task.id)
    )
    return result.first() is not None


async def hand_over_open_tasks(uow: UnitOfWork, from_staff_id: uuid.UUID, now: datetime) -> int:
    """A deactivated member's open tasks go to the practice's senior active owner (the
    deactivation itself guarantees one remains)."""
    owner = await senior_owner(uow, other_than=from_staff_id)
    result = await uow.session.execute(
        update(Task)
        .where(
            Task.practice_id == uow.practice_id,
            Task.assignee_id == from_staff_id,
            Task.status == TaskStatus.open,
        )
        .values(assignee_id=owner, updated_at=now)
        .returning(Task.id)
    )
    return len(result.all())
