"""A case as each audience may see it: clinical and billing parts are left out of the
data for viewers without those grants (not hidden by a template)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from core.db import UnitOfWork
from models.orm.case import Case, CaseKind, Participant
from models.orm.person import Person
from models.orm.staff import StaffMember
from models.schemas.case import (
    Capabilities,
    CaseListItem,
    CaseRead,
    DiagnosisRead,
    ParticipantBrief,
    ParticipantRead,
    PayerRead,
    StaffRef,
)
from services.access import Action, Actor, CaseReach, can
from services.cases import diagnoses as dx
from services.cases.commands import participants_of
from services.cases.kinds import KINDS
from services.cases.payers import payers_of
from services.cases.queries import CaseRow
from services.people.lifecycle import list_status


def is_minor(person: Person, today: date, age_of_consent: int) -> bool:
    born = person.date_of_birth
    if born is None:
        return False
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age < age_of_consent


async def people_of(uow: UnitOfWork, parts: list[Participant]) -> dict[uuid.UUID, Person]:
    ids = [p.person_id for p in parts]
    rows = await uow.session.scalars(
        select(Person).where(Person.practice_id == uow.practice_id, Person.id.in_(ids))
    )
    return {p.id: p for p in rows}


async def _staff(uow: UnitOfWork, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await uow.session.execute(
        select(StaffMember.id, StaffMember.display_name).where(
            StaffMember.practice_id == uow.practice_id, StaffMember.id.in_(ids)
        )
    )
    return {r.id: r.display_name for r in rows}


def row_status(case: Case, people: list[tuple[Participant, Person]]) -> str:
    if not case.is_open:
        return "archived"
    statuses = {list_status(p.lifecycle) for part, p in people if part.is_current}
    return next((s for s in ("active", "prospect", "archived") if s in statuses), "prospect")


async def case_read(
    uow: UnitOfWork, actor: Actor, case: Case, grants: CaseReach, today: date, minor_age: int
) -> CaseRead:
    parts = await participants_of(uow, case.id)
    people = await people_of(uow, parts)
    staff = await _staff(uow, {case.primary_provider_id, *filter(None, [case.supervisor_id])})
    info = KINDS[CaseKind(case.kind)]
    view = CaseRead(
        id=case.id,
        kind=case.kind,
        kind_label=info.label,
        noun=info.noun,
        name=case.name,
        relationship_label=case.relationship_label,
        status=case.status,
        list_status=row_status(case, [(p, people[p.person_id]) for p in parts]),
        opened_on=case.opened_on,
        closed_on=case.closed_on,
        primary_provider=StaffRef(
            id=case.primary_provider_id, name=staff.get(case.primary_provider_id, "—")
        ),
        supervisor=StaffRef(id=case.supervisor_id, name=staff.get(case.supervisor_id, "—"))
        if case.supervisor_id
        else None,
        identified_person_id=case.identified_person_id,
        capabilities=Capabilities(
            diagnoses=case.cap_diagnoses,
            treatment_plans=case.cap_treatment_plans,
            superbills=case.cap_superbills,
            claims=case.cap_claims,
        ),
        participants=[
            ParticipantRead(
                person_id=p.person_id,
                name=people[p.person_id].display_name,
                role=p.role,
                joined_on=p.joined_on,
                left_on=p.left_on,
                current=p.is_current,
                lifecycle=people[p.person_id].lifecycle,
                list_status=list_status(people[p.person_id].lifecycle),
                portal_access=p.portal_access,
                reminder_preference=p.reminder_preference,
                onboarding_state=p.onboarding_state,
                minor=is_minor(people[p.person_id], today, minor_age),
            )
            for p in parts
        ],
        may_change=can(actor, Action.change_case, grants),
    )
    if case.cap_diagnoses and can(actor, Action.see_clinical, grants):
        rows = await dx.diagnoses_of(uow, case)
        names = await dx.code_descriptions(uow, sorted({d.code for d in rows}))
        view.diagnoses = [
            DiagnosisRead(
                id=d.id, person_id=d.person_id, code=d.code, description=names.get(d.code, ""),
                rank=d.rank, active_from=d.active_from, active_to=d.active_to,
            )
            for d in rows
        ]  # fmt: skip
    if can(actor, Action.see_case_billing, grants):
        view.payers = [
            PayerRead(
                id=r.payer.id, name=r.name, person_id=r.payer.payer_person_id,
                organization_id=r.payer.payer_organization_id, is_participant=r.is_participant,
                covers=sorted(r.covers, key=str), share_percent=r.payer.share_bp / 100,
                collection_mode=r.payer.collection_mode, effective_from=r.payer.effective_from,
                effective_to=r.payer.effective_to, in_effect=r.payer.in_effect(today),
            )
            for r in await payers_of(uow, case.id)
        ]  # fmt: skip
    return view


def list_item(row: CaseRow) -> CaseListItem:
    case = row.case
    return CaseListItem(
        id=case.id,
        kind=case.kind,
        noun=KINDS[CaseKind(case.kind)].noun,
        name=case.name,
        status=case.status,
        list_status=row.list_status,
        opened_on=case.opened_on,
        primary_provider=StaffRef(id=case.primary_provider_id, name=row.provider_name),
        people=[
            ParticipantBrief(
                person_id=p.person_id, name=p.name, list_status=p.list_status, current=p.current
            )
            for p in row.people
        ],
    )
