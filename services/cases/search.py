"""The one search box (SRCH-1, SRCH-3): people and cases by any participant's name
fragments, email or phone, typo-tolerant (pg_trgm), filtered by what the viewer may see,
grouped by kind.

The query arrives in a POST body (never a URL: names are PHI and URLs end up in logs and
browser history). Matching, in the database, on the generated `people.search_text`
(names, preferred name, email) and `people.phone_digits`, both behind GIN trigram indexes:
- every word of the query is a word-similar fragment of the text (`<%`, threshold 0.5), so
  "jon chn" finds Jonathan Chen and "Jonathon" finds Jonathan;
- or the query is a plain substring (email fragments);
- or, with four or more digits, the digits appear in a phone number ("555-0123").
Cases match by their own name or by any of their people.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select, text, union

from core.db import UnitOfWork
from models.orm.case import Case, CaseKind, Participant
from models.orm.person import Person
from services import cross_practice
from services.access import Actor
from services.cases.kinds import KINDS
from services.cases.queries import CaseRow, case_rows
from services.cases.records import visible_case_clause, visible_person_clause
from services.people.fields import printable
from services.people.lifecycle import list_status

QUERY_MAX = 100
LIMIT = 20
WORD_THRESHOLD = 0.5
GROUP_LABELS = {
    CaseKind.individual: "Individual clients",
    CaseKind.couple: "Couples",
    CaseKind.family: "Families",
    CaseKind.therapy_group: "Therapy groups",
    CaseKind.consultation: "Consultation clients",
    CaseKind.consultation_group: "Consultation groups",
    CaseKind.workshop_group: "Workshop groups",
}


@dataclass(frozen=True)
class PersonHit:
    id: uuid.UUID
    name: str
    list_status: str
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class SearchGroup:
    key: str
    label: str
    cases: list[CaseRow] = field(default_factory=list)


@dataclass(frozen=True)
class SearchResult:
    query: str
    people: list[PersonHit]
    groups: list[SearchGroup]

    @property
    def empty(self) -> bool:
        return not self.people and not self.groups


def clean_query(value: str) -> str:
    return " ".join(printable(value).split())[:QUERY_MAX]


def _like(value: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", value) + "%"


def person_match(q: str) -> Select[tuple[uuid.UUID]] | None:
    """The ids of people matching `q` (every word word-similar, or the whole query as a
    substring, or 4+ digits inside a phone), from the trigram indexes."""
    lowered = q.lower()
    words = sorted({w for w in re.split(r"\s+", lowered) if len(w) >= 2}, key=len, reverse=True)
    digits = re.sub(r"\D", "", q)
    phone = _like(digits) if len(digits) >= 4 else None
    if not words and phone is None:
        return None
    return cross_practice.people_matching(
        words, _like(lowered) if len(lowered) >= 3 else None, phone
    )


async def search(uow: UnitOfWork, actor: Actor, raw: str) -> SearchResult:
    q = clean_query(raw)
    match = person_match(q)
    if match is None:
        return SearchResult(q, [], [])
    await uow.session.execute(
        text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"),
        {"t": str(WORD_THRESHOLD)},
    )
    lowered = q.lower()
    people_query = (
        select(Person)
        .where(Person.practice_id == actor.practice_id, Person.id.in_(match))
        .order_by(func.word_similarity(lowered, Person.search_text).desc(), Person.sort_name)
        .limit(LIMIT)
    )
    seen_people = visible_person_clause(actor)
    if seen_people is not None:
        people_query = people_query.where(seen_people)
    people = list(await uow.session.scalars(people_query))

    person_ids = [p.id for p in people]
    # A union of two index-driven candidate sets (cases of the people found; cases whose own
    # name matches, by the trigram index): an OR here would make Postgres test every case.
    case_match = Case.id.in_(
        union(
            select(Participant.case_id).where(
                Participant.practice_id == actor.practice_id,
                Participant.person_id.in_(person_ids),
            ),
            cross_practice.cases_named(lowered, _like(lowered)),
        )
    )
    case_query = (
        select(Case)
        .where(Case.practice_id == actor.practice_id, case_match)
        .order_by(Case.status.desc(), Case.sort_name, Case.id)
        .limit(LIMIT)
    )
    seen_cases = visible_case_clause(actor)
    if seen_cases is not None:
        case_query = case_query.where(seen_cases)
    rows = await case_rows(uow, list(await uow.session.scalars(case_query)))
    groups: dict[CaseKind, SearchGroup] = {}
    for row in rows:
        kind = CaseKind(row.case.kind)
        groups.setdefault(kind, SearchGroup(kind.value, GROUP_LABELS[kind])).cases.append(row)
    ordered = [groups[k] for k in KINDS if k in groups]
    hits = [
        PersonHit(
            p.id, p.display_name, list_status(p.lifecycle), p.email,
            p.phone_mobile or p.phone_home or p.phone_work,
        )
        for p in people
    ]  # fmt: skip
    return SearchResult(q, hits, ordered)
