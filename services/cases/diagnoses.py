"""Diagnoses: ICD-10-CM codes on (case, person), ranked, with active dates (CLI-7).

Only where the case uses diagnoses (`cap_diagnoses`: therapy kinds by default; off for
consultation and workshop cases, CONS-3, WSG-5): with the flag off, the feature does not
exist for that case — the API answers 404 and the page shows no Clinical diagnoses block.
Callers check `Action.see_clinical` / `change_clinical` (never admins).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from models.orm.case import Case, Diagnosis, Icd10Code, Participant
from services.people.fields import printable

RANK_MAX = 12  # CMS-1500 box 21 holds twelve


def require_diagnoses(case: Case) -> None:
    if not case.cap_diagnoses:
        raise NotFound("This case does not use diagnoses")


@dataclass(frozen=True)
class CodeHit:
    code: str
    description: str


def normal_code(value: str) -> str:
    raw = "".join(ch for ch in value.upper() if ch.isascii() and (ch.isalnum() or ch == "."))
    if len(raw) > 3 and "." not in raw:
        raw = f"{raw[:3]}.{raw[3:]}"
    return raw


async def search_codes(uow: UnitOfWork, query: str, limit: int = 20) -> list[CodeHit]:
    """Codes by code prefix ("F43", "f431") or words of the description, typo-tolerant."""
    q = " ".join(printable(query).split())[:80]
    if not q:
        return []
    code = normal_code(q)
    lowered = q.lower()
    rows = await uow.session.execute(
        select(Icd10Code.code, Icd10Code.description)
        .where(
            or_(
                Icd10Code.code.startswith(code.rstrip(".")),
                func.word_similarity(lowered, func.lower(Icd10Code.description)) > 0.45,
            )
        )
        .order_by(
            Icd10Code.code.startswith(code.rstrip(".")).desc(),
            func.word_similarity(lowered, func.lower(Icd10Code.description)).desc(),
            Icd10Code.code,
        )
        .limit(limit)
    )
    return [CodeHit(r.code, r.description) for r in rows]


async def code_descriptions(uow: UnitOfWork, codes: list[str]) -> dict[str, str]:
    rows = await uow.session.execute(
        select(Icd10Code.code, Icd10Code.description).where(Icd10Code.code.in_(codes))
    )
    return {r.code: r.description for r in rows}


async def diagnoses_of(uow: UnitOfWork, case: Case) -> list[Diagnosis]:
    return list(
        await uow.session.scalars(
            select(Diagnosis)
            .where(Diagnosis.practice_id == uow.practice_id, Diagnosis.case_id == case.id)
            .order_by(Diagnosis.person_id, Diagnosis.rank, Diagnosis.active_from, Diagnosis.id)
        )
    )


async def add_diagnosis(
    uow: UnitOfWork,
    case: Case,
    *,
    person_id: uuid.UUID,
    code: str,
    rank: int | None,
    active_from: date,
) -> Diagnosis:
    require_diagnoses(case)
    assert uow.practice_id is not None
    errors: dict[str, str] = {}
    clean = normal_code(code)
    if not await code_descriptions(uow, [clean]):
        errors["code"] = "Choose a billable ICD-10-CM code from the list (like F43.10)."
    is_participant = await uow.session.scalar(
        select(Participant.id).where(
            Participant.practice_id == uow.practice_id,
            Participant.case_id == case.id,
            Participant.person_id == person_id,
        )
    )
    if is_participant is None:
        errors["person_id"] = "Choose a participant of this case."
    current = [
        d for d in await diagnoses_of(uow, case) if d.person_id == person_id and d.active_to is None
    ]
    if any(d.code == clean for d in current):
        errors["code"] = "This diagnosis is already current for this person."
    if rank is None:
        rank = len(current) + 1
    if not 1 <= rank <= RANK_MAX:
        errors["rank"] = f"Rank 1 (primary) to {RANK_MAX}."
    if errors:
        raise InvalidInput("The diagnosis was not added", field_errors=errors)
    diagnosis = Diagnosis(
        id=uuid.uuid4(),
        practice_id=uow.practice_id,
        case_id=case.id,
        person_id=person_id,
        code=clean,
        rank=rank,
        active_from=active_from,
    )
    uow.session.add(diagnosis)
    await uow.session.flush()
    return diagnosis


async def end_diagnosis(
    uow: UnitOfWork, case: Case, diagnosis_id: uuid.UUID, active_to: date
) -> Diagnosis:
    require_diagnoses(case)
    diagnosis = await uow.session.scalar(
        select(Diagnosis).where(
            Diagnosis.practice_id == uow.practice_id,
            Diagnosis.case_id == case.id,
            Diagnosis.id == diagnosis_id,
        )
    )
    if diagnosis is None:
        raise NotFound("No such diagnosis")
    if active_to < diagnosis.active_from:
        raise InvalidInput(
            "Ends before it began",
            field_errors={"active_to": f"Choose {diagnosis.active_from.isoformat()} or later."},
        )
    diagnosis.active_to = active_to
    await uow.session.flush()
    return diagnosis
