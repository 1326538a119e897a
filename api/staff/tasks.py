"""Tasks → the Needs-attention dashboard, a task's page, and the New task form.

Thin routes: parse, call services.tasks, render or redirect (Post/Redirect/Get). A form
error re-renders the page with the message beside the field and changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from api.auth import Authenticated, CurrentStaff, now_of
from api.deps import Audit, Uow
from api.pages import redirect, render, safe_next
from api.routing import AppRoute
from api.staff.forms import field, read_form, uuid_field
from api.task_params import encode_cursor, parse_filter
from core.db import UnitOfWork
from core.errors import DomainError, InvalidInput, NotFound
from models.orm.staff import StaffStatus
from models.orm.task import TaskStatus
from services.access import Action, reach, require
from services.cases.records import load_case
from services.staff import list_staff
from services.tasks import commands, queries
from services.tasks.kinds import KINDS, STAFF_KINDS, SubjectType, TaskKind
from services.tasks.views import end_of_day, staff_names, task_views

router = APIRouter(route_class=AppRoute, prefix="/tasks", include_in_schema=False)


async def _people(uow: UnitOfWork, me: Authenticated) -> dict[str, Any]:
    """Who tasks may go to (active staff), and whose lists the viewer may filter by."""
    members = [m for m in await list_staff(uow) if m.status == StaffStatus.active]
    reachable = reach(me.actor)
    return {
        "assignees": [(m.id, m.display_name) for m in members],
        "who_options": [
            (str(m.id), m.display_name)
            for m in members
            if m.id != me.member.id and (reachable is None or m.id in reachable)
        ],
    }


def _mine_label(me: Authenticated) -> str:
    return f"{me.acting_for_name}'s" if me.acting_for_name else "Mine"


@router.get("", name="tasks.dashboard")
async def dashboard(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    require(me.actor, Action.use_tasks)
    filt, errors = parse_filter(request.query_params)
    now = now_of(request)
    page = await queries.list_tasks(uow, me.actor, filt, now)
    audit.subject("task", [t.id for t in page.tasks])
    params = {k: v for k, v in request.query_params.items() if k not in ("cursor",)}
    return render(
        request,
        "staff/tasks/dashboard.html",
        {
            "active": "tasks",
            "tasks": await task_views(uow, page.tasks, me.practice.timezone, now),
            "counts": await queries.count_tasks(uow, me.actor, now),
            "filt": filt,
            "errors": errors,
            "next_cursor": encode_cursor(page.next_cursor),
            "params": params,
            "first_page": filt.after is None,
            "kinds": [(k.value, info.label) for k, info in KINDS.items()],
            "mine_label": _mine_label(me),
            "here": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
            **await _people(uow, me),
        },
    )


def _due_from_form(form: FormData, tz: str) -> tuple[datetime | None, bool]:
    day, at = field(form, "due_date", 20), field(form, "due_time", 10)
    if not day and not at:
        return None, False
    try:
        parsed_day = date.fromisoformat(day) if day else None
        parsed_time = time.fromisoformat(at) if at else None
    except ValueError:
        raise InvalidInput(
            "The due time is not valid", field_errors={"due_date": "Use a date like 2026-12-04."}
        ) from None
    if parsed_day is None:
        raise InvalidInput(
            "A due time needs a day", field_errors={"due_date": "Choose the day it is due."}
        )
    if parsed_time is None:
        return end_of_day(parsed_day, tz), True
    moment = datetime.combine(parsed_day, parsed_time, tzinfo=ZoneInfo(tz))
    try:
        return commands.checked_due(moment), False
    except InvalidInput as exc:  # the form has one due field: say it there
        raise InvalidInput(
            exc.message, field_errors={"due_date": exc.field_errors["due_at"]}
        ) from None


def _checked_new(form: FormData, values: dict[str, str], tz: str) -> tuple[datetime | None, bool]:
    """Every field's problem at once (the service checks the assignee after these)."""
    errors: dict[str, str] = {}
    if values["kind"] not in [k.value for k in STAFF_KINDS]:
        errors["kind"] = "Choose one of the kinds."
    try:
        commands.clean_title(values["title"])
    except InvalidInput as exc:
        errors.update(exc.field_errors)
    due: tuple[datetime | None, bool] = (None, False)
    try:
        due = _due_from_form(form, tz)
    except InvalidInput as exc:
        errors.update(exc.field_errors)
    if errors:
        raise InvalidInput("The task was not added", field_errors=errors)
    return due


def _new_context(me: Authenticated, people: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "active": "tasks",
        "kinds": [(k.value, KINDS[k].label) for k in STAFF_KINDS],
        "tz": me.practice.timezone,
        **people,
        **extra,
    }


@router.get("/new", name="tasks.new_form")
async def new_form(request: Request, uow: Uow, me: CurrentStaff) -> Response:
    require(me.actor, Action.use_tasks)
    people = await _people(uow, me)
    values = {"kind": "follow_up", "assignee_id": str(me.member.id)}
    about = await _about(uow, me, request.query_params.get("case", ""))
    if about is not None:
        values["case_id"] = str(about[0])
    return render(
        request, "staff/tasks/new.html", _new_context(me, people, values=values, about=about)
    )


