"""Send intake from the case record (issue 8 §4): the practice's intake packet to the
participants ticked; the checklist is on the case's Overview (services.intake.requests).
Who may: whoever may change the case (FORM-10: admins working for the provider too)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import CurrentStaff, now_of, today_of
from api.deps import AppSettings, Audit, Uow
from api.pages import redirect
from api.routing import AppRoute
from api.staff.case_record import fail_page, savepoint
from api.staff.forms import fields, parse_uuid, read_form
from core.errors import DomainError
from services.access import Action
from services.cases.records import load_case
from services.intake.requests import Packet, send_packet

router = APIRouter(route_class=AppRoute, include_in_schema=False)


@router.post("/cases/{case_id}/intake", name="cases.send_intake")
async def send_intake(
    request: Request, case_id: uuid.UUID, uow: Uow, me: CurrentStaff, audit: Audit,
    settings: AppSettings,
) -> Response:  # fmt: skip
    audit.subject("case", [case_id])
    form = await read_form(request)
    people = tuple(p for p in (parse_uuid(v) for v in fields(form, "person_id")) if p)
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case)
    try:
        async with savepoint(uow):
            sent = await send_packet(
                uow, case, Packet(person_ids=people), staff_id=me.member.id,
                now=now_of(request), today=today_of(request, me), settings=me.settings,
                base_url=settings.APP_BASE_URL,
            )  # fmt: skip
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "overview", "intake", exc)
    audit.subject("intake_request", [sent.id])
    return redirect(request, f"/cases/{case_id}", "Intake sent: the invitations are on their way.")
