"""JSON API for tasks: `/api/v1/tasks` (TASK-1: create, assign, filter, resolve).

Every route answers problem+json on bad input and changes nothing; a task the caller may
not see is a 404 like one of another practice. Creating with a `key` is idempotent per
caller: the same key from the same person returns the first task with 200 instead of 201.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.auth import Authenticated, CurrentStaff, now_of
from api.deps import Audit, Uow
from api.routing import AppRoute
from api.task_params import encode_cursor, parse_filter
from core.errors import InvalidInput
from models.orm.task import TaskStatus
from models.schemas.task import (
    TaskAssign,
    TaskClose,
    TaskCountsRead,
    TaskCreate,
    TaskEdit,
    TaskPageRead,
    TaskRead,
)
from services.access import Action, require
from services.tasks import commands, queries
from services.tasks.kinds import STAFF_KINDS, TaskKind
from services.tasks.views import resolve_due, task_views

router = APIRouter(route_class=AppRoute, prefix="/api/v1/tasks", tags=["tasks"])


async def _one(request: Request, uow: Uow, me: Authenticated, task_id: uuid.UUID) -> TaskRead:
    task = await queries.visible_task(uow, me.actor, task_id)
    [view] = await task_views(uow, [task], me.practice.timezone, now_of(request))
    return view


@router.get("", name="api.tasks_list", response_model=TaskPageRead)
async def list_tasks(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> TaskPageRead:
    require(me.actor, Action.use_tasks)
    filt, errors = parse_filter(request.query_params)
    if errors:
        raise InvalidInput("Some filters are not valid", field_errors=errors)
    now = now_of(request)
    page = await queries.list_tasks(uow, me.actor, filt, now)
    audit.subject("task", [t.id for t in page.tasks])
    items = await task_views(uow, page.tasks, me.practice.timezone, now)
    return TaskPageRead(items=items, next_cursor=encode_cursor(page.next_cursor))


@router.get("/counts", name="api.tasks_counts", response_model=TaskCountsRead)
async def counts(request: Request, uow: Uow, me: CurrentStaff) -> TaskCountsRead:
    require(me.actor, Action.use_tasks)
    c = await queries.count_tasks(uow, me.actor, now_of(request))
    return TaskCountsRead(**c.__dict__)


@router.post("", name="api.tasks_create", response_model=TaskRead, status_code=201)
async def create(
    request: Request, body: TaskCreate, uow: Uow, me: CurrentStaff, audit: Audit
) -> JSONResponse:
    require(me.actor, Action.use_tasks)
    if body.kind not in [k.value for k in STAFF_KINDS]:
        raise InvalidInput(
            "Staff may open follow-up, billing and inquiry tasks",
            field_errors={"kind": "Choose follow_up, billing or inquiry."},
        )
    due_at, all_day = resolve_due(body, me.practice.timezone)
    task, created = await commands.open_task(
        uow,
        commands.TaskOpen(
            kind=TaskKind(body.kind), title=body.title,
            opener=commands.Opener(staff_id=me.member.id), assignee_id=body.assignee_id,
            due_at=due_at, due_all_day=all_day, business_key=body.key,
        ),
        me.settings,
        now_of(request),
    )  # fmt: skip
    audit.subject("task", [task.id])
    view = await _one(request, uow, me, task.id)
    return JSONResponse(view.model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/{task_id}", name="api.tasks_get", response_model=TaskRead)
async def get(
    request: Request, task_id: uuid.UUID, uow: Uow, me: CurrentStaff, audit: Audit
) -> TaskRead:
    audit.subject("task", [task_id])
    return await _one(request, uow, me, task_id)


@router.post("/{task_id}/assign", name="api.tasks_assign", response_model=TaskRead)
async def assign(
    request: Request, task_id: uuid.UUID, body: TaskAssign, uow: Uow, me: CurrentStaff,
    audit: Audit,
) -> TaskRead:  # fmt: skip
    audit.subject("task", [task_id])
    task = await queries.visible_task(uow, me.actor, task_id, for_update=True)
    await commands.assign(uow, task, body.assignee_id, now_of(request))
    return await _one(request, uow, me, task_id)


@router.post("/{task_id}/edit", name="api.tasks_edit", response_model=TaskRead)
async def edit(
    request: Request, task_id: uuid.UUID, body: TaskEdit, uow: Uow, me: CurrentStaff,
    audit: Audit,
) -> TaskRead:  # fmt: skip
    audit.subject("task", [task_id])
    task = await queries.visible_task(uow, me.actor, task_id, for_update=True)
    due_at, all_day = resolve_due(body, me.practice.timezone)
    await commands.edit(
        uow, task, title=body.title, due_at=due_at, due_all_day=all_day, now=now_of(request)
    )
    return await _one(request, uow, me, task_id)


async def _close(
    request: Request, task_id: uuid.UUID, status: TaskStatus, body: TaskClose, uow: Uow,
    me: Authenticated,
) -> TaskRead:  # fmt: skip
    task = await queries.visible_task(uow, me.actor, task_id, for_update=True)
    await commands.close(
        uow, task, status, staff_id=me.member.id, note=body.note, now=now_of(request)
    )
    return await _one(request, uow, me, task_id)


@router.post("/{task_id}/resolve", name="api.tasks_resolve", response_model=TaskRead)
async def resolve(
    request: Request, task_id: uuid.UUID, body: TaskClose, uow: Uow, me: CurrentStaff,
    audit: Audit,
) -> TaskRead:  # fmt: skip
    audit.subject("task", [task_id])
    return await _close(request, task_id, TaskStatus.done, body, uow, me)


@router.post("/{task_id}/dismiss", name="api.tasks_dismiss", response_model=TaskRead)
async def dismiss(
    request: Request, task_id: uuid.UUID, body: TaskClose, uow: Uow, me: CurrentStaff,
    audit: Audit,
) -> TaskRead:  # fmt: skip
    audit.subject("task", [task_id])
    return await _close(request, task_id, TaskStatus.dismissed, body, uow, me)


@router.post("/{task_id}/reopen", name="api.tasks_reopen", response_model=TaskRead)
async def reopen(
    request: Request, task_id: uuid.UUID, uow: Uow, me: CurrentStaff, audit: Audit
) -> TaskRead:
    audit.subject("task", [task_id])
    task = await queries.visible_task(uow, me.actor, task_id, for_update=True)
    await commands.reopen(uow, task, now_of(request))
    return await _one(request, uow, me, task_id)
