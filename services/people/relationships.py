"""Relationships between people, emergency contacts, and approved helpers (CLI-9, REL-*).

- A relationship row says "`related_person` is the person's <kind>"; the other side reads
  it inverted (parent ↔ child, guardian ↔ ward; the rest are symmetric). One row per pair
  and kind; adding the inverse of an existing row adds nothing new.
- Emergency contacts are people too (usually of contact type Contact), linked by a
  relationship row marked `emergency_contact`.
- Helpers carry scopes from one list (`Scope`) that portal grants reuse: representative,
  billing contact, scheduling helper; "self" is the person's own scope and never stored.
  A representative starts unverified and only a verified one may sign for a minor or a
  dependent adult (REL-5); unverified ones are attention items on the record. Being a
  payer implies the billing-contact scope (decisions.md "Identities"): `scopes_of` adds it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import or_, select

from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from models.orm.case import CasePayer, Participant
from models.orm.person import (
    Person,
    PersonHelper,
    PersonRelationship,
    RelationshipKind,
    Verification,
)
from services.people.fields import printable


class Scope(StrEnum):
    """One scope list for helpers here and portal grants later (decisions.md)."""

    self = "self"
    representative = "representative"  # signs and acts for a minor or dependent adult
    billing_contact = "billing_contact"
    scheduling_helper = "scheduling_helper"


SCOPE_LABELS = {
    Scope.self: "Self",
    Scope.representative: "Representative",
    Scope.billing_contact: "Billing contact",
    Scope.scheduling_helper: "Scheduling helper",
}
HELPER_SCOPES = (Scope.representative, Scope.billing_contact, Scope.scheduling_helper)

INVERSE = {
    RelationshipKind.parent: RelationshipKind.child,
    RelationshipKind.child: RelationshipKind.parent,
    RelationshipKind.guardian: RelationshipKind.ward,
    RelationshipKind.ward: RelationshipKind.guardian,
}
KIND_LABELS = {
    RelationshipKind.spouse: "Spouse",
    RelationshipKind.partner: "Partner",
    RelationshipKind.parent: "Parent",
    RelationshipKind.child: "Child",
    RelationshipKind.sibling: "Sibling",
    RelationshipKind.co_parent: "Co-parent",
    RelationshipKind.guardian: "Guardian",
    RelationshipKind.ward: "Under guardianship",
    RelationshipKind.other: "Other",
}


def inverse(kind: RelationshipKind) -> RelationshipKind:
    return INVERSE.get(kind, kind)


@dataclass(frozen=True)
class RelationshipView:
    id: uuid.UUID
    other_id: uuid.UUID
    other_name: str
    kind: RelationshipKind  # what the other person is to this one
    label: str
    emergency_contact: bool
    phone: str | None


async def relationships_of(uow: UnitOfWork, person_id: uuid.UUID) -> list[RelationshipView]:
    rows = list(
        await uow.session.scalars(
            select(PersonRelationship).where(
                PersonRelationship.practice_id == uow.practice_id,
                or_(
                    PersonRelationship.person_id == person_id,
                    PersonRelationship.related_person_id == person_id,
                ),
            )
        )
    )
    others = {r.related_person_id if r.person_id == person_id else r.person_id for r in rows}
    people = {
        p.id: p
        for p in await uow.session.scalars(
            select(Person).where(Person.practice_id == uow.practice_id, Person.id.in_(others))
        )
    }
    views = []
    for r in rows:
        mine = r.person_id == person_id
        other = people[r.related_person_id if mine else r.person_id]
        kind = RelationshipKind(r.kind) if mine else inverse(RelationshipKind(r.kind))
        label = r.label if kind is RelationshipKind.other and r.label else KIND_LABELS[kind]
        views.append(
            RelationshipView(
                r.id, other.id, other.display_name, kind, label, r.emergency_contact and mine,
                other.phone_mobile or other.phone_home or other.phone_work,
            )
        )  # fmt: skip
    merged: dict[tuple[uuid.UUID, RelationshipKind], RelationshipView] = {}
    for v in views:  # a pair stored both ways (an emergency flag each side) shows once
        seen = merged.get((v.other_id, v.kind))
        if seen is None or (v.emergency_contact and not seen.emergency_contact):
            merged[(v.other_id, v.kind)] = v
    return sorted(merged.values(), key=lambda v: (not v.emergency_contact, v.other_name.lower()))


async def add_relationship(
    uow: UnitOfWork,
    person: Person,
    related: Person,
    kind: str,
    *,
    label: str | None = None,
    emergency_contact: bool = False,
) -> PersonRelationship:
    assert uow.practice_id is not None
    if kind not in RelationshipKind.__members__:
        raise InvalidInput("Choose the relationship", field_errors={"kind": "Choose a type."})
    if person.id == related.id:
        raise InvalidInput(
            "Not with themselves", field_errors={"related_person_id": "Choose someone else."}
        )
    clean_label = " ".join(printable(label).split())[:60] or None
    rel_kind = RelationshipKind(kind)
    existing = await uow.session.scalar(
        select(PersonRelationship).where(
            PersonRelationship.practice_id == uow.practice_id,
            or_(
                (PersonRelationship.person_id == person.id)
                & (PersonRelationship.related_person_id == related.id)
                & (PersonRelationship.kind == rel_kind),
                (PersonRelationship.person_id == related.id)
                & (PersonRelationship.related_person_id == person.id)
                & (PersonRelationship.kind == inverse(rel_kind)),
            ),
        )
    )
    if existing is not None:
        if existing.person_id == person.id:
            if emergency_contact and not existing.emergency_contact:
                existing.emergency_contact = True
            if clean_label and rel_kind is RelationshipKind.other:
                existing.label = clean_label
            await uow.session.flush()
            return existing
        if not emergency_contact:
            return existing  # the same link, stored from the other side
        # The emergency flag is one person's: store the link from this side as well.
    row = PersonRelationship(
        id=uuid.uuid4(),
        practice_id=uow.practice_id,
        person_id=person.id,
        related_person_id=related.id,
        kind=rel_kind,
        label=clean_label,
        emergency_contact=emergency_contact,
    )
    uow.session.add(row)
    await uow.session.flush()
    return row


async def get_relationship(
    uow: UnitOfWork, person_id: uuid.UUID, rel_id: uuid.UUID
) -> PersonRelationship:
    row = await uow.session.scalar(
        select(PersonRelationship).where(
            PersonRelationship.practice_id == uow.practice_id,
            PersonRelationship.id == rel_id,
            or_(
                PersonRelationship.person_id == person_id,
                PersonRelationship.related_person_id == person_id,
            ),
        )
    )
    if row is None:
        raise NotFound("No such relationship")
    return row


async def remove_relationship(uow: UnitOfWork, row: PersonRelationship) -> None:
    """Callers check they may change both people the row links (it is part of both
    records), or the side that holds it."""
    await uow.session.delete(row)
    await uow.session.flush()


def clean_scopes(values: list[str]) -> list[str]:
    allowed = {s.value for s in HELPER_SCOPES}
    scopes = sorted({v for v in values if v})
    if not scopes or any(s not in allowed for s in scopes):
        raise InvalidInput(
            "Choose what the helper may do",
            field_errors={"scopes": "Choose representative, billing contact or scheduling helper."},
        )
    return scopes


async def set_helper(
    uow: UnitOfWork, person: Person, helper: Person, scopes: list[str]
) -> PersonHelper:
    """Adds or changes a helper's scopes (least access: only what is ticked, REL-3)."""
    assert uow.practice_id is not None
    clean = clean_scopes(scopes)
    if person.id == helper.id:
        raise InvalidInput(
            "Not their own helper", field_errors={"helper_person_id": "Choose someone else."}
        )
    row = await uow.session.scalar(
        select(PersonHelper)
        .where(
            PersonHelper.practice_id == uow.practice_id,
            PersonHelper.person_id == person.id,
            PersonHelper.helper_person_id == helper.id,
        )
        .with_for_update()
    )
    represents = Scope.representative in clean
    if row is None:
        row = PersonHelper(
            id=uuid.uuid4(),
            practice_id=uow.practice_id,
            person_id=person.id,
            helper_person_id=helper.id,
            scopes=clean,
            verification=Verification.unverified if represents else Verification.not_needed,
        )
        uow.session.add(row)
    else:
        row.scopes = clean
        if not represents:
            row.verification = Verification.not_needed
        elif row.verification == Verification.not_needed:
            row.verification = Verification.unverified
    await uow.session.flush()
    return row


