"""Clients → the client list, the search box and "New client or case" (CLI-1…4, CASE-8).

The list shows one row per case, its people together with their status dots. Search is a
POST (names never travel in URLs). The new-case form is one page that posts back to itself:
add or remove people, find an existing person (also a POST), review, create. Review runs the
whole creation in a savepoint and rolls it back, so every rule (the kind's shape included)
is checked before anything is written; an error is shown beside its field.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.auth import Authenticated, CurrentStaff, today_of
from api.case_params import parse_case_filter
from api.deps import Audit, Uow
from api.pages import redirect, render
from api.routing import AppRoute
from api.staff.forms import field, parse_uuid, read_form
from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from models.orm.case import CaseKind
from models.orm.staff import StaffStatus
from models.schemas.person import PersonIn
from services.access import Action, can
from services.cases import commands
from services.cases.kinds import COUPLE_LABELS, KINDS, ROLE_LABELS, needs_identified_client
from services.cases.queries import list_cases
from services.cases.records import load_person
from services.cases.search import search
from services.staff import list_staff

router = APIRouter(route_class=AppRoute, include_in_schema=False)

STATUS_TABS = [
    ("current", "Active and prospects"),
    ("archived", "Archived"),
    ("everyone", "Everyone"),
]
SORT_OPTIONS = [("name", "Name A–Z"), ("-name", "Name Z–A"), ("opened", "Newest first")]
NEW_FIELDS = ("first_name", "last_name", "preferred_name", "date_of_birth", "email", "phone_mobile")
KIND_HELP = {
    CaseKind.individual: "One client's own therapy.",
    CaseKind.couple: "Exactly two people: partners, co-parents, siblings, business partners …",
    CaseKind.family: "Two or more family members seen together.",
    CaseKind.therapy_group: "Psychotherapy in a group; members may join late or leave early.",
    CaseKind.consultation: "A clinician or professional receiving consultation (no diagnoses).",
    CaseKind.consultation_group: "Clinicians receiving group consultation or supervision.",
    CaseKind.workshop_group: "A workshop or skills group not billed as psychotherapy.",
}


def _kinds() -> list[dict[str, Any]]:
    return [
        {"value": k.value, "label": i.label, "help": KIND_HELP[k], "therapy": i.therapy}
        for k, i in KINDS.items()
    ]


@router.get("/clients", name="clients.list")
async def client_list(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    filt, errors = parse_case_filter(request.query_params)
    page = await list_cases(uow, me.actor, filt) if not errors.get("cursor") else None
    rows = page.rows if page else []
    audit.subject("case", [r.case.id for r in rows])
    params = {k: v for k, v in request.query_params.items() if k != "cursor"}
    return render(
        request,
        "staff/clients/list.html",
        {
            "active": "clients",
            "rows": rows,
            "kinds": KINDS,
            "filt": filt,
            "errors": errors,
            "params": params,
            "next_cursor": page.next_cursor if page else None,
            "status_tabs": STATUS_TABS,
            "sort_options": SORT_OPTIONS,
            "kind_options": [(k.value, i.label) for k, i in KINDS.items()],
            "first_page": filt.after is None,
            "needs_acting_for": me.actor.is_admin and me.actor.acting_for_id is None,
        },
    )


@router.post("/search", name="clients.search")
async def search_page(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    form = await read_form(request)
    found = await search(uow, me.actor, field(form, "q", 200))
    audit.subject(
        "search_result",
        [r.case.id for g in found.groups for r in g.cases] + [p.id for p in found.people],
    )
    return render(
        request,
        "staff/clients/search.html",
        {"active": "clients", "found": found, "kinds": KINDS},
    )


# --- New client or case ------------------------------------------------------------------


async def _providers(uow: UnitOfWork, me: Authenticated) -> list[tuple[uuid.UUID, str]]:
    members = [
        m for m in await list_staff(uow) if m.status == StaffStatus.active and m.is_clinician
    ]
    return [(m.id, m.display_name) for m in members if can(me.actor, Action.create_case, m.id)]


def _number(raw: str) -> bool:
    return raw.isascii() and raw.isdigit() and len(raw) <= 3


def _draft(form: FormData, kind: CaseKind) -> dict[str, Any]:
    """What the form holds now: the case fields and one dict per person block."""
    count_raw = field(form, "count", 4)
    info = KINDS[kind]
    count = int(count_raw) if _number(count_raw) else max(info.min_people, 1)
    count = max(1, min(count, 60))
    people = []
    for i in range(count):
        prefix = f"participants.{i}."
        people.append(
            {
                "index": i,
                "mode": field(form, prefix + "mode", 10) or "new",
                "person_id": field(form, prefix + "person_id", 40),
                "search": field(form, prefix + "search", 100),
                "role": field(form, prefix + "role", 20) or info.default_role.value,
                "matches": [],
                **{name: field(form, prefix + name, 200) for name in NEW_FIELDS},
            }
        )
    return {
        "kind": kind.value,
        "name": field(form, "name", 300),
        "relationship_label": field(form, "relationship_label", 40),
        "primary_provider_id": field(form, "primary_provider_id", 40),
        "identified_index": field(form, "identified_index", 4) or "0",
        "people": people,
    }


def _person_or_none(details: dict[str, Any]) -> PersonIn:
    """The block's details; values the schema refuses outright (absurd lengths) are dropped
    here and reported by the service's own checks as missing or invalid."""
    try:
        return PersonIn.model_validate(details)
    except ValidationError as exc:
        bad = {str(e["loc"][-1]) for e in exc.errors() if e["loc"]}
        return PersonIn.model_validate(
            {k: ("" if k in ("first_name", "last_name") else None) if k in bad else v
             for k, v in details.items()}
        )  # fmt: skip


