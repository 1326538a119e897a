"""Home: `/` sends people where they belong; the dashboard shows Getting started."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import CurrentStaff, now_of, resolve
from api.deps import Uow
from api.pages import redirect, render
from api.routing import AppRoute
from models.orm.staff import StaffStatus
from services.access import Action, can
from services.getting_started import checklist
from services.staff import list_staff
from services.tasks.queries import count_tasks

router = APIRouter(route_class=AppRoute, include_in_schema=False)


@router.get("/", name="home")
async def home(request: Request, uow: Uow) -> Response:
    signed_in = await resolve(request, uow) is not None
    return redirect(request, "/dashboard" if signed_in else "/login")


@router.get("/dashboard", name="dashboard.view")
async def dashboard(request: Request, uow: Uow, me: CurrentStaff) -> Response:
    entries = await checklist(uow, me.practice)
    done = sum(1 for e in entries if e.done)
    act_options = [
        (m.id, m.display_name)
        for m in await list_staff(uow)
        if m.is_clinician and m.status == StaffStatus.active and can(me.actor, Action.act_for, m.id)
    ]
    return render(
        request,
        "staff/dashboard.html",
        {
            "active": "dashboard",
            "checklist": entries,
            "done": done,
            "show_checklist": me.actor.is_owner and done < len(entries),
            "act_options": act_options,
            "task_counts": await count_tasks(uow, me.actor, now_of(request)),
            "mine_label": f"assigned to {me.acting_for_name}"
            if me.acting_for_name
            else "assigned to you",
        },
    )
