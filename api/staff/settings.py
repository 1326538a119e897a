"""Settings: the index, the practice (profile and security) and the audit log viewer."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import Authenticated, CurrentStaff
from api.deps import Audit, Uow
from api.pages import redirect, render
from api.routing import AppRoute
from api.staff.forms import field, fields, read_form, uuid_field
from api.templating import settings_sections
from core.errors import DomainError
from models.orm.audit import AuditOutcome
from services.access import Action, can, require
from services.audit_log import AuditFilter, audit_page
from services.practice_settings import (
    ADMIN_AREA_LABELS,
    ESCALATION_MAX_HOURS,
    ESCALATION_MIN_HOURS,
    IDLE_MAX,
    IDLE_MIN,
    AdminArea,
    update_client_settings,
    update_profile,
    update_security,
    update_task_settings,
)
from services.staff import list_staff

TIME_ZONES = sorted(
    z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/")
)

router = APIRouter(route_class=AppRoute, prefix="/settings", include_in_schema=False)


def page(me: Authenticated, section: str, **extra: Any) -> dict[str, Any]:
    return {"active": "settings", "section": section, "sections": settings_sections(me), **extra}


@router.get("", name="settings.index")
async def index(request: Request, me: CurrentStaff) -> Response:
    return redirect(request, settings_sections(me)[0].href)


async def _practice_context(uow: Uow, me: Authenticated, **extra: Any) -> dict[str, Any]:
    members = [m for m in await list_staff(uow) if m.status == "active"]
    return page(
        me,
        "practice",
        practice=me.practice,
        settings=me.settings,
        can_profile=can(me.actor, Action.manage_practice_profile),
        can_security=can(me.actor, Action.manage_practice_security),
        area_labels=ADMIN_AREA_LABELS,
        zones=TIME_ZONES,
        idle_min=IDLE_MIN,
        idle_max=IDLE_MAX,
        escalation_min=ESCALATION_MIN_HOURS,
        escalation_max=ESCALATION_MAX_HOURS,
        contact_options=[(m.id, m.display_name) for m in members],
        **extra,
    )


@router.get("/practice", name="settings.practice")
async def practice(request: Request, uow: Uow, me: CurrentStaff) -> Response:
    if not (
        can(me.actor, Action.manage_practice_profile)
        or can(me.actor, Action.manage_practice_security)
    ):
        require(me.actor, Action.manage_practice_profile)
    return render(request, "settings/practice.html", await _practice_context(uow, me))


@router.post("/practice/profile", name="settings.practice_profile")
async def save_profile(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    require(me.actor, Action.manage_practice_profile)
    form = await read_form(request)
    values = {k: field(form, k, 300) for k in ("name", "timezone", "link_name")}
    audit.subject("practice", [me.practice.id])
    try:
        await update_profile(uow, me.practice, **values)
    except DomainError as exc:
        return render(
            request,
            "settings/practice.html",
            await _practice_context(
                uow, me, profile_errors=exc.field_errors, profile_values=values
            ),
            status=exc.status,
        )
    return redirect(request, "/settings/practice", "Practice profile saved.")


@router.post("/practice/security", name="settings.practice_security")
async def save_security(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    require(me.actor, Action.manage_practice_security)
    form = await read_form(request)
    audit.subject("practice", [me.practice.id])
    raw_idle = field(form, "idle_timeout_minutes", 10)
    areas = [AdminArea(a) for a in fields(form, "admin_areas") if a in AdminArea.__members__]
    try:
        await update_security(
            uow,
            me.practice,
            idle_timeout_minutes=int(raw_idle) if raw_idle.isascii() and raw_idle.isdigit() else -1,
            totp_required=field(form, "totp_required") == "on",
            admin_areas=areas,
        )
    except DomainError as exc:
        return render(
            request,
            "settings/practice.html",
            await _practice_context(uow, me, security_errors=exc.field_errors),
            status=exc.status,
        )
    return redirect(request, "/settings/practice", "Security settings saved.")


@router.post("/practice/tasks", name="settings.practice_tasks")
async def save_tasks(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    require(me.actor, Action.manage_practice_profile)
    form = await read_form(request)
    audit.subject("practice", [me.practice.id])
    raw = field(form, "task_escalation_hours", 10)
    try:
        await update_task_settings(
            uow,
            me.practice,
            tasks_contact_id=uuid_field(form, "tasks_contact_id"),
            task_escalation_hours=int(raw) if raw.isascii() and raw.isdigit() else -1,
        )
    except DomainError as exc:
        context = await _practice_context(uow, me, tasks_errors=exc.field_errors)
        return render(request, "settings/practice.html", context, status=exc.status)
    return redirect(request, "/settings/practice", "Task settings saved.")


@router.post("/practice/clients", name="settings.practice_clients")
async def save_clients(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    require(me.actor, Action.manage_practice_profile)
    form = await read_form(request)
    audit.subject("practice", [me.practice.id])
    raw = field(form, "minor_age_of_consent", 10)
    try:
        await update_client_settings(
            uow,
            me.practice,
            minor_age=int(raw) if raw.isascii() and raw.isdigit() else -1,
            feed_detail=field(form, "calendar_feed_detail", 20) or None,
        )
    except DomainError as exc:
        context = await _practice_context(uow, me, clients_errors=exc.field_errors)
        return render(request, "settings/practice.html", context, status=exc.status)
    return redirect(request, "/settings/practice", "Client settings saved.")


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/audit", name="settings.audit_log")
async def audit_log(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    require(me.actor, Action.view_audit_log)
    q = request.query_params
    outcome = q.get("outcome", "")
    try:
        actor_id = uuid.UUID(q.get("actor", "")) if q.get("actor") else None
    except ValueError:
        actor_id = None
    before = None
    if q.get("before_at") and q.get("before_id"):
        try:
            before = (datetime.fromisoformat(q["before_at"]), uuid.UUID(q["before_id"]))
        except ValueError:
            before = None
    filt = AuditFilter(
        since=_date(q.get("since", "")),
        until=_date(q.get("until", "")),
        outcome=AuditOutcome(outcome) if outcome in AuditOutcome.__members__ else None,
        actor_id=actor_id,
        before=before,
    )
    rows, cursor = await audit_page(uow, me.practice.timezone, filt)
    audit.subject("audit_event", [r.event.id for r in rows])
    return render(
        request,
        "settings/audit.html",
        page(
            me,
            "audit",
            rows=rows,
            cursor=cursor,
            filt=filt,
            staff=await list_staff(uow),
            outcomes=list(AuditOutcome),
            tz=me.practice.timezone,
        ),
    )
