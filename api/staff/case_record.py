"""A case's record page (CLI-5…11): Overview (people and contacts, quick actions, the
Workflow summary), Clinical (diagnoses), Billing (who pays), Relationships, and Details
(name, provider, supervisor, identified client, capabilities, close / reopen).

Thin routes: load through `services.cases.records` (404 outside the viewer's reach, 403
for an action their access does not include), call the service, redirect (Post/Redirect/
Get). A form error re-renders the page with the message beside the field, status 422, and
nothing is written. Clinical and billing parts are not even loaded for viewers without
those grants.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from api.auth import Authenticated, CurrentStaff, now_of, today_of
from api.deps import Audit, Uow
from api.pages import redirect, render
from api.routing import AppRoute
from api.staff.forms import field, fields, parse_uuid, person_input, read_form, uuid_field
from core.db import UnitOfWork
from core.errors import DomainError, InvalidInput
from models.orm.case import CaseKind, CollectionMode
from models.orm.staff import StaffStatus
from models.schemas.person import PersonIn
from services.access import Action, can
from services.cases import commands, diagnoses, payers
from services.cases.kinds import COUPLE_LABELS, KINDS, ROLE_LABELS, needs_identified_client
from services.cases.records import load_case, visible_ids
from services.cases.search import search
from services.cases.views import case_read, people_of
from services.intake import requests as intake_requests
from services.people.relationships import KIND_LABELS, SCOPE_LABELS, helpers_of, relationships_of
from services.scheduling.appointments import upcoming_of
from services.staff import list_staff
from services.summary import SummaryContext, build_summary

router = APIRouter(route_class=AppRoute, include_in_schema=False)

TABS = [
    ("overview", "Overview"),
    ("clinical", "Clinical"),
    ("billing", "Billing"),
    ("relationships", "Relationships"),
    ("details", "Details"),
]
MODE_LABELS = {
    CollectionMode.invoice: "Invoice",
    CollectionMode.autopay: "AutoPay (card on file)",
    CollectionMode.external: "Paid outside PracticeRunner",
}
NEW_PERSON_FIELDS = ("first_name", "last_name", "preferred_name", "date_of_birth", "email",
                     "phone_mobile")  # fmt: skip


def date_field(form: FormData, name: str, errors: dict[str, str], *, default: date | None = None,
               required: bool = False) -> date | None:  # fmt: skip
    raw = field(form, name, 20)
    if not raw:
        if required and default is None:
            errors[name] = "Choose a date."
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Use a date like 2026-12-01."
        return None


def person_from(form: FormData, prefix: str = "") -> PersonIn:
    details: dict[str, Any] = {n: field(form, prefix + n, 200) or None for n in NEW_PERSON_FIELDS}
    details["first_name"] = details["first_name"] or ""
    details["last_name"] = details["last_name"] or ""
    return person_input(details)


async def case_context(
    request: Request, uow: UnitOfWork, me: Authenticated, case_id: uuid.UUID, tab: str,
    **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    case, grants = await load_case(uow, me.actor, case_id)
    today = today_of(request, me)
    view = await case_read(uow, me.actor, case, grants, today, me.settings.minor_age_of_consent)
    parts = await commands.participants_of(uow, case.id)
    people = await people_of(uow, parts)
    summary = await build_summary(
        SummaryContext(uow, me.actor, case, grants, parts, people, today, now_of(request))
    )
    current = [p for p in parts if p.is_current]
    zone = ZoneInfo(me.practice.timezone)
    upcoming = [
        {"id": a.id, "local": f"{a.starts_at.astimezone(zone):%a %b %-d, %H:%M %Z}",
         "label": None if a.status == "scheduled" else a.status.replace("_", " ")}
        for a in await upcoming_of(uow, case.id, now_of(request))
    ]  # fmt: skip
    context: dict[str, Any] = {
        "active": "clients",
        "tab": tab if tab in dict(TABS) else "overview",
        "tabs": TABS,
        "case": case,
        "view": view,
        "info": KINDS[CaseKind(case.kind)],
        "people": people,
        "participants": parts,
        "current": current,
        "summary": summary,
        "today": today,
        "may_change": can(me.actor, Action.change_case, grants),
        "may_clinical": can(me.actor, Action.see_clinical, grants) and case.cap_diagnoses,
        "may_change_clinical": can(me.actor, Action.change_clinical, grants),
        "may_billing": can(me.actor, Action.see_case_billing, grants),
        "may_change_billing": can(me.actor, Action.change_case_billing, grants),
        "couple_labels": [(k.value, v) for k, v in COUPLE_LABELS.items()],
        "role_labels": ROLE_LABELS,
        "reminder_labels": {"email": "Email", "sms": "Text message", "none": "No reminders"},
        "onboarding_labels": {
            "not_started": "Not started",
            "invited": "Invited",
            "in_progress": "In progress",
            "complete": "Complete",
        },
        "intake_status_labels": {
            "completed": "completed",
            "cancelled": "cancelled by the practice",
            "case_closed": "ended: the case closed",
            "participant_left": "ended: a participant left the case",
            "portal_access_off": "ended: a recipient's portal access was turned off",
        },
        "mode_labels": MODE_LABELS,
        "kind_labels": KIND_LABELS,
        "scope_labels": SCOPE_LABELS,
        "needs_identified": needs_identified_client(CaseKind(case.kind), case.cap_superbills),
        "errors": {},
        "form": None,
        "upcoming": upcoming,
        **extra,
    }
    if context["tab"] == "overview":
        context["intake"] = await intake_requests.checklist(uow, case.id)
    if context["tab"] == "relationships":
        context["relations"] = {
            p.person_id: await relationships_of(uow, p.person_id) for p in current
        }
        context["helpers"] = {p.person_id: await helpers_of(uow, p.person_id) for p in current}
        linked = {r.other_id for rows in context["relations"].values() for r in rows}
        linked |= {h.helper_id for rows in context["helpers"].values() for h in rows}
        context["visible"] = await visible_ids(uow, me.actor, linked)
    if context["tab"] == "details":
        members = [m for m in await list_staff(uow) if m.status == StaffStatus.active]
        context["clinicians"] = [(m.id, m.display_name) for m in members if m.is_clinician]
    if context["tab"] == "clinical" and context["may_clinical"]:
        context.setdefault("codes", [])
    return context


@asynccontextmanager
async def savepoint(uow: UnitOfWork) -> AsyncIterator[None]:
    """A change that either happens whole or not at all, leaving the request's transaction
    (its session and audit work) usable to render the form again with the errors."""
    nested = await uow.session.begin_nested()
    try:
        yield
    except BaseException:
        await nested.rollback()
        raise
    await nested.commit()


async def _page(request: Request, uow: UnitOfWork, me: Authenticated, case_id: uuid.UUID,
                tab: str, *, status: int = 200, **extra: Any) -> Response:  # fmt: skip
    context = await case_context(request, uow, me, case_id, tab, **extra)
    return render(request, "staff/cases/record.html", context, status=status)


@router.get("/cases/{case_id}", name="cases.record")
async def record(request: Request, case_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                 audit: Audit) -> Response:  # fmt: skip
    audit.subject("case", [case_id])
    return await _page(request, uow, me, case_id, request.query_params.get("tab", "overview"))


async def fail_page(request: Request, uow: UnitOfWork, me: Authenticated, case_id: uuid.UUID,
                tab: str, form_key: str, exc: DomainError) -> Response:  # fmt: skip
    return await _page(
        request, uow, me, case_id, tab, status=exc.status, errors=exc.field_errors,
        form=form_key, message=exc.message,
    )  # fmt: skip


@router.post("/cases/{case_id}/participants", name="cases.participant_add")
async def participant_add(request: Request, case_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                          audit: Audit) -> Response:  # fmt: skip
    audit.subject("case", [case_id])
    form = await read_form(request)
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case, for_update=True)
    action = field(form, "action", 20)
    if action == "find":
        found = await search(uow, me.actor, field(form, "q", 100))
        return await _page(
            request, uow, me, case_id, "overview", form="add",
            matches=[(p.id, p.name, p.email) for p in found.people[:8]],
            q=field(form, "q", 100),
        )  # fmt: skip
    errors: dict[str, str] = {}
    joined = date_field(form, "joined_on", errors, default=today_of(request, me))
    person_id = uuid_field(form, "person_id")
    joiner = commands.Joiner(
        person_id=person_id, person=None if person_id else person_from(form),
        role=field(form, "role", 20) or None, joined_on=joined,
    )  # fmt: skip
    try:
        async with savepoint(uow):
            if errors:
                raise InvalidInput("The participant was not added", field_errors=errors)
            await commands.add_participant(uow, me.actor, case, joiner, today_of(request, me))
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "overview", "add", exc)
    return redirect(request, f"/cases/{case_id}", "The participant was added.")


@router.post("/cases/{case_id}/participants/{person_id}/leave", name="cases.participant_leave")
async def participant_leave(request: Request, case_id: uuid.UUID, person_id: uuid.UUID,
                            uow: Uow, me: CurrentStaff, audit: Audit) -> Response:  # fmt: skip
    audit.subject("case", [case_id])
    form = await read_form(request)
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case, for_update=True)
    errors: dict[str, str] = {}
    left = date_field(form, "left_on", errors, default=today_of(request, me))
    try:
        async with savepoint(uow):
            if errors or left is None:
                raise InvalidInput("Choose their last day", field_errors=errors)
            await commands.end_participation(uow, case, person_id, left, today_of(request, me))
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "overview", f"leave-{person_id}", exc)
    return redirect(request, f"/cases/{case_id}", "Their last day in the case is recorded.")


@router.post("/cases/{case_id}/participants/{person_id}/replace", name="cases.participant_replace")
async def participant_replace(request: Request, case_id: uuid.UUID, person_id: uuid.UUID,
                              uow: Uow, me: CurrentStaff, audit: Audit) -> Response:  # fmt: skip
    audit.subject("case", [case_id])
    form = await read_form(request)
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case, for_update=True)
    errors: dict[str, str] = {}
    on = date_field(form, "on", errors, default=today_of(request, me))
    try:
        async with savepoint(uow):
            if errors or on is None:
                raise InvalidInput("Choose the day", field_errors=errors)
            await commands.replace_participant(
                uow,
                me.actor,
                case,
                person_id,
                commands.Joiner(person=person_from(form)),
                on,
                today_of(request, me),
            )
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "overview", f"replace-{person_id}", exc)
    return redirect(request, f"/cases/{case_id}", "The participant was replaced.")


@router.post(
    "/cases/{case_id}/participants/{person_id}/settings", name="cases.participant_settings"
)
async def participant_settings(request: Request, case_id: uuid.UUID, person_id: uuid.UUID,
                               uow: Uow, me: CurrentStaff, audit: Audit) -> Response:  # fmt: skip
    """Role, portal access, reminder preference and onboarding state in this case."""
    audit.subject("case", [case_id])
    form = await read_form(request)
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case, for_update=True)
    try:
        async with savepoint(uow):
            await commands.update_participant(
                uow, case, person_id, role=field(form, "role", 20) or None,
                portal_access=field(form, "portal_access", 5) == "1",
                reminder_preference=field(form, "reminder_preference", 10) or None,
                onboarding_state=field(form, "onboarding_state", 20) or None,
            )  # fmt: skip
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "overview", f"settings-{person_id}", exc)
    return redirect(request, f"/cases/{case_id}", "The participant's settings were saved.")


@router.post("/cases/{case_id}/details", name="cases.details")
async def details(request: Request, case_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                  audit: Audit) -> Response:  # fmt: skip
    audit.subject("case", [case_id])
    form = await read_form(request)
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case, for_update=True)
    supervisor = uuid_field(form, "supervisor_id")
    caps = set(fields(form, "capabilities"))
    try:
        async with savepoint(uow):
            await commands.update_case(
                uow, me.actor, case,
                commands.CaseEdit(
                    name=field(form, "name", 300),
                relationship_label=field(form, "relationship_label", 40) or None,
                    primary_provider_id=uuid_field(form, "primary_provider_id"),
                    supervisor_id=supervisor, clear_supervisor=supervisor is None,
                    identified_person_id=uuid_field(form, "identified_person_id"),
                    cap_diagnoses="diagnoses" in caps,
                    cap_treatment_plans="treatment_plans" in caps,
                    cap_superbills="superbills" in caps, cap_claims="claims" in caps,
                ),
            )  # fmt: skip
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "details", "details", exc)
    return redirect(request, f"/cases/{case_id}?tab=details", "The case details were saved.")


@router.post("/cases/{case_id}/status", name="cases.status")
async def status(request: Request, case_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                 audit: Audit) -> Response:  # fmt: skip
    audit.subject("case", [case_id])
    form = await read_form(request)
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case, for_update=True)
    errors: dict[str, str] = {}
    try:
        async with savepoint(uow):
            if field(form, "action", 10) == "reopen":
                await commands.reopen_case(uow, case)
                message = "The case is open again."
            else:
                closed = date_field(form, "closed_on", errors, default=today_of(request, me))
                if errors or closed is None:
                    raise InvalidInput("Choose the day it closed", field_errors=errors)
                await commands.close_case(uow, case, closed)
                message = "The case is closed. It is listed under Archived."
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "details", "status", exc)
    return redirect(request, f"/cases/{case_id}?tab=details", message)


@router.post("/cases/{case_id}/payers", name="cases.payer_add")
async def payer_add(request: Request, case_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                    audit: Audit) -> Response:  # fmt: skip
    audit.subject("case", [case_id])
    form = await read_form(request)
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case_billing, for_update=True)
    errors: dict[str, str] = {}
    start = date_field(form, "effective_from", errors, default=today_of(request, me))
    end = date_field(form, "effective_to", errors)
    who = field(form, "payer", 60)
    person_id, org_id = None, None
    try:
        async with savepoint(uow):
            if who == "organization":
                from services.people.commands import create_organization

                org = await create_organization(
                    uow, name=field(form, "organization_name", 300),
                    kind=field(form, "organization_kind", 20) or "sponsor",
                )  # fmt: skip
                org_id = org.id
            elif who == "person":
                person_id = await _new_contact(request, uow, me, form, case.primary_provider_id)
            else:
                try:
                    person_id = uuid.UUID(who)
                except ValueError:
                    errors["payer"] = "Choose who pays."
            if errors:
                raise InvalidInput("The payer was not added", field_errors=errors)
            covered = [u for u in map(parse_uuid, fields(form, "covered")) if u]
            covers_all = field(form, "covers", 10) != "some"
            await payers.add_payer(
                uow, me.actor, case,
                payers.PayerIn(
                    person_id=person_id, organization_id=org_id,
                    covers=None if covers_all else covered,
                    share=field(form, "share", 10) or "100",
                    collection_mode=field(form, "collection_mode", 20) or "invoice",
                    effective_from=start, effective_to=end,
                ),
                today_of(request, me),
            )  # fmt: skip
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "billing", "payer", exc)
    return redirect(request, f"/cases/{case_id}?tab=billing", "The payer was added.")


async def _new_contact(request: Request, uow: UnitOfWork, me: Authenticated, form: FormData,
                       steward: uuid.UUID) -> uuid.UUID:  # fmt: skip
    from models.orm.person import ContactType, Lifecycle
    from services.people.commands import create_person

    try:
        person = await create_person(
            uow, person_from(form, "contact."), steward_id=steward, today=today_of(request, me),
            contact_type=ContactType.contact, lifecycle=Lifecycle.contact,
        )  # fmt: skip
    except InvalidInput as exc:
        raise InvalidInput(
            exc.message, field_errors={f"contact.{k}": v for k, v in exc.field_errors.items()}
        ) from None
    return person.id


@router.post("/cases/{case_id}/payers/{payer_id}/end", name="cases.payer_end")
async def payer_end(request: Request, case_id: uuid.UUID, payer_id: uuid.UUID, uow: Uow,
                    me: CurrentStaff, audit: Audit) -> Response:  # fmt: skip
    audit.subject("case", [case_id])
    form = await read_form(request)
    case, _ = await load_case(uow, me.actor, case_id, Action.change_case_billing, for_update=True)
    errors: dict[str, str] = {}
    end = date_field(form, "effective_to", errors, required=True)
    try:
        async with savepoint(uow):
            if errors or end is None:
                raise InvalidInput("Choose the last day", field_errors=errors)
            await payers.end_payer(uow, case, payer_id, end)
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "billing", f"end-{payer_id}", exc)
    return redirect(request, f"/cases/{case_id}?tab=billing", "The payer's last day is set.")


@router.post("/cases/{case_id}/diagnoses", name="cases.diagnosis_add")
async def diagnosis_add(request: Request, case_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                        audit: Audit) -> Response:  # fmt: skip
    audit.subject("case", [case_id])
    form = await read_form(request)
    if field(form, "action", 10) == "find":
        case, _ = await load_case(uow, me.actor, case_id, Action.see_clinical)
        diagnoses.require_diagnoses(case)  # a case that does not use them: no such feature
        q = field(form, "code_q", 80)
        codes = await diagnoses.search_codes(uow, q)
        return await _page(request, uow, me, case_id, "clinical", codes=codes, code_q=q,
                           form="diagnosis")  # fmt: skip
    case, _ = await load_case(uow, me.actor, case_id, Action.change_clinical, for_update=True)
    errors: dict[str, str] = {}
    start = date_field(form, "active_from", errors, default=today_of(request, me))
    rank_raw = field(form, "rank", 4)
    try:
        async with savepoint(uow):
            person_id = uuid_field(form, "person_id")
            if person_id is None:
                errors["person_id"] = "Choose whose diagnosis this is."
            if rank_raw and not (rank_raw.isascii() and rank_raw.isdigit() and len(rank_raw) <= 2):
                errors["rank"] = "Rank 1 (primary) to 12."
            if errors or start is None or person_id is None:
                raise InvalidInput("The diagnosis was not added", field_errors=errors)
            await diagnoses.add_diagnosis(
                uow, case, person_id=person_id, code=field(form, "code", 12),
                rank=int(rank_raw) if rank_raw else None, active_from=start,
            )  # fmt: skip
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "clinical", "diagnosis", exc)
    return redirect(request, f"/cases/{case_id}?tab=clinical", "The diagnosis was added.")


@router.post("/cases/{case_id}/diagnoses/{diagnosis_id}/end", name="cases.diagnosis_end")
async def diagnosis_end(request: Request, case_id: uuid.UUID, diagnosis_id: uuid.UUID,
                        uow: Uow, me: CurrentStaff, audit: Audit) -> Response:  # fmt: skip
    audit.subject("case", [case_id])
    form = await read_form(request)
    case, _ = await load_case(uow, me.actor, case_id, Action.change_clinical, for_update=True)
    errors: dict[str, str] = {}
    end = date_field(form, "active_to", errors, default=today_of(request, me))
    try:
        async with savepoint(uow):
            if errors or end is None:
                raise InvalidInput("Choose the last day", field_errors=errors)
            await diagnoses.end_diagnosis(uow, case, diagnosis_id, end)
    except DomainError as exc:
        return await fail_page(request, uow, me, case_id, "clinical", f"dx-{diagnosis_id}", exc)
    return redirect(request, f"/cases/{case_id}?tab=clinical", "The diagnosis is resolved.")