def _case_open(draft: dict[str, Any], me: Authenticated) -> commands.CaseOpen:
    joiners = []
    for p in draft["people"]:
        if p["mode"] == "existing":
            try:
                joiners.append(commands.Joiner(person_id=uuid.UUID(p["person_id"]), role=p["role"]))
            except ValueError:
                joiners.append(commands.Joiner(role=p["role"]))
        else:
            details = {n: p[n] or None for n in NEW_FIELDS}
            details["first_name"], details["last_name"] = p["first_name"], p["last_name"]
            joiners.append(commands.Joiner(person=_person_or_none(details), role=p["role"]))
    provider = parse_uuid(draft["primary_provider_id"]) or me.actor.acting_for_id or me.member.id
    identified = draft["identified_index"]
    return commands.CaseOpen(
        kind=draft["kind"],
        primary_provider_id=provider,
        participants=joiners,
        name=draft["name"] or None,
        relationship_label=draft["relationship_label"] or None,
        identified_index=int(identified) if _number(identified) else None,
    )


async def _render_form(
    request: Request, uow: UnitOfWork, me: Authenticated, draft: dict[str, Any], *,
    errors: dict[str, str] | None = None, message: str | None = None, review: bool = False,
    status: int = 200,
) -> Response:  # fmt: skip
    kind = CaseKind(draft["kind"])
    info = KINDS[kind]
    for block in draft["people"]:
        block["person_label"] = ""
        if block["mode"] == "existing" and block["person_id"]:
            try:
                person = await load_person(uow, me.actor, uuid.UUID(block["person_id"]))
                block["person_label"] = person.display_name
            except (ValueError, NotFound):
                block["person_id"] = ""
    providers = await _providers(uow, me)
    if not draft["primary_provider_id"] and providers:
        preferred = me.actor.acting_for_id or me.member.id
        ids = [p[0] for p in providers]
        draft["primary_provider_id"] = str(preferred if preferred in ids else ids[0])
    return render(
        request,
        "staff/clients/new.html",
        {
            "active": "clients",
            "step": "review" if review else "details",
            "kind": kind,
            "info": info,
            "draft": draft,
            "errors": errors or {},
            "message": message,
            "providers": providers,
            "provider_name": {str(k): v for k, v in providers}.get(
                draft["primary_provider_id"], ""
            ),
            "couple_labels": [(k.value, v) for k, v in COUPLE_LABELS.items()],
            "role_options": [(k.value, v) for k, v in ROLE_LABELS.items()],
            "needs_identified": needs_identified_client(kind, info.therapy),
            "can_add": info.max_people is None or len(draft["people"]) < info.max_people,
        },
        status=status,
    )


@router.get("/clients/new", name="clients.new")
async def new_case(request: Request, uow: Uow, me: CurrentStaff) -> Response:
    kind = request.query_params.get("kind", "")
    if kind not in CaseKind.__members__:
        return render(
            request,
            "staff/clients/new.html",
            {"active": "clients", "step": "kind", "kinds": _kinds(),
             "errors": {"kind": "Choose one of the kinds."} if kind else {}},
            status=422 if kind else 200,
        )  # fmt: skip
    info = KINDS[CaseKind(kind)]
    draft = _draft(FormData({"count": str(max(info.min_people, 1))}), CaseKind(kind))
    return await _render_form(request, uow, me, draft)


@router.post("/clients/new", name="clients.create")
async def create_case(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    form = await read_form(request)
    kind = field(form, "kind", 40)
    if kind not in CaseKind.__members__:
        return redirect(request, "/clients/new", "Choose the kind of case first.", "error")
    draft = _draft(form, CaseKind(kind))
    action = field(form, "action", 40)
    if action == "add":
        draft["people"].append(
            {"index": len(draft["people"]), "mode": "new", "person_id": "",
             "search": "", "role": KINDS[CaseKind(kind)].default_role.value, "matches": [],
             **dict.fromkeys(NEW_FIELDS, "")}
        )  # fmt: skip
        return await _render_form(request, uow, me, draft)
    if action == "edit":
        return await _render_form(request, uow, me, draft)
    if action.startswith("remove-"):
        index = action.removeprefix("remove-")
        draft["people"] = [p for p in draft["people"] if str(p["index"]) != index]
        for i, p in enumerate(draft["people"]):
            p["index"] = i
        return await _render_form(request, uow, me, draft)
    if action.startswith(("find-", "new-")):
        verb, _, index = action.partition("-")
        block = next((p for p in draft["people"] if str(p["index"]) == index), None)
        if block is not None and verb == "find":
            found = await search(uow, me.actor, block["search"])
            block["matches"] = [(p.id, p.name, p.email) for p in found.people[:8]]
            block["mode"] = "existing"
            audit.subject("person", [p.id for p in found.people[:8]])
        elif block is not None and verb == "new":
            block.update(mode="new", person_id="")
        return await _render_form(request, uow, me, draft)
    # review or create: run the whole creation; review rolls it back
    nested = await uow.session.begin_nested()
    try:
        case = await commands.open_case(uow, me.actor, _case_open(draft, me), today_of(request, me))
    except InvalidInput as exc:
        await nested.rollback()
        return await _render_form(
            request, uow, me, draft, errors=exc.field_errors, message=exc.message, status=422
        )
    if action != "create":
        await nested.rollback()
        return await _render_form(request, uow, me, draft, review=True)
    await nested.commit()
    audit.subject("case", [case.id])
    noun = KINDS[CaseKind(kind)].noun
    return redirect(request, f"/cases/{case.id}", f"The {noun} {case.name} was created.")
