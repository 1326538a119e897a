"""Portal accounts and their grants (PORT-*, REL-*, decisions.md "Identities", "Portal
access").

- A portal account is a login identity of one practice: an email address (unique in the
  practice, case-insensitive), later passkeys, and sessions. It is not a person: one
  address may act for several people — a parent for themselves and their child.
- A grant says whom an account acts for: a person, in one case, with a scope. `invite`
  decides who receives access when staff open the portal for a participant: an adult
  with an email address receives it for themselves (scope self); a minor (below the
  practice's age of consent) through each *verified* representative (scope
  representative) — never directly, and never through an unverified one.
- Everything the portal shows is looked up through `grants_of` / `may_act_for`; a person
  or case outside the account's grants answers 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import any_, func, literal, select
from sqlalchemy.dialects.postgresql import insert

from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from models.orm.case import Participant
from models.orm.person import Person, PersonHelper, Verification
from models.orm.portal import PortalAccount, PortalGrant
from services.cases.views import is_minor
from services.people.relationships import Scope


@dataclass(frozen=True)
class Recipient:
    account: PortalAccount
    person: Person  # whose email it is (and whose date of birth the invitation confirms)
    scope: Scope


async def account_for(uow: UnitOfWork, person: Person) -> PortalAccount:
    """The account of the person's email address, made on first use."""
    assert uow.practice_id is not None
    assert person.email
    email = person.email.strip()
    found: PortalAccount | None = await uow.session.scalar(
        select(PortalAccount).where(
            PortalAccount.practice_id == uow.practice_id,
            func.lower(PortalAccount.email) == email.lower(),
        )
    )
    if found is not None:
        return found
    account = PortalAccount(
        id=uuid.uuid4(), practice_id=uow.practice_id, email=email, person_id=person.id
    )
    uow.session.add(account)
    await uow.session.flush()
    return account


async def _grant(
    uow: UnitOfWork,
    account: PortalAccount,
    person_id: uuid.UUID,
    case_id: uuid.UUID,
    scope: Scope,
    staff_id: uuid.UUID | None,
) -> None:
    existing = await uow.session.scalar(
        select(PortalGrant.id).where(
            PortalGrant.practice_id == uow.practice_id,
            PortalGrant.account_id == account.id,
            PortalGrant.person_id == person_id,
            PortalGrant.case_id == case_id,
            PortalGrant.scope == scope,
            PortalGrant.revoked_at.is_(None),
        )
    )
    if existing is None:
        await uow.session.execute(
            insert(PortalGrant).values(
                id=uuid.uuid4(),
                practice_id=uow.practice_id,
                account_id=account.id,
                person_id=person_id,
                case_id=case_id,
                scope=scope,
                created_by_staff_id=staff_id,
            )
        )


async def current_participant(
    uow: UnitOfWork, case_id: uuid.UUID, person_id: uuid.UUID
) -> Participant:
    """The person's current (not departed) participation in the case: whom an invitation
    or an intake may be sent to. Anyone else is a 404."""
    participant = await uow.session.scalar(
        select(Participant).where(
            Participant.practice_id == uow.practice_id,
            Participant.case_id == case_id,
            Participant.person_id == person_id,
            Participant.left_on.is_(None),
        )
    )
    if participant is None:
        raise NotFound("No such participant")
    return participant