async def _about(uow: UnitOfWork, me: Authenticated, raw: str) -> tuple[uuid.UUID, str] | None:
    """The case a task is about ("New task" on a case record): only one the viewer sees."""
    try:
        case_id = uuid.UUID(raw)
    except ValueError:
        return None
    case, _ = await load_case(uow, me.actor, case_id)
    return case.id, case.name


@router.post("", name="tasks.create")
async def create(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    require(me.actor, Action.use_tasks)
    form = await read_form(request)
    values = {
        k: field(form, k, 300)
        for k in ("title", "kind", "assignee_id", "due_date", "due_time", "case_id")
    }
    about = await _about(uow, me, values["case_id"])
    try:
        due_at, all_day = _checked_new(form, values, me.practice.timezone)
        task, _ = await commands.open_task(
            uow,
            commands.TaskOpen(
                kind=TaskKind(values["kind"]), title=values["title"],
                opener=commands.Opener(staff_id=me.member.id),
                assignee_id=uuid_field(form, "assignee_id"), due_at=due_at, due_all_day=all_day,
                subject=(SubjectType.case, about[0]) if about else None,
            ),
            me.settings,
            now_of(request),
        )  # fmt: skip
    except DomainError as exc:
        people = await _people(uow, me)
        context = _new_context(
            me, people, values=values, errors=exc.field_errors, error=exc.message, about=about
        )
        return render(request, "staff/tasks/new.html", context, status=exc.status)
    audit.subject("task", [task.id])
    return redirect(request, f"/tasks/{task.id}", "Task added.")


async def _detail_context(
    request: Request, uow: Uow, me: Authenticated, task_id: uuid.UUID, **extra: Any
) -> dict[str, Any]:
    task = await queries.visible_task(uow, me.actor, task_id)
    [view] = await task_views(uow, [task], me.practice.timezone, now_of(request))
    alerts = await queries.alerts_of(uow, task.id)
    names = await staff_names(uow, {a.recipient_id for a in alerts})
    due_local = task.due_at.astimezone(ZoneInfo(me.practice.timezone)) if task.due_at else None
    due_day = None
    if due_local is not None:  # an all-day task is stored as the end of its day
        due_day = (due_local - timedelta(days=1)).date() if task.due_all_day else due_local.date()
    return {
        "active": "tasks",
        "task": view,
        "owned": task.owned_by_workflow,
        "alerts": [(a, names.get(a.recipient_id, "—")) for a in alerts],
        "tz": me.practice.timezone,
        "edit_values": {
            "title": task.title,
            "due_date": due_day.isoformat() if due_day else "",
            "due_time": due_local.strftime("%H:%M") if due_local and not task.due_all_day else "",
        },
        "back": safe_next(request.query_params.get("back"), "/tasks"),
        **await _people(uow, me),
        **extra,
    }


@router.get("/{task_id}", name="tasks.detail")
async def detail(
    request: Request, uow: Uow, me: CurrentStaff, audit: Audit, task_id: uuid.UUID
) -> Response:
    audit.subject("task", [task_id])
    return render(
        request, "staff/tasks/detail.html", await _detail_context(request, uow, me, task_id)
    )


async def _act(
    request: Request, uow: Uow, me: Authenticated, task_id: uuid.UUID, action: str
) -> Response:
    task = await queries.visible_task(uow, me.actor, task_id, for_update=True)
    form = await read_form(request)
    now = now_of(request)
    back = safe_next(field(form, "next", 500), f"/tasks/{task.id}")
    try:
        if action == "assign":
            assignee = uuid_field(form, "assignee_id")
            if assignee is None:
                raise InvalidInput(
                    "Choose someone", field_errors={"assignee_id": "Choose a staff member."}
                )
            await commands.assign(uow, task, assignee, now)
            message = "Task reassigned."
        elif action == "edit":
            due_at, all_day = _due_from_form(form, me.practice.timezone)
            await commands.edit(
                uow, task, title=field(form, "title", 500), due_at=due_at,
                due_all_day=all_day, now=now,
            )  # fmt: skip
            message = "Task saved."
        elif action in ("resolve", "dismiss"):
            status = TaskStatus.done if action == "resolve" else TaskStatus.dismissed
            await commands.close(
                uow, task, status, staff_id=me.member.id, note=field(form, "note", 4000), now=now
            )
            message = "Marked done." if action == "resolve" else "Task dismissed."
        else:
            await commands.reopen(uow, task, now)
            message = "Task reopened."
    except DomainError as exc:
        context = await _detail_context(
            request, uow, me, task_id, errors=exc.field_errors, error=exc.message,
            failed=action,
        )  # fmt: skip
        return render(request, "staff/tasks/detail.html", context, status=exc.status)
    return redirect(request, back, message)


@router.post("/{task_id}/{action}", name="tasks.act")
async def act(
    request: Request, uow: Uow, me: CurrentStaff, audit: Audit, task_id: uuid.UUID, action: str
) -> Response:
    require(me.actor, Action.use_tasks)
    audit.subject("task", [task_id])
    if action not in ("assign", "edit", "resolve", "dismiss", "reopen"):
        raise NotFound("No such action")
    return await _act(request, uow, me, task_id, action)
