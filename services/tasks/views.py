"""Tasks as their viewers read them: names instead of ids, due times in practice time."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import InvalidInput
from models.orm.staff import StaffMember
from models.orm.task import Task
from models.schemas.task import TaskDue, TaskRead
from services.tasks.commands import DUE_YEARS
from services.tasks.kinds import label


async def staff_names(uow: UnitOfWork, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await uow.session.execute(
        select(StaffMember.id, StaffMember.display_name).where(
            StaffMember.practice_id == uow.practice_id, StaffMember.id.in_(sorted(ids))
        )
    )
    return {r[0]: r[1] for r in rows}


def due_label(task: Task, tz: str) -> str | None:
    if task.due_at is None:
        return None
    local = task.due_at.astimezone(ZoneInfo(tz))
    if task.due_all_day:  # stored as the end of the day: the day itself is the one before
        return (local - timedelta(days=1)).strftime("%a %b %-d, %Y")
    return local.strftime("%a %b %-d, %Y %H:%M %Z")


def resolve_due(due: TaskDue, tz: str) -> tuple[datetime | None, bool]:
    """A moment, or a day that ends at the next local midnight ("overdue = due time passed
    in the practice time zone"). Giving both is an error."""
    if due.due_at is not None and due.due_date is not None:
        raise InvalidInput(
            "Give a due time or a due day, not both",
            field_errors={"due_date": "Choose either a day or a moment."},
        )
    if due.due_date is not None:
        return end_of_day(due.due_date, tz), True
    return due.due_at, False


def end_of_day(day: date, tz: str) -> datetime:
    if not DUE_YEARS[0] <= day.year <= DUE_YEARS[1]:
        raise InvalidInput(
            "The due day is out of range",
            field_errors={"due_date": f"Choose a day between {DUE_YEARS[0]} and {DUE_YEARS[1]}."},
        )
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(tz))


async def task_views(uow: UnitOfWork, tasks: list[Task], tz: str, now: datetime) -> list[TaskRead]:
    ids = {t.assignee_id for t in tasks}
    ids |= {t.opened_by_staff_id for t in tasks if t.opened_by_staff_id}
    ids |= {t.resolved_by_staff_id for t in tasks if t.resolved_by_staff_id}
    names = await staff_names(uow, ids)
    return [_view(t, names, tz, now) for t in tasks]


def _view(t: Task, names: dict[uuid.UUID, str], tz: str, now: datetime) -> TaskRead:
    if t.opened_by_staff_id is not None:
        opened = names.get(t.opened_by_staff_id, "a former colleague")
    else:
        opened = "a workflow"
    resolved = None
    if t.resolved_by_staff_id is not None:
        resolved = names.get(t.resolved_by_staff_id, "a former colleague")
    elif t.resolved_by_workflow_id is not None:
        resolved = "its workflow"
    return TaskRead(
        id=t.id, kind=t.kind, kind_label=label(t.kind), title=t.title, status=t.status,
        subject_type=t.subject_type, subject_id=t.subject_id, assignee_id=t.assignee_id,
        assignee_name=names.get(t.assignee_id, "—"), due_at=t.due_at,
        due_all_day=t.due_all_day, due_label=due_label(t, tz), overdue=t.overdue_at(now),
        opened_by_staff_id=t.opened_by_staff_id, opened_by_workflow_id=t.opened_by_workflow_id,
        opened_by_label=opened, resolution_note=t.resolution_note, resolved_at=t.resolved_at,
        resolved_by_label=resolved, created_at=t.created_at,
    )  # fmt: skip
