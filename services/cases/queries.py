"""Reading cases: the client list (filters, sort, keyset pages) and the participants of a
page of cases in one query (no N+1).

The list has one row per case (the Cases area, CASE-3): a couple or family shows its people
together (CASE-15, CLI-4), each with their own status dot (CLI-2). Filters (CLI-3):
"Active and prospects" = open cases, "Archived" = closed cases, "Everyone" = both. Visible
cases come from `case_access` (see `services.cases.records`); lists use ix_cases_sort.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, select, tuple_

from core.db import UnitOfWork
from core.errors import InvalidInput
from models.orm.case import Case, CaseKind, CaseStatus, Participant
from models.orm.person import Person
from models.orm.staff import StaffMember
from services.access import Actor
from services.cases.records import visible_case_clause
from services.people.lifecycle import list_status

PAGE_MAX = 200
STATUS_FILTERS = ("current", "archived", "everyone")
SORTS = ("name", "-name", "opened")


@dataclass(frozen=True)
class CaseFilter:
    status: str = "current"
    kind: CaseKind | None = None
    provider_id: uuid.UUID | None = None
    sort: str = "name"
    # Keyset cursor: the last case of the previous page, by id only. Its sort mark is read
    # back from the row, so no name ever travels in a URL.
    after: uuid.UUID | None = None
    limit: int = 50


@dataclass(frozen=True)
class PersonChip:
    person_id: uuid.UUID
    name: str
    lifecycle: str
    list_status: str
    role: str
    current: bool


@dataclass
class CaseRow:
    case: Case
    provider_name: str
    people: list[PersonChip] = field(default_factory=list)

    @property
    def list_status(self) -> str:
        """The row's dot: archived when closed; else the most engaged current person."""
        if self.case.status == CaseStatus.closed:
            return "archived"
        statuses = {p.list_status for p in self.people if p.current}
        for status in ("active", "prospect", "archived"):
            if status in statuses:
                return status
        return "prospect"


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    next_cursor: uuid.UUID | None


def _where(actor: Actor, filt: CaseFilter) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [Case.practice_id == actor.practice_id]
    if filt.status == "current":
        clauses.append(Case.status == CaseStatus.open)
    elif filt.status == "archived":
        clauses.append(Case.status == CaseStatus.closed)
    if filt.kind is not None:
        clauses.append(Case.kind == filt.kind)
    if filt.provider_id is not None:
        clauses.append(Case.primary_provider_id == filt.provider_id)
    seen = visible_case_clause(actor)
    if seen is not None:
        clauses.append(seen)
    return clauses


async def list_cases(uow: UnitOfWork, actor: Actor, filt: CaseFilter) -> CasePage:
    limit = max(1, min(filt.limit, PAGE_MAX))
    query = select(Case).where(*_where(actor, filt))
    mark = None
    if filt.after is not None:
        mark_query = select(Case.sort_name, Case.opened_on, Case.id).where(
            Case.practice_id == actor.practice_id, Case.id == filt.after
        )
        seen = visible_case_clause(actor)  # a mark is one of the viewer's own rows
        if seen is not None:
            mark_query = mark_query.where(seen)
        mark = (await uow.session.execute(mark_query)).first()
        if mark is None:
            raise InvalidInput(
                "The page mark is not valid", field_errors={"cursor": "Start from the first page."}
            )
    if filt.sort == "opened":
        if mark is not None:
            query = query.where(tuple_(Case.opened_on, Case.id) < tuple_(mark.opened_on, mark.id))
        query = query.order_by(Case.opened_on.desc(), Case.id.desc())
    elif filt.sort == "-name":
        if mark is not None:
            query = query.where(tuple_(Case.sort_name, Case.id) < tuple_(mark.sort_name, mark.id))
        query = query.order_by(Case.sort_name.desc(), Case.id.desc())
    else:
        if mark is not None:
            query = query.where(tuple_(Case.sort_name, Case.id) > tuple_(mark.sort_name, mark.id))
        query = query.order_by(Case.sort_name, Case.id)
    cases = list(await uow.session.scalars(query.limit(limit + 1)))
    cursor = None
    if len(cases) > limit:
        cases = cases[:limit]
        cursor = cases[-1].id
    return CasePage(await case_rows(uow, cases), cursor)


async def case_rows(uow: UnitOfWork, cases: list[Case]) -> list[CaseRow]:
    """Rows for `cases` with their people and provider: two queries for the whole page."""
    if not cases:
        return []
    ids = [c.id for c in cases]
    providers = {c.primary_provider_id for c in cases}
    names = dict(
        (
            await uow.session.execute(
                select(StaffMember.id, StaffMember.display_name).where(
                    StaffMember.practice_id == uow.practice_id, StaffMember.id.in_(providers)
                )
            )
        ).all()
    )
    rows = {c.id: CaseRow(c, names.get(c.primary_provider_id, "—")) for c in cases}
    result = await uow.session.execute(
        select(Participant, Person)
        .join(
            Person,
            (Person.practice_id == Participant.practice_id) & (Person.id == Participant.person_id),
        )
        .where(Participant.practice_id == uow.practice_id, Participant.case_id.in_(ids))
        .order_by(Participant.left_on.is_not(None), Participant.seq)
    )
    for part, person in result.all():
        rows[part.case_id].people.append(
            PersonChip(
                person.id, person.display_name, person.lifecycle, list_status(person.lifecycle),
                part.role, part.is_current,
            )
        )  # fmt: skip
    return [rows[i] for i in ids]


async def cases_of_person(uow: UnitOfWork, actor: Actor, person_id: uuid.UUID) -> list[CaseRow]:
    query = (
        select(Case)
        .join(
            Participant,
            (Participant.practice_id == Case.practice_id) & (Participant.case_id == Case.id),
        )
        .where(Case.practice_id == actor.practice_id, Participant.person_id == person_id)
        .order_by(Case.status.desc(), Case.opened_on.desc(), Case.id)
    )
    seen = visible_case_clause(actor)
    if seen is not None:
        query = query.where(seen)
    return await case_rows(uow, list(await uow.session.scalars(query)))


async def roster_on(uow: UnitOfWork, case_id: uuid.UUID, day: date) -> list[uuid.UUID]:
    """Who was in the case on `day` (joined on or before it, left on or after it)."""
    rows = await uow.session.scalars(
        select(Participant)
        .where(Participant.practice_id == uow.practice_id, Participant.case_id == case_id)
        .order_by(Participant.seq)
    )
    return [p.person_id for p in rows if p.on_roster(day)]
