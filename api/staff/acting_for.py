"""Act as provider (ROLE-8/9): an owner or an authorised admin works for a clinician.
The session remembers whom; a banner names them; every audit event records both."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import CurrentStaff
from api.deps import Audit, Uow
from api.pages import redirect, safe_next
from api.routing import AppRoute
from api.staff.forms import field, read_form, uuid_field
from core.errors import NotFound
from services.access import Action, can
from services.staff import get_staff

router = APIRouter(route_class=AppRoute, include_in_schema=False)


@router.post("/acting-for", name="acting_for.start")
async def start(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    form = await read_form(request)
    provider_id = uuid_field(form, "provider_id")
    if provider_id is None or not can(me.actor, Action.act_for, provider_id) or me.session is None:
        raise NotFound("No such provider")
    provider = await get_staff(uow, provider_id)
    if not provider.is_clinician or provider.status != "active":
        raise NotFound("No such provider")
    me.session.acting_for_id = provider.id
    audit.acting_for_id = provider.id
    audit.subject("staff_member", [provider.id])
    target = safe_next(field(form, "next"))
    return redirect(request, target, f"You are now working for {provider.display_name}.", "info")


@router.post("/acting-for/stop", name="acting_for.stop")
async def stop(request: Request, me: CurrentStaff) -> Response:
    if me.session is not None:
        me.session.acting_for_id = None
    return redirect(request, "/dashboard", "You are working as yourself again.", "info")
