"""Intake from the case record (issue 8 §4–§5): send the practice's intake packet to the
participants ticked, and change an open intake — resend an invitation, add or remove an
item, cancel. Each change is a row change plus an outbox signal to the IntakeOnboarding
workflow (services.intake.changes), so these pages work while the worker is down; the
checklist on the case's Overview reads the rows. Who may: whoever may change the case
(FORM-10: admins working for the provider too)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from api.auth import CurrentStaff, now_of, today_of
from api.deps import Audit, Uow
from api.pages import redirect
from api.routing import AppRoute
from api.staff.case_record import fail_page, savepoint
from api.staff.forms import field, fields, parse_uuid, read_form
from core.errors import DomainError, InvalidInput
from services.access import Action
from services.cases.records import load_case
from services.intake import changes
from services.intake.requests import Packet, send_packet

router = APIRouter(route_class=AppRoute, include_in_schema=False)


@router.post("/cases/{case_id}/intake", name="cases.send_intake")
async def send_intake(
    request: Request, case_id: uuid.UUID, uow: Uow, me: CurrentStaff, audit: Audit
) -> Response:
    audit.subject("case", [case_id])
    form = await read_form(request)
    people = tuple(p for p in (parse_uuid(v) for v in fields(form, "person_id")) if p)
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case)
    try:
        async with savepoint(uow):
            sent = await send_packet(
                uow, case, Packet(person_ids=people), staff_id=me.member.id,
                now=now_of(request), today=today_of(request, me), settings=me.settings,
            )  # fmt: skip
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "overview", "intake", exc)
    audit.subject("intake_request", [sent.id])
    return redirect(request, f"/cases/{case_id}", "Intake sent: the invitations are on their way.")


CHANGES = {
    "resend": "A new invitation is on its way.",
    "add": "Added: it is on their checklist now.",
    "remove": "Removed from the intake.",
    "cancel": "Intake cancelled. Nothing more is sent.",
}


@router.post("/cases/{case_id}/intake/{request_id}", name="cases.change_intake")
async def change_intake(
    request: Request, case_id: uuid.UUID, request_id: uuid.UUID, uow: Uow, me: CurrentStaff,
    audit: Audit,
) -> Response:  # fmt: skip
    audit.subject("case", [case_id])
    audit.subject("intake_request", [request_id])
    form = await read_form(request)
    action = field(form, "action", 20)
    await load_case(uow, me.actor, case_id, Action.change_case)
    now = now_of(request)
    try:
        async with savepoint(uow):
            if action not in CHANGES:
                raise InvalidInput("Unknown change", field_errors={"intake": "Choose a change."})
            intake = await changes.open_for_change(uow, case_id, request_id)
            if action == "resend":
                recipient = _required(form, "recipient_id", "Choose who gets the invitation.")
                await changes.resend(uow, intake, recipient, now)
            elif action == "add":
                item = _required(form, "item_id", "Choose a form or document to add.", "item_id")
                raw = field(form, "recipient_id", 40)
                recipient_id = parse_uuid(raw)
                if raw and recipient_id is None:
                    raise InvalidInput(
                        "Unknown recipient", field_errors={"item_id": "Choose who it is for."}
                    )
                await changes.add_item(uow, intake, item, recipient_id, now)
            elif action == "remove":
                await changes.remove_item(
                    uow, intake, _required(form, "line_id", "Choose what to remove."), now
                )
            else:
                await changes.cancel(uow, intake, now)
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "overview", "intake", exc)
    return redirect(request, f"/cases/{case_id}", CHANGES[action])


def _required(form: FormData, name: str, message: str, key: str = "intake") -> uuid.UUID:
    value = parse_uuid(field(form, name, 40))
    if value is None:
        raise InvalidInput(message, field_errors={key: message})
    return value
