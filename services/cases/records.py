"""Loading a case or a person as a viewer may see it, and the SQL form of the same rule.

A case is visible through `case_access` (primary provider, case supervisor; appointments
later) joined with `services.access.case_scope`: one indexed lookup per record and one
semi-join per list. A person is visible when they take part in or pay for a case the viewer
sees, or when they belong to no case and their steward (the provider they were added for)
is in the viewer's scope. Anything else answers 404, like a record of another practice.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Select, exists, or_, select

from core.db import UnitOfWork
from core.errors import NotFound, PermissionDenied
from models.orm.case import Case, CaseAccess, CasePayer, Participant
from models.orm.person import Person
from services.access import (
    OWN_CASE_REASONS,
    Action,
    Actor,
    CaseReach,
    can,
    case_grants,
    case_scope,
)


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
        Person.steward_id.in_(sorted(scope)),
    )


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
    """Changing a person's details needs change rights on one of their cases (or being the
    steward's reach when they are in none)."""
    if actor.is_owner:
        return True
    case_ids = list(
        await uow.session.scalars(
            select(Participant.case_id).where(
                Participant.practice_id == actor.practice_id, Participant.person_id == person.id
            )
        )
    )
    case_ids += list(
        await uow.session.scalars(
            select(CasePayer.case_id).where(
                CasePayer.practice_id == actor.practice_id,
                CasePayer.payer_person_id == person.id,
            )
        )
    )
    for case_id in set(case_ids):
        if can(actor, Action.change_case, await reach_of(uow, actor, case_id)):
            return True
    scope = case_scope(actor) or frozenset()
    return person.steward_id is not None and person.steward_id in scope
