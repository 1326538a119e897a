"""Who pays: billing responsibility, separate from participation (CASE-5, REL-1, WFS-7).

A payer is a participant, a person outside the case, or an organization. It covers the
whole case or named participants, with a share and an effective period (a parent pays until
the child turns 18; payers change mid-year). The billing issue reads `responsibility_on`.

Rules:
- Shares are basis points (100.00 % = 10000). For any covered participant on any day, the
  payers in effect add up to at most 100 %; what no payer covers is the participant's own
  (self-pay), shown on the record as "not assigned".
- Amounts split by largest remainder (`split_cents`): each payer gets the floor of its
  exact share, and the cents left go one each to the largest fractional parts (ties to the
  earlier payer), so the parts always add up to the amount.
- Changing a payer mid-year is ending one (`effective_to`) and adding the next; history is
  kept, nothing is overwritten.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from models.orm.case import Case, CasePayer, CasePayerCover, CollectionMode, Participant
from models.orm.person import Organization, Person
from services.access import Actor
from services.cases.records import load_person

FULL_SHARE = 10000


def share_bp(value: str | None) -> int:
    """'100', '33.33', '50 %' → basis points; refuses anything outside (0, 100]."""
    raw = (value or "100").strip().removesuffix("%").strip()
    try:
        percent = Decimal(raw)
    except InvalidOperation:
        raise ValueError("Enter a share like 100 or 33.33 (percent).") from None
    if not percent.is_finite() or percent <= 0 or percent > 100:
        raise ValueError("A share is more than 0 and at most 100 percent.")
    bp = percent * 100
    if bp != bp.to_integral_value():
        raise ValueError("Use at most two decimals (33.33).")
    return int(bp)


def split_cents(amount_cents: int, weights: list[int]) -> list[int]:
    """Largest-remainder split of `amount_cents` by integer `weights` (same order back)."""
    if amount_cents < 0:
        raise ValueError("amounts are not negative")
    total = sum(weights)
    if total <= 0:
        raise ValueError("weights add up to more than zero")
    floors = [amount_cents * w // total for w in weights]
    remainders = [amount_cents * w % total for w in weights]
    left = amount_cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors


@dataclass(frozen=True)
class PayerIn:
    person_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    covers: list[uuid.UUID] | None = None  # None: the whole case
    share: str | None = "100"
    collection_mode: str = CollectionMode.invoice
    effective_from: date | None = None
    effective_to: date | None = None


@dataclass(frozen=True)
class PayerRow:
    payer: CasePayer
    covers: frozenset[uuid.UUID]  # empty: the whole case
    name: str
    is_organization: bool
    is_participant: bool


async def payers_of(uow: UnitOfWork, case_id: uuid.UUID) -> list[PayerRow]:
    payers = list(
        await uow.session.scalars(
            select(CasePayer)
            .where(CasePayer.practice_id == uow.practice_id, CasePayer.case_id == case_id)
            .order_by(CasePayer.effective_from, CasePayer.seq)
        )
    )
    if not payers:
        return []
    covers: dict[uuid.UUID, set[uuid.UUID]] = {}
    for cover in await uow.session.scalars(
        select(CasePayerCover).where(
            CasePayerCover.practice_id == uow.practice_id, CasePayerCover.case_id == case_id
        )
    ):
        covers.setdefault(cover.payer_id, set()).add(cover.person_id)
    person_ids = [p.payer_person_id for p in payers if p.payer_person_id]
    org_ids = [p.payer_organization_id for p in payers if p.payer_organization_id]
    people = {
        p.id: p.display_name
        for p in await uow.session.scalars(
            select(Person).where(Person.practice_id == uow.practice_id, Person.id.in_(person_ids))
        )
    }
    orgs = {
        o.id: o.name
        for o in await uow.session.scalars(
            select(Organization).where(
                Organization.practice_id == uow.practice_id, Organization.id.in_(org_ids)
            )
        )
    }
    participant_ids = set(
        await uow.session.scalars(
            select(Participant.person_id).where(
                Participant.practice_id == uow.practice_id, Participant.case_id == case_id
            )
        )
    )
    rows = []
    for p in payers:
        if p.payer_person_id is not None:
            name, org = people.get(p.payer_person_id, "—"), False
        else:
            assert p.payer_organization_id is not None
            name, org = orgs.get(p.payer_organization_id, "—"), True
        rows.append(
            PayerRow(
                p, frozenset(covers.get(p.id, ())), name, org, p.payer_person_id in participant_ids
            )
        )
    return rows


def _overlaps(a: CasePayer | PayerIn, b: CasePayer) -> bool:
    a_from = a.effective_from or date.min
    a_to = a.effective_to or date.max
    return a_from <= (b.effective_to or date.max) and b.effective_from <= a_to


async def add_payer(
    uow: UnitOfWork, viewer: Actor, case: Case, data: PayerIn, today: date
) -> CasePayer:
    """Caller holds the case row lock (`load_case(..., for_update=True)`), so two payers
    added at once cannot both fit under 100 %. A person who pays must be someone the
    viewer may see (a payer becomes visible through the case: no way to reach a stranger)."""
    assert uow.practice_id is not None
    errors: dict[str, str] = {}
    if (data.person_id is None) == (data.organization_id is None):
        errors["payer"] = "Choose one person or one organization who pays."
    elif data.person_id is not None:
        try:
            await load_person(uow, viewer, data.person_id)
        except NotFound:
            errors["payer"] = "Choose a person from the search results."
    else:
        found = await uow.session.scalar(
            select(Organization.id).where(
                Organization.practice_id == uow.practice_id,
                Organization.id == data.organization_id,
            )
        )
        if found is None:
            errors["payer"] = "Choose an organization of this practice."
    bp = 0
    try:
        bp = share_bp(data.share)
    except ValueError as exc:
        errors["share"] = str(exc)
    if data.collection_mode not in CollectionMode.__members__:
        errors["collection_mode"] = "Choose how the share is collected."
    start = data.effective_from or today
    if data.effective_to is not None and data.effective_to < start:
        errors["effective_to"] = f"Choose {start.isoformat()} or later."
    participants = {
        p.person_id: p
        for p in await uow.session.scalars(
            select(Participant).where(
                Participant.practice_id == uow.practice_id, Participant.case_id == case.id
            )
        )
    }
    covers = list(dict.fromkeys(data.covers or []))
    if data.covers is not None and not covers:
        errors["covers"] = "Choose whom this payer covers, or the whole case."
    if any(c not in participants for c in covers):
        errors["covers"] = "Choose participants of this case."
    if errors:
        raise InvalidInput("The payer was not added", field_errors=errors)
    candidate = CasePayer(
        id=uuid.uuid4(),
        practice_id=uow.practice_id,
        case_id=case.id,
        payer_person_id=data.person_id,
        payer_organization_id=data.organization_id,
        covers_all=not covers,
        share_bp=bp,
        collection_mode=data.collection_mode,
        effective_from=start,
        effective_to=data.effective_to,
    )
    covered = set(covers) if covers else set(participants)
    taken = await _overlapping_total(uow, case.id, candidate, covered)
    if taken + bp > FULL_SHARE:
        free = max(FULL_SHARE - taken, 0) / 100
        raise InvalidInput(
            "The shares would add up to more than 100 %",
            field_errors={
                "share": f"Other payers already cover part of this period: at most {free:g} % "
                "is left. End the earlier payer first to change who pays."
            },
        )
    uow.session.add(candidate)
    await uow.session.flush()
    for person_id in covers:
        uow.session.add(
            CasePayerCover(
                practice_id=uow.practice_id,
                payer_id=candidate.id,
                case_id=case.id,
                person_id=person_id,
            )
        )
    await uow.session.flush()
    return candidate


async def _overlapping_total(
    uow: UnitOfWork,
    case_id: uuid.UUID,
    candidate: CasePayer,
    covered: set[uuid.UUID],
    *,
    exclude: uuid.UUID | None = None,
) -> int:
    """The largest share other payers already hold for one of `covered` on one day of the
    candidate's period (totals only change on a start day, so those are the days to test)."""
    rows = [
        r
        for r in await payers_of(uow, case_id)
        if r.payer.id != exclude and _overlaps(candidate, r.payer)
    ]
    days = {candidate.effective_from} | {
        r.payer.effective_from for r in rows if r.payer.effective_from > candidate.effective_from
    }
    worst = 0
    for day in days:
        if not candidate.in_effect(day):
            continue
        for person in covered:
            total = sum(
                r.payer.share_bp
                for r in rows
                if r.payer.in_effect(day) and (not r.covers or person in r.covers)
            )
            worst = max(worst, total)
    return worst


