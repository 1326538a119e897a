"""The Good Faith Estimate (No Surprises Act) for a self-pay case, filled from what the case
has booked: the shipped document (models/data/documents/good_faith_estimate.md) is the
template — `{practice_name}`, `{client_names}`, `{today}`, `{service_rows}`, `{total}`,
`{sessions}` — and each intake that carries it stores the text generated for its case,
so the client acknowledges (and the record keeps, with its hash) exactly what they read.

Product decisions (the spec names the document, not the arithmetic):
- The services are those the case has booked (appointments that hold time), each at its
  latest booked fee. The service booked most is the course of care: its row expects
  `COURSE_SESSIONS` sessions, or more when more are booked already; any other service
  expects the sessions booked for it.
- A case with nothing booked gets no estimate: sending one is refused with a message
  (book the first appointment) rather than estimating a service nobody chose.
- "For" names the case's current participants — a couple or a family share their
  estimate — but in a group only the member it is sent to: a group member never learns
  from it who else is in the group.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, true

from core.db import UnitOfWork
from core.errors import InvalidInput
from models.orm.case import Case, CaseKind, Participant
from models.orm.person import Person
from models.orm.scheduling import TIME_HOLDING, Appointment, PracticeService
from services.practices import get_practice

GENERATOR = "good_faith_estimate"
COURSE_SESSIONS = 12


@dataclass(frozen=True)
class EstimateRow:
    name: str
    code: str
    fee_cents: int
    sessions: int

    @property
    def cost_cents(self) -> int:
        return self.fee_cents * self.sessions


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "/").split())


async def rows_for(uow: UnitOfWork, case_id: uuid.UUID) -> list[EstimateRow]:
    booked = (
        await uow.session.execute(
            select(Appointment.service_id, Appointment.fee_cents)
            .where(
                Appointment.practice_id == uow.practice_id,
                Appointment.case_id == case_id,
                Appointment.status.in_(sorted(TIME_HOLDING)),
            )
            .order_by(Appointment.starts_at)
        )
    ).all()
    if not booked:
        return []
    counts = Counter(service_id for service_id, _ in booked)
    latest_fee: dict[uuid.UUID, int] = dict(booked)  # the last booked wins
    services = {
        s.id: s
        for s in await uow.session.scalars(
            select(PracticeService).where(
                PracticeService.practice_id == uow.practice_id,
                PracticeService.id.in_(list(counts)),
            )
        )
    }
    main = counts.most_common(1)[0][0]
    rows = []
    for service_id, n in counts.most_common():
        service = services[service_id]
        rows.append(
            EstimateRow(
                name=_cell(service.name),
                code=_cell(service.cpt_code or "—"),
                fee_cents=latest_fee[service_id],
                sessions=max(n, COURSE_SESSIONS) if service_id == main else n,
            )
        )
    return rows


GROUP_KINDS = frozenset(
    {CaseKind.therapy_group, CaseKind.consultation_group, CaseKind.workshop_group}
)


async def good_faith_estimate(
    uow: UnitOfWork, case: Case, template: str, today: date, person_id: uuid.UUID
) -> str:
    rows = await rows_for(uow, case.id)
    if not rows:
        raise InvalidInput(
            "Nothing booked to estimate",
            field_errors={
                "intake": "The Good Faith Estimate is filled from the case's booked services:"
                " book the first appointment, then send it."
            },
        )
    people = await uow.session.scalars(
        select(Person)
        .join(
            Participant,
            (Participant.practice_id == Person.practice_id) & (Participant.person_id == Person.id),
        )
        .where(
            Participant.practice_id == uow.practice_id,
            Participant.case_id == case.id,
            Participant.left_on.is_(None),
            Person.id == person_id if case.kind in GROUP_KINDS else true(),
        )
        .order_by(Person.last_name, Person.first_name)
    )
    names = [p.display_name for p in people]
    practice = await get_practice(uow)
    table = "\n".join(
        f"| {r.name} | {r.code} | {_money(r.fee_cents)} | {r.sessions} | {_money(r.cost_cents)} |"
        for r in rows
    )
    values = {
        "practice_name": _cell(practice.name),
        "client_names": _cell(", ".join(names)),
        "today": f"{today:%B %-d, %Y}",
        "service_rows": table,
        "total": _money(sum(r.cost_cents for r in rows)),
        "sessions": str(sum(r.sessions for r in rows)),
    }
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out
