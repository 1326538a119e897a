"""Loading a case or a person as a viewer may see it, and the SQL form of the same rule.

A case is visible through `case_access` (primary provider, case supervisor; appointments
later) joined with `services.access.case_scope`: one indexed lookup per record and one
semi-join per list. A person is visible when they take part in or pay for a case the viewer
sees, or when they belong to no case and their steward (the provider they were added for)
is in the viewer's scope. Anything else answers 404, like a record of another practice.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select

from core.db import UnitOfWork
from core.errors import NotFound, PermissionDenied
from models.orm.case import Case, CaseAccess, CasePayer, Participant
from models.orm.person import Person, PersonRelationship
from services.access import (
    OWN_CASE_REASONS,
    Action,
    Actor,
    CaseReach,
    can,
    case_grants,
    case_scope,
)
from services.people.relationships import get_relationship


def _seen_cases(actor: Actor, scope: frozenset[uuid.UUID]) -> Select[uuid.UUID]:
    query = select(CaseAccess.case_id).where(
        CaseAccess.practice_id == actor.practice_id, CaseAccess.staff_id.in_(sorted(scope))
    )
    if actor.is_admin:
        query = query.where(CaseAccess.reason.in_(sorted(OWN_CASE_REASONS)))
    return query


def visible_case_clause(actor: Actor) -> ColumnElement[bool] | None:
    scope = case_scope(actor)
    if scope is None:
        return None
    return Case.id.in_(_seen_cases(actor, scope))


def _in_no_case() -> ColumnElement[bool]:
    return and_(
        ~exists().where(
            Participant.practice_id == Person.practice_id, Participant.person_id == Person.id
        ),
        ~exists().where(
            CasePayer.practice_id == Person.practice_id, CasePayer.payer_person_id == Person.id
        ),
    )


def visible_person_clause(actor: Actor) -> ColumnElement[bool] | None:
    scope = case_scope(actor)
    if scope is None:
        return None
    seen_cases = _seen_cases(actor, scope)
    return or_(
        exists().where(
            Participant.practice_id == actor.practice_id,
            Participant.person_id == Person.id,
            Participant.case_id.in_(seen_cases),
        ),
        exists().where(
            CasePayer.practice_id == actor.practice_id,
            CasePayer.payer_person_id == Person.id,
            CasePayer.case_id.in_(seen_cases),
        ),
        # A contact in no case (an emergency contact, a payer-to-be) belongs to whoever
        # added them: their steward. Once in a case, only the case decides.
        and_(Person.steward_id.in_(sorted(scope)), _in_no_case()),
    )


def steward_for(actor: Actor) -> uuid.UUID:
    """Who a contact added by `actor` belongs to: the provider an admin works for, else
    the clinician themselves (owners included)."""
    return actor.acting_for_id if actor.is_admin and actor.acting_for_id else actor.staff_id


async def reach_of(uow: UnitOfWork, actor: Actor, case_id: uuid.UUID) -> CaseReach:
    rows = await uow.session.execute(
        select(CaseAccess.staff_id, CaseAccess.reason).where(
            CaseAccess.practice_id == actor.practice_id, CaseAccess.case_id == case_id
        )
    )
    return case_grants(actor, [(r.staff_id, r.reason) for r in rows])


async def load_case(
    uow: UnitOfWork,
    actor: Actor,
    case_id: uuid.UUID,
    action: Action = Action.see_case,
    *,
    for_update: bool = False,
) -> tuple[Case, CaseReach]:
    """The case and the viewer's grants on it. Not visible: 404. Visible, but `action` not
    allowed (a supervisor changing details, an admin opening diagnoses): 403."""
    query = select(Case).where(Case.practice_id == actor.practice_id, Case.id == case_id)
    if for_update:
        query = query.with_for_update()
    case = await uow.session.scalar(query)
    if case is None:
        raise NotFound("No such case")
    grants = await reach_of(uow, actor, case.id)
    if not can(actor, Action.see_case, grants):
        raise NotFound("No such case")
    if not can(actor, action, grants):
        raise PermissionDenied("Your access to this case does not include this.")
    return case, grants


async def load_person(uow: UnitOfWork, actor: Actor, person_id: uuid.UUID) -> Person:
    query = select(Person).where(Person.practice_id == actor.practice_id, Person.id == person_id)
    seen = visible_person_clause(actor)
    if seen is not None:
        query = query.where(seen)
    person = await uow.session.scalar(query)
    if person is None:
        raise NotFound("No such person")
    return person


async def may_change_person(uow: UnitOfWork, actor: Actor, person: Person) -> bool:
    """Changing a person's details needs change rights on one of the cases they take part
    in or pay for; a contact in no case is changed by their steward (or an admin working
    for them) — a supervisor reads, never changes."""
    if actor.is_owner:
        return True
    case_ids = set(
        await uow.session.scalars(
            select(Participant.case_id).where(
                Participant.practice_id == actor.practice_id, Participant.person_id == person.id
            )
        )
    )
    case_ids |= set(
        await uow.session.scalars(
            select(CasePayer.case_id).where(
                CasePayer.practice_id == actor.practice_id,
                CasePayer.payer_person_id == person.id,
            )
        )
    )
    if case_ids:
        rows = await uow.session.execute(
            select(CaseAccess.case_id, CaseAccess.staff_id, CaseAccess.reason).where(
                CaseAccess.practice_id == actor.practice_id, CaseAccess.case_id.in_(case_ids)
            )
        )
        by_case: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
        for row in rows:
            by_case.setdefault(row.case_id, []).append((row.staff_id, row.reason))
        return any(
            can(actor, Action.change_case, case_grants(actor, grants))
            for grants in by_case.values()
        )
    return person.steward_id is not None and person.steward_id == steward_for(actor)


async def relationship_to_remove(
    uow: UnitOfWork, actor: Actor, person: Person, rel_id: uuid.UUID
) -> PersonRelationship:
    """A relationship of `person` the viewer may remove: one stored on `person`'s side, or
    one stored on the other person's side when the viewer may change them too."""
    row = await get_relationship(uow, person.id, rel_id)
    if row.person_id != person.id:
        other = await uow.session.get(Person, row.person_id)
        if other is None or not await may_change_person(uow, actor, other):
            raise PermissionDenied("This link belongs to the other person's record too.")
    return row


async def visible_ids(uow: UnitOfWork, actor: Actor, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `ids` the viewer may open (relationship and helper rows show a name and a
    phone as part of the client's record; a link only where the person is visible)."""
    if not ids:
        return set()
    query = select(Person.id).where(Person.practice_id == actor.practice_id, Person.id.in_(ids))
    seen = visible_person_clause(actor)
    if seen is not None:
        query = query.where(seen)
    return set(await uow.session.scalars(query))
