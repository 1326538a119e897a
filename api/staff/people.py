"""A person's page: their details (edit), lifecycle, the cases they are in, relationships,
emergency contacts and helpers (CLI-9, CLI-10, REL-*).

"+ Relationship" searches existing people with a POST (names never in URLs). A person
outside the viewer's reach is a 404; changes need change rights on one of their cases.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import Authenticated, CurrentStaff, today_of
from api.deps import Audit, Uow
from api.pages import redirect, render
from api.routing import AppRoute
from api.staff.case_record import person_from, savepoint
from api.staff.forms import field, fields, person_input, read_form, uuid_field
from core.db import UnitOfWork
from core.errors import DomainError, InvalidInput, PermissionDenied
from models.orm.person import ContactType, Lifecycle, Person
from services.cases.kinds import KINDS
from services.cases.queries import cases_of_person
from services.cases.records import (
    load_person,
    may_change_person,
    relationship_to_remove,
    steward_for,
    visible_ids,
)
from services.cases.search import search
from services.people import commands, relationships
from services.people.lifecycle import CONTACT_TYPE_LABELS, LABELS, list_status
from services.people.views import person_in

router = APIRouter(route_class=AppRoute, include_in_schema=False)

DETAIL_FIELDS = (
    "first_name", "middle_name", "last_name", "preferred_name", "date_of_birth", "pronouns",
    "email", "phone_mobile", "phone_home", "phone_work", "preferred_contact", "address_line1",
    "address_line2", "city", "region", "postal_code", "country", "timezone", "insurance_payer",
    "insurance_member_id", "contact_type", "lifecycle",
)  # fmt: skip
CHECKS = ("ok_to_email", "ok_to_text", "ok_to_voicemail")


async def _context(
    uow: UnitOfWork, me: Authenticated, person: Person, **extra: Any
) -> dict[str, Any]:
    values = {k: ("" if v is None else str(v)) for k, v in person_in(person).items()}
    relations = await relationships.relationships_of(uow, person.id)
    helpers = await relationships.helpers_of(uow, person.id)
    return {
        "active": "clients",
        "person": person,
        "status": list_status(person.lifecycle),
        "values": values,
        "cases": await cases_of_person(uow, me.actor, person.id),
        "kinds": KINDS,
        "relations": relations,
        "helpers": helpers,
        "visible": await visible_ids(
            uow, me.actor, {r.other_id for r in relations} | {h.helper_id for h in helpers}
        ),
        "may_change": await may_change_person(uow, me.actor, person),
        "lifecycle_options": [(k.value, v) for k, v in LABELS.items()],
        "contact_type_options": [(k.value, v) for k, v in CONTACT_TYPE_LABELS.items()],
        "kind_options": [(k.value, v) for k, v in relationships.KIND_LABELS.items()],
        "scope_options": [
            (s.value, relationships.SCOPE_LABELS[s]) for s in relationships.HELPER_SCOPES
        ],
        "errors": {},
        "form": None,
        **extra,
    }


async def _changeable(uow: UnitOfWork, me: Authenticated, person_id: uuid.UUID) -> Person:
    person = await load_person(uow, me.actor, person_id)
    if not await may_change_person(uow, me.actor, person):
        raise PermissionDenied("Your access to this person's cases does not include changes.")
    return person


async def _page(request: Request, uow: UnitOfWork, me: Authenticated, person_id: uuid.UUID,
                *, status: int = 200, **extra: Any) -> Response:  # fmt: skip
    person = await load_person(uow, me.actor, person_id)
    context = await _context(uow, me, person, **extra)
    return render(request, "staff/people/record.html", context, status=status)


@router.get("/people/{person_id}", name="people.record")
async def record(request: Request, person_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                 audit: Audit) -> Response:  # fmt: skip
    audit.subject("person", [person_id])
    return await _page(request, uow, me, person_id)


@router.post("/people/{person_id}", name="people.update")
async def update(request: Request, person_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                 audit: Audit) -> Response:  # fmt: skip
    audit.subject("person", [person_id])
    form = await read_form(request)
    person = await _changeable(uow, me, person_id)
    data: dict[str, Any] = {n: field(form, n, 300) or None for n in DETAIL_FIELDS}
    data["first_name"] = data["first_name"] or ""
    data["last_name"] = data["last_name"] or ""
    data.update({n: field(form, n, 5) == "1" for n in CHECKS})
    try:
        async with savepoint(uow):
            await commands.update_person(
                uow, person, person_input(data), today=today_of(request, me)
            )
    except DomainError as exc:
        submitted = {k: ("" if v is None else str(v)) for k, v in data.items()}
        return await _page(
            request, uow, me, person_id, status=exc.status, errors=exc.field_errors,
            form="details", message=exc.message, submitted=submitted,
        )  # fmt: skip
    return redirect(request, f"/people/{person_id}", "The details were saved.")


@router.post("/people/{person_id}/relationships", name="people.relationship_add")
async def relationship_add(request: Request, person_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                           audit: Audit) -> Response:  # fmt: skip
    audit.subject("person", [person_id])
    form = await read_form(request)
    person = await _changeable(uow, me, person_id)
    action = field(form, "action", 20)
    if action == "find":
        found = await search(uow, me.actor, field(form, "q", 100))
        matches = [(p.id, p.name, p.email) for p in found.people if p.id != person_id][:8]
        return await _page(
            request, uow, me, person_id, form="relationship", matches=matches,
            q=field(form, "q", 100),
        )  # fmt: skip
    emergency = action == "emergency"
    try:
        async with savepoint(uow):
            if emergency:
                related = await commands.create_person(
                    uow, person_from(form, "contact."),
                    steward_id=steward_for(me.actor), today=today_of(request, me),
                    contact_type=ContactType.contact, lifecycle=Lifecycle.contact,
                )  # fmt: skip
            else:
                related_id = uuid_field(form, "related_person_id")
                if related_id is None:
                    raise InvalidInput(
                        "Choose who",
                        field_errors={"related_person_id": "Find and choose a person first."},
                    )
                related = await load_person(uow, me.actor, related_id)
            await relationships.add_relationship(
                uow, person, related, field(form, "kind", 20), label=field(form, "label", 60),
                emergency_contact=emergency or field(form, "emergency_contact", 5) == "1",
            )  # fmt: skip
    except DomainError as exc:
        key = "emergency" if emergency else "relationship"
        return await _page(
            request, uow, me, person_id, status=exc.status, errors=exc.field_errors, form=key,
            message=exc.message,
        )  # fmt: skip
    return redirect(request, f"/people/{person_id}#relationships", "The relationship was added.")


@router.post("/people/{person_id}/relationships/{rel_id}/remove", name="people.relationship_remove")
async def relationship_remove(request: Request, person_id: uuid.UUID, rel_id: uuid.UUID,
                              uow: Uow, me: CurrentStaff, audit: Audit) -> Response:  # fmt: skip
    audit.subject("person", [person_id])
    person = await _changeable(uow, me, person_id)
    row = await relationship_to_remove(uow, me.actor, person, rel_id)
    await relationships.remove_relationship(uow, row)
    return redirect(request, f"/people/{person_id}#relationships", "The relationship was removed.")


@router.post("/people/{person_id}/helpers", name="people.helper_set")
async def helper_set(request: Request, person_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                     audit: Audit) -> Response:  # fmt: skip
    audit.subject("person", [person_id])
    form = await read_form(request)
    person = await _changeable(uow, me, person_id)
    try:
        async with savepoint(uow):
            helper_id = uuid_field(form, "helper_person_id")
            if helper_id is None:
                raise InvalidInput(
                    "Choose the helper",
                    field_errors={"helper_person_id": "Choose one of their relationships."},
                )
            helper = await load_person(uow, me.actor, helper_id)
            await relationships.set_helper(uow, person, helper, fields(form, "scopes"))
    except DomainError as exc:
        return await _page(
            request, uow, me, person_id, status=exc.status, errors=exc.field_errors,
            form="helper", message=exc.message,
        )  # fmt: skip
    return redirect(request, f"/people/{person_id}#relationships", "The helper was saved.")


@router.post("/people/{person_id}/helpers/{helper_id}/{verb}", name="people.helper_change")
async def helper_change(
    request: Request, person_id: uuid.UUID, helper_id: uuid.UUID, verb: str, uow: Uow,
    me: CurrentStaff, audit: Audit,
) -> Response:  # fmt: skip
    audit.subject("person", [person_id])
    await _changeable(uow, me, person_id)
    if verb == "verify":
        await relationships.verify_helper(uow, person_id, helper_id)
        message = "The representative is verified: they may sign for this client."
    elif verb == "remove":
        await relationships.remove_helper(uow, person_id, helper_id)
        message = "The helper was removed."
    else:
        return redirect(request, f"/people/{person_id}", "Unknown action.", "error")
    return redirect(request, f"/people/{person_id}#relationships", message)