async def invite(
    uow: UnitOfWork,
    participant: Participant,
    *,
    today: date,
    age_of_consent: int,
    staff_id: uuid.UUID | None,
) -> list[Recipient]:
    """Open the portal for a participant of a case: grants for whoever acts for them, and
    the participant's portal access switched on. Returns who is to be invited."""
    person = await uow.session.scalar(
        select(Person).where(
            Person.practice_id == uow.practice_id, Person.id == participant.person_id
        )
    )
    if person is None:
        raise NotFound("No such person")
    recipients: list[tuple[Person, Scope]] = []
    if is_minor(person, today, age_of_consent):
        helpers = (
            await uow.session.execute(
                select(Person, PersonHelper)
                .join(
                    PersonHelper,
                    (PersonHelper.practice_id == Person.practice_id)
                    & (PersonHelper.helper_person_id == Person.id),
                )
                .where(
                    PersonHelper.practice_id == uow.practice_id,
                    PersonHelper.person_id == person.id,
                    literal(Scope.representative.value) == any_(PersonHelper.scopes),
                )
            )
        ).all()
        verified = [h for h, row in helpers if row.verification == Verification.verified]
        if not verified:
            raise InvalidInput(
                "No one to invite",
                field_errors={
                    "portal": "A minor's portal is opened through a verified "
                    "representative: add and verify one first."
                },
            )
        recipients = [(h, Scope.representative) for h in verified if h.email]
        if not recipients:
            raise InvalidInput(
                "No one to invite",
                field_errors={"portal": "The representative has no email address."},
            )
    else:
        if not person.email:
            raise InvalidInput(
                "No one to invite", field_errors={"portal": "Add an email address to invite them."}
            )
        recipients = [(person, Scope.self)]
    out = []
    for who, scope in recipients:
        if who.date_of_birth is None and not (who.phone_mobile or who.phone_home or who.phone_work):
            raise InvalidInput(
                "Nothing to confirm",
                field_errors={
                    "portal": "The invitation asks for a date of birth (or the last 4 digits of a "
                    "phone): add one to their record first."
                },
            )
        account = await account_for(uow, who)
        if account.person_id not in (None, who.id):
            raise InvalidInput(
                "The address is taken",
                field_errors={
                    "portal": "This email address already opens another person's portal: give "
                    "each adult their own address."
                },
            )
        await _grant(uow, account, person.id, participant.case_id, scope, staff_id)
        out.append(Recipient(account, who, scope))
    participant.portal_access = True
    await uow.session.flush()
    return out


@dataclass(frozen=True)
class ActingFor:
    person_id: uuid.UUID
    name: str
    scope: str
    case_ids: tuple[uuid.UUID, ...]


async def grants_of(uow: UnitOfWork, account_id: uuid.UUID) -> list[ActingFor]:
    """Whom the account acts for, one entry per person (the account's own person first)."""
    rows = (
        await uow.session.execute(
            select(PortalGrant.person_id, PortalGrant.scope, PortalGrant.case_id, Person)
            .join(
                Person,
                (Person.practice_id == PortalGrant.practice_id)
                & (Person.id == PortalGrant.person_id),
            )
            .where(
                PortalGrant.practice_id == uow.practice_id,
                PortalGrant.account_id == account_id,
                PortalGrant.revoked_at.is_(None),
                # still true today: the person is in the case with portal access …
                select(Participant.id)
                .where(
                    Participant.practice_id == PortalGrant.practice_id,
                    Participant.case_id == PortalGrant.case_id,
                    Participant.person_id == PortalGrant.person_id,
                    Participant.portal_access.is_(True),
                    Participant.left_on.is_(None),
                )
                .exists(),
                # … and a representative is still verified (REL-5)
                (PortalGrant.scope != Scope.representative)
                | select(PersonHelper.id)
                .join(
                    PortalAccount,
                    (PortalAccount.practice_id == PersonHelper.practice_id)
                    & (PortalAccount.person_id == PersonHelper.helper_person_id),
                )
                .where(
                    PersonHelper.practice_id == PortalGrant.practice_id,
                    PersonHelper.person_id == PortalGrant.person_id,
                    PortalAccount.id == PortalGrant.account_id,
                    PersonHelper.verification == Verification.verified,
                    literal(Scope.representative.value) == any_(PersonHelper.scopes),
                )
                .exists(),
            )
            .order_by(PortalGrant.created_at)
        )
    ).all()
    people: dict[uuid.UUID, ActingFor] = {}
    for person_id, scope, case_id, person in rows:
        name = person.preferred_name or person.first_name
        current = people.get(person_id)
        cases = (*current.case_ids, case_id) if current else (case_id,)
        best = Scope.self if Scope.self in (scope, current.scope if current else None) else scope
        people[person_id] = ActingFor(person_id, name, best, tuple(c for c in cases if c))
    return sorted(people.values(), key=lambda a: (a.scope != Scope.self, a.name))


async def may_act_for(uow: UnitOfWork, account_id: uuid.UUID, person_id: uuid.UUID) -> ActingFor:
    for acting in await grants_of(uow, account_id):
        if acting.person_id == person_id:
            return acting
    raise NotFound("Not found")


async def account_by_email(uow: UnitOfWork, email: str) -> PortalAccount | None:
    found: PortalAccount | None = await uow.session.scalar(
        select(PortalAccount).where(
            PortalAccount.practice_id == uow.practice_id,
            func.lower(PortalAccount.email) == email.strip().lower(),
            PortalAccount.disabled_at.is_(None),
        )
    )
    return found
