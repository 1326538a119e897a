"""JSON API for people: `/api/v1/people/{id}` (read, change), relationships, emergency
contacts, helpers; `/api/v1/organizations` (payers that are not people).

A person the caller may not see is a 404. Changing a person needs change rights on one of
their cases (a supervisor reads, does not change). Every read and write is audited.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import Authenticated, CurrentStaff, today_of
from api.deps import Audit, Uow
from api.routing import AppRoute
from core.db import UnitOfWork
from core.errors import InvalidInput, PermissionDenied
from models.orm.person import ContactType, Lifecycle, Person
from models.schemas.case import OrganizationCreate, OrganizationRead
from models.schemas.person import (
    HelperRead,
    HelperSet,
    PersonIn,
    PersonRecordRead,
    RelationshipCreate,
    RelationshipRead,
)
from services.access import Action, require
from services.cases.queries import cases_of_person
from services.cases.records import (
    load_person,
    may_change_person,
    relationship_to_remove,
    steward_for,
)
from services.people import commands, relationships
from services.people.views import person_read

router = APIRouter(route_class=AppRoute, prefix="/api/v1", tags=["people"])


async def _changeable(uow: UnitOfWork, me: Authenticated, person_id: uuid.UUID) -> Person:
    person = await load_person(uow, me.actor, person_id)
    if not await may_change_person(uow, me.actor, person):
        raise PermissionDenied("Your access to this person's cases does not include changes.")
    return person


async def _record(uow: UnitOfWork, me: Authenticated, person: Person) -> PersonRecordRead:
    cases = await cases_of_person(uow, me.actor, person.id)
    return PersonRecordRead(
        person=person_read(person),
        case_ids=[r.case.id for r in cases],
        relationships=[
            RelationshipRead(
                id=r.id,
                person_id=r.other_id,
                name=r.other_name,
                kind=r.kind,
                label=r.label,
                emergency_contact=r.emergency_contact,
            )
            for r in await relationships.relationships_of(uow, person.id)
        ],
        helpers=[
            HelperRead(
                id=h.id,
                helper_person_id=h.helper_id,
                name=h.name,
                scopes=[s.value for s in h.scopes],
                verification=h.verification,
            )
            for h in await relationships.helpers_of(uow, person.id)
        ],
        may_change=await may_change_person(uow, me.actor, person),
    )


@router.get("/people/{person_id}", name="api.people_get", response_model=PersonRecordRead)
async def people_get(
    person_id: uuid.UUID, uow: Uow, me: CurrentStaff, audit: Audit
) -> PersonRecordRead:
    audit.subject("person", [person_id])
    return await _record(uow, me, await load_person(uow, me.actor, person_id))


@router.patch("/people/{person_id}", name="api.people_update", response_model=PersonRecordRead)
async def people_update(
    request: Request, person_id: uuid.UUID, body: PersonIn, uow: Uow, me: CurrentStaff,
    audit: Audit,
) -> PersonRecordRead:  # fmt: skip
    audit.subject("person", [person_id])
    person = await _changeable(uow, me, person_id)
    await commands.update_person(uow, person, body, today=today_of(request, me))
    return await _record(uow, me, person)


@router.post(
    "/people/{person_id}/relationships", name="api.relationships_add", status_code=201,
    response_model=PersonRecordRead,
)  # fmt: skip
async def relationships_add(
    request: Request, person_id: uuid.UUID, body: RelationshipCreate, uow: Uow,
    me: CurrentStaff, audit: Audit,
) -> PersonRecordRead:  # fmt: skip
    audit.subject("person", [person_id])
    person = await _changeable(uow, me, person_id)
    if (body.related_person_id is None) == (body.new_person is None):
        raise InvalidInput(
            "Choose who", field_errors={"related_person_id": "Choose a person or add a new one."}
        )
    if body.related_person_id is not None:
        related = await load_person(uow, me.actor, body.related_person_id)
    else:
        assert body.new_person is not None
        related = await commands.create_person(
            uow, body.new_person, steward_id=steward_for(me.actor),
            today=today_of(request, me), contact_type=ContactType.contact,
            lifecycle=Lifecycle.contact,
        )  # fmt: skip
    await relationships.add_relationship(
        uow, person, related, body.kind, label=body.label,
        emergency_contact=body.emergency_contact,
    )  # fmt: skip
    return await _record(uow, me, person)


@router.delete("/people/{person_id}/relationships/{rel_id}", name="api.relationships_remove")
async def relationships_remove(
    person_id: uuid.UUID, rel_id: uuid.UUID, uow: Uow, me: CurrentStaff, audit: Audit
) -> Response:
    audit.subject("person", [person_id])
    person = await _changeable(uow, me, person_id)
    row = await relationship_to_remove(uow, me.actor, person, rel_id)
    await relationships.remove_relationship(uow, row)
    return Response(status_code=204)


@router.post("/people/{person_id}/helpers", name="api.helpers_set", response_model=PersonRecordRead)
async def helpers_set(
    person_id: uuid.UUID, body: HelperSet, uow: Uow, me: CurrentStaff, audit: Audit
) -> PersonRecordRead:
    audit.subject("person", [person_id])
    person = await _changeable(uow, me, person_id)
    helper = await load_person(uow, me.actor, body.helper_person_id)
    await relationships.set_helper(uow, person, helper, body.scopes)
    return await _record(uow, me, person)


@router.post(
    "/people/{person_id}/helpers/{helper_id}/verify", name="api.helpers_verify",
    response_model=PersonRecordRead,
)  # fmt: skip
async def helpers_verify(
    person_id: uuid.UUID, helper_id: uuid.UUID, uow: Uow, me: CurrentStaff, audit: Audit
) -> PersonRecordRead:
    audit.subject("person", [person_id])
    person = await _changeable(uow, me, person_id)
    await relationships.verify_helper(uow, person_id, helper_id)
    return await _record(uow, me, person)


@router.delete("/people/{person_id}/helpers/{helper_id}", name="api.helpers_remove")
async def helpers_remove(
    person_id: uuid.UUID, helper_id: uuid.UUID, uow: Uow, me: CurrentStaff, audit: Audit
) -> Response:
    audit.subject("person", [person_id])
    await _changeable(uow, me, person_id)
    await relationships.remove_helper(uow, person_id, helper_id)
    return Response(status_code=204)


@router.post(
    "/organizations", name="api.organizations_create", status_code=201,
    response_model=OrganizationRead,
)  # fmt: skip
async def organizations_create(
    body: OrganizationCreate, uow: Uow, me: CurrentStaff, audit: Audit
) -> OrganizationRead:
    require(me.actor, Action.use_app)
    org = await commands.create_organization(
        uow, name=body.name, kind=body.kind, email=body.email, phone=body.phone,
        billing_address=body.billing_address,
    )  # fmt: skip
    audit.subject("organization", [org.id])
    return OrganizationRead(id=org.id, name=org.name, kind=org.kind)