async def verify_helper(uow: UnitOfWork, person_id: uuid.UUID, helper_id: uuid.UUID) -> None:
    row = await _helper(uow, person_id, helper_id)
    if Scope.representative not in row.scopes:
        raise InvalidInput(
            "Only representatives are verified",
            field_errors={"helper": "This helper is not a representative."},
        )
    row.verification = Verification.verified
    await uow.session.flush()


async def remove_helper(uow: UnitOfWork, person_id: uuid.UUID, helper_id: uuid.UUID) -> None:
    row = await _helper(uow, person_id, helper_id)
    await uow.session.delete(row)
    await uow.session.flush()


async def _helper(uow: UnitOfWork, person_id: uuid.UUID, helper_id: uuid.UUID) -> PersonHelper:
    row = await uow.session.scalar(
        select(PersonHelper).where(
            PersonHelper.practice_id == uow.practice_id,
            PersonHelper.person_id == person_id,
            PersonHelper.id == helper_id,
        )
    )
    if row is None:
        raise NotFound("No such helper")
    return row


@dataclass(frozen=True)
class HelperView:
    id: uuid.UUID
    helper_id: uuid.UUID
    name: str
    scopes: list[Scope]
    verification: Verification


async def helpers_of(uow: UnitOfWork, person_id: uuid.UUID) -> list[HelperView]:
    rows = list(
        await uow.session.execute(
            select(PersonHelper, Person)
            .join(
                Person,
                (Person.practice_id == PersonHelper.practice_id)
                & (Person.id == PersonHelper.helper_person_id),
            )
            .where(PersonHelper.practice_id == uow.practice_id, PersonHelper.person_id == person_id)
            .order_by(Person.sort_name, Person.id)
        )
    )
    return [
        HelperView(
            h.id, p.id, p.display_name, [Scope(s) for s in h.scopes], Verification(h.verification)
        )
        for h, p in rows
    ]


async def scopes_of(
    uow: UnitOfWork, helper_person_id: uuid.UUID, person_id: uuid.UUID
) -> set[Scope]:
    """What `helper_person_id` may do for `person_id`: stored scopes, plus billing contact
    when they pay for a case `person_id` takes part in, plus self for the person."""
    if helper_person_id == person_id:
        return {Scope.self}
    scopes: set[Scope] = set()
    row = await uow.session.scalar(
        select(PersonHelper.scopes).where(
            PersonHelper.practice_id == uow.practice_id,
            PersonHelper.person_id == person_id,
            PersonHelper.helper_person_id == helper_person_id,
        )
    )
    scopes |= {Scope(s) for s in row or []}
    pays = await uow.session.scalar(
        select(CasePayer.id)
        .join(
            Participant,
            (Participant.practice_id == CasePayer.practice_id)
            & (Participant.case_id == CasePayer.case_id),
        )
        .where(
            CasePayer.practice_id == uow.practice_id,
            CasePayer.payer_person_id == helper_person_id,
            Participant.person_id == person_id,
        )
        .limit(1)
    )
    if pays is not None:
        scopes.add(Scope.billing_contact)
    return scopes
