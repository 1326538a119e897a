"""Invite to the portal, from a participant on the case record (PORT-*, REL-*): see
services.portal.invitations. Who may: whoever may change the case."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import CurrentStaff, now_of, today_of
from api.deps import AppSettings, Audit, Uow
from api.pages import redirect
from api.routing import AppRoute
from api.staff.case_record import fail_page, savepoint
from api.staff.forms import read_form
from core.errors import DomainError
from services.access import Action
from services.cases.records import load_case
from services.portal.invitations import invite_participant

router = APIRouter(route_class=AppRoute, include_in_schema=False)


@router.post("/cases/{case_id}/participants/{person_id}/portal-invite", name="cases.portal_invite")
async def portal_invite(
    request: Request,
    case_id: uuid.UUID,
    person_id: uuid.UUID,
    uow: Uow,
    me: CurrentStaff,
    audit: Audit,
    settings: AppSettings,
) -> Response:
    audit.subject("case", [case_id])
    await read_form(request)
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case)
    try:
        async with savepoint(uow):
            sent = await invite_participant(
                uow,
                case,
                person_id,
                staff_id=me.member.id,
                today=today_of(request, me),
                now=now_of(request),
                age_of_consent=me.settings.minor_age_of_consent,
                base_url=settings.APP_BASE_URL,
            )
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "overview", f"settings-{person_id}", exc)
    who = "their representative" if "representative" in sent.scopes else "them"
    plural = "invitations" if sent.recipients > 1 else "an invitation"
    return redirect(
        request,
        f"/cases/{case_id}",
        f"Portal opened: {plural} sent to {who} (the link works for 7 days).",
    )