async def end_payer(
    uow: UnitOfWork, case: Case, payer_id: uuid.UUID, effective_to: date
) -> CasePayer:
    payer = await uow.session.scalar(
        select(CasePayer).where(
            CasePayer.practice_id == uow.practice_id,
            CasePayer.case_id == case.id,
            CasePayer.id == payer_id,
        )
    )
    if payer is None:
        raise NotFound("No such payer")
    if effective_to < payer.effective_from:
        raise InvalidInput(
            "The last day is before the first",
            field_errors={"effective_to": f"Choose {payer.effective_from.isoformat()} or later."},
        )
    extends = payer.effective_to is not None and effective_to > payer.effective_to
    if extends:  # a longer period must still fit under 100 % with the other payers
        participants = set(
            await uow.session.scalars(
                select(Participant.person_id).where(
                    Participant.practice_id == uow.practice_id, Participant.case_id == case.id
                )
            )
        )
        rows = {r.payer.id: r for r in await payers_of(uow, case.id)}
        covered = set(rows[payer.id].covers) or participants
        longer = CasePayer(
            effective_from=payer.effective_from, effective_to=effective_to, share_bp=0
        )
        taken = await _overlapping_total(uow, case.id, longer, covered, exclude=payer.id)
        if taken + payer.share_bp > FULL_SHARE:
            raise InvalidInput(
                "The shares would add up to more than 100 %",
                field_errors={
                    "effective_to": "Another payer covers those days: end it first, or choose "
                    "an earlier last day."
                },
            )
    payer.effective_to = effective_to
    await uow.session.flush()
    return payer


@dataclass(frozen=True)
class Responsibility:
    payer_id: uuid.UUID | None  # None: not assigned to any payer (the participant's own)
    name: str
    cents: int


async def responsibility_on(
    uow: UnitOfWork, case_id: uuid.UUID, person_id: uuid.UUID, day: date, amount_cents: int
) -> list[Responsibility]:
    """Who pays what of `amount_cents` for `person_id`'s part of the case on `day`."""
    rows = [
        r
        for r in await payers_of(uow, case_id)
        if r.payer.in_effect(day) and (not r.covers or person_id in r.covers)
    ]
    weights = [r.payer.share_bp for r in rows]
    rest = FULL_SHARE - sum(weights)
    parts = split_cents(amount_cents, [*weights, rest] if rest > 0 else weights)
    out = [Responsibility(r.payer.id, r.name, c) for r, c in zip(rows, parts, strict=False)]
    if rest > 0:
        out.append(Responsibility(None, "Not assigned", parts[-1]))
    return out
