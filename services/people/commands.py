"""Adding and changing people. Callers check access first (`services.cases.records`)."""

from __future__ import annotations

import uuid
from datetime import date

from core.db import UnitOfWork
from core.errors import InvalidInput
from models.orm.person import ContactType, Lifecycle, Organization, OrganizationKind, Person
from models.schemas.person import PersonIn
from services.email_address import EMAIL
from services.people.fields import clean_person, e164, one_line, printable


async def create_person(
    uow: UnitOfWork,
    data: PersonIn,
    *,
    steward_id: uuid.UUID | None,
    today: date,
    contact_type: ContactType = ContactType.therapy_client,
    lifecycle: Lifecycle = Lifecycle.prospect,
) -> Person:
    assert uow.practice_id is not None
    values = clean_person(data, today=today)
    values.setdefault("contact_type", contact_type)
    values.setdefault("lifecycle", lifecycle)
    person = Person(id=uuid.uuid4(), practice_id=uow.practice_id, steward_id=steward_id, **values)
    uow.session.add(person)
    await uow.session.flush()
    return person


async def update_person(uow: UnitOfWork, person: Person, data: PersonIn, *, today: date) -> None:
    values = clean_person(data, today=today)
    for name, value in values.items():
        setattr(person, name, value)
    await uow.session.flush()


async def set_lifecycle(uow: UnitOfWork, person: Person, lifecycle: str) -> None:
    if lifecycle not in Lifecycle.__members__:
        raise InvalidInput(
            "Unknown status", field_errors={"lifecycle": "Choose one of the statuses."}
        )
    person.lifecycle = lifecycle
    await uow.session.flush()


async def create_organization(
    uow: UnitOfWork,
    *,
    name: str,
    kind: str = OrganizationKind.sponsor,
    email: str | None = None,
    phone: str | None = None,
    billing_address: str | None = None,
) -> Organization:
    assert uow.practice_id is not None
    errors: dict[str, str] = {}
    clean_name: str | None = None
    try:
        clean_name = one_line(name, 200)
    except ValueError as exc:
        errors["organization_name"] = str(exc)
    if not clean_name and "organization_name" not in errors:
        errors["organization_name"] = "Enter the organization's name."
    if kind not in OrganizationKind.__members__:
        errors["organization_kind"] = "Choose sponsor, employer or other."
    clean_phone = None
    try:
        clean_phone = e164(phone)
    except ValueError as exc:
        errors["organization_phone"] = str(exc)
    if email and not EMAIL.match(printable(email).strip()):
        errors["organization_email"] = "Enter a valid email address, like billing@example.org."
    if errors:
        raise InvalidInput("The organization was not added", field_errors=errors)
    assert clean_name is not None
    org = Organization(
        id=uuid.uuid4(),
        practice_id=uow.practice_id,
        name=clean_name,
        kind=kind,
        email=printable(email).strip()[:254] or None,
        phone=clean_phone,
        billing_address=printable(billing_address).strip()[:500] or None,
    )
    uow.session.add(org)
    await uow.session.flush()
    return org
