"""Reading tasks: the Needs-attention list (filters, keyset pages), home-page counts, one
task as a viewer may see it, and what the AttentionSweep sent about it.

Visibility is `services.access.sees_task` written as SQL: owners see every task; anyone
else the tasks assigned to them or to someone they reach (supervisees, providers an
admin acts for) and the tasks they opened. A task outside that answers 404.
Lists use the partial indexes of migration 0004: open tasks by (assignee, due, id) and by
(due, id); closed ones by resolution time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_

from core.db import UnitOfWork
from core.errors import NotFound
from models.orm.task import AlertKind, Task, TaskAlert, TaskStatus
from services.access import Action, Actor, TaskHolders, can, reach
from services.tasks.commands import get_task
from services.tasks.kinds import TaskKind

PAGE_MAX = 200


@dataclass(frozen=True)
class TaskFilter:
    who: str = "mine"  # "mine", "everyone", or a staff id (as text)
    kind: TaskKind | None = None
    overdue: bool = False
    closed: bool = False  # False: open tasks; True: done and dismissed
    after: tuple[datetime, uuid.UUID] | None = None  # keyset cursor
    limit: int = 50


@dataclass(frozen=True)
class TaskPage:
    tasks: list[Task]
    next_cursor: tuple[datetime, uuid.UUID] | None


@dataclass(frozen=True)
class TaskCounts:
    mine_open: int
    mine_overdue: int
    everyone_open: int
    everyone_overdue: int


def mine_id(actor: Actor) -> uuid.UUID:
    """ "Mine" is the viewer's own list — or, while an admin works for a provider, theirs."""
    return actor.acting_for_id or actor.staff_id


def visible_to(actor: Actor) -> ColumnElement[bool] | None:
    if actor.is_owner:
        return None
    assignees = set(reach(actor) or ()) | {actor.staff_id}
    return or_(Task.assignee_id.in_(sorted(assignees)), Task.opened_by_staff_id == actor.staff_id)


def _where(actor: Actor, filt: TaskFilter, now: datetime) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [Task.practice_id == actor.practice_id]
    clauses.append(
        Task.status != TaskStatus.open if filt.closed else Task.status == TaskStatus.open
    )
    seen = visible_to(actor)
    if filt.who == "mine":
        clauses.append(Task.assignee_id == mine_id(actor))
    elif seen is not None:
        clauses.append(seen)
    if filt.who not in ("mine", "everyone"):
        clauses.append(Task.assignee_id == uuid.UUID(filt.who))
    if filt.kind is not None:
        clauses.append(Task.kind == filt.kind)
    if filt.overdue:
        clauses.append(and_(Task.due_at.is_not(None), Task.due_at <= now))
    return clauses


async def list_tasks(uow: UnitOfWork, actor: Actor, filt: TaskFilter, now: datetime) -> TaskPage:
    limit = max(1, min(filt.limit, PAGE_MAX))
    query = select(Task).where(*_where(actor, filt, now))
    if filt.closed:
        if filt.after is not None:
            query = query.where(tuple_(Task.resolved_at, Task.id) < tuple_(*filt.after))
        query = query.order_by(Task.resolved_at.desc(), Task.id.desc())
    else:
        if filt.after is not None:
            query = query.where(tuple_(Task.sort_due, Task.id) > tuple_(*filt.after))
        query = query.order_by(Task.sort_due, Task.id)
    rows = list(await uow.session.scalars(query.limit(limit + 1)))
    cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        mark = last.resolved_at if filt.closed else last.sort_due
        assert mark is not None
        cursor = (mark, last.id)
    return TaskPage(rows, cursor)


async def count_tasks(uow: UnitOfWork, actor: Actor, now: datetime) -> TaskCounts:
    mine = Task.assignee_id == mine_id(actor)
    overdue = and_(Task.due_at.is_not(None), Task.due_at <= now)
    query = select(
        func.count().filter(mine),
        func.count().filter(and_(mine, overdue)),
        func.count(),
        func.count().filter(overdue),
    ).where(Task.practice_id == actor.practice_id, Task.status == TaskStatus.open)
    seen = visible_to(actor)  # an admin's acting-for provider is in their reach
    if seen is not None:
        query = query.where(seen)
    row = (await uow.session.execute(query)).one()
    return TaskCounts(*(int(v or 0) for v in row))


async def visible_task(
    uow: UnitOfWork, actor: Actor, task_id: uuid.UUID, *, for_update: bool = False
) -> Task:
    task = await get_task(uow, task_id, for_update=for_update)  # another practice's id: 404
    holders = TaskHolders(task.assignee_id, task.opened_by_staff_id)
    if not can(actor, Action.see_task, holders):
        raise NotFound("No such task")
    return task


@dataclass(frozen=True)
class AlertRow:
    kind: AlertKind
    recipient_id: uuid.UUID
    sent_at: datetime


async def alerts_of(uow: UnitOfWork, task_id: uuid.UUID) -> list[AlertRow]:
    rows = await uow.session.scalars(
        select(TaskAlert)
        .where(TaskAlert.practice_id == uow.practice_id, TaskAlert.task_id == task_id)
        .order_by(TaskAlert.created_at, TaskAlert.id)
    )
    return [AlertRow(AlertKind(a.kind), a.recipient_id, a.created_at) for a in rows]
