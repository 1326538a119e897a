"""One-time portal links (decisions.md "Portal access").

- Invitation (first access): valid 7 days. Before anything is shown the person confirms
  their date of birth — or, with none on file, the last 4 digits of a phone number. Five
  wrong answers lock the link (staff send a new one). Issuing a new invitation revokes
  the open ones of the account.
- Sign-in: valid 30 minutes, asked for by email on the portal's sign-in page.
- Both are single use and consumed by the POST that follows the confirmation, never by
  a GET (mail scanners open links). Only the SHA-256 of a token is stored; a link is
  looked up within the practice the URL names, so another practice's link is unknown.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from core.db import UnitOfWork
from core.errors import LinkInvalid
from core.security import new_token, token_hash
from models.orm.person import Person
from models.orm.portal import PortalLink, PortalLinkPurpose

LIFETIME = {
    PortalLinkPurpose.invitation: timedelta(days=7),
    PortalLinkPurpose.sign_in: timedelta(minutes=30),
}
MAX_ATTEMPTS = 5
DIGITS = re.compile(r"\D+")


async def issue(
    uow: UnitOfWork,
    *,
    account_id: uuid.UUID,
    purpose: PortalLinkPurpose,
    now: datetime,
    confirm_person_id: uuid.UUID | None = None,
    staff_id: uuid.UUID | None = None,
) -> str:
    await uow.session.execute(
        update(PortalLink)
        .where(
            PortalLink.practice_id == uow.practice_id,
            PortalLink.account_id == account_id,
            PortalLink.purpose == purpose,
            PortalLink.used_at.is_(None),
            PortalLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = new_token()
    uow.session.add(
        PortalLink(
            id=uuid.uuid4(),
            practice_id=uow.practice_id,
            account_id=account_id,
            confirm_person_id=confirm_person_id,
            purpose=purpose,
            token_hash=token_hash(token),
            expires_at=now + LIFETIME[purpose],
            created_by_staff_id=staff_id,
            created_at=now,
        )
    )
    await uow.session.flush()
    return token


async def open_link(
    uow: UnitOfWork,
    token: str,
    purpose: PortalLinkPurpose,
    now: datetime,
    *,
    for_update: bool = False,
) -> PortalLink:
    query = select(PortalLink).where(
        PortalLink.practice_id == uow.practice_id,
        PortalLink.token_hash == token_hash(token[:200]),
        PortalLink.purpose == purpose,
    )
    if for_update:  # the consuming POST: lock it and read it fresh
        query = query.with_for_update().execution_options(populate_existing=True)
    link = await uow.session.scalar(query)
    if link is None:
        raise LinkInvalid("This link is not valid. Check that you used the whole link.")
    if link.used_at is not None:
        raise LinkInvalid("This link was already used. Sign in to the portal instead.")
    if link.revoked_at is not None:
        raise LinkInvalid("A newer link was sent since; use the most recent email.")
    if link.locked_at is not None:
        raise LinkInvalid(
            "This link is locked after too many wrong answers. Ask the practice to send a new one."
        )
    if now >= link.expires_at:
        raise LinkInvalid("This link has expired. Ask for a new one.")
    return link


async def confirmation_kind(uow: UnitOfWork, link: PortalLink) -> str:
    """What the invitation asks: "date_of_birth", or "phone" when none is on file."""
    person = await _person(uow, link)
    return "date_of_birth" if person is None or person.date_of_birth else "phone"


async def _person(uow: UnitOfWork, link: PortalLink) -> Person | None:
    if link.confirm_person_id is None:
        return None
    found: Person | None = await uow.session.scalar(
        select(Person).where(
            Person.practice_id == uow.practice_id, Person.id == link.confirm_person_id
        )
    )
    return found


async def confirm(uow: UnitOfWork, link: PortalLink, answer: str, now: datetime) -> bool:
    """Check the answer. Each check first takes one of the link's 5 attempts with one
    conditional UPDATE — racing requests queue on the row and each sees the count the one
    before it committed, so between them they get no more than 5 guesses; the fifth wrong
    one locks the link. The caller commits a wrong answer too (`keep_refusal`): the count
    must survive the refusal. A right answer consumes the link, so its attempt costs
    nothing. Raises LinkInvalid when no attempt is left."""
    attempts = await uow.session.scalar(
        update(PortalLink)
        .where(
            PortalLink.practice_id == link.practice_id,
            PortalLink.id == link.id,
            PortalLink.locked_at.is_(None),
            PortalLink.used_at.is_(None),
            PortalLink.failed_attempts < MAX_ATTEMPTS,
        )
        .values(failed_attempts=PortalLink.failed_attempts + 1)
        .returning(PortalLink.failed_attempts)
        .execution_options(synchronize_session=False)
    )
    if attempts is None:
        raise LinkInvalid(
            "This link is locked after too many wrong answers. Ask the practice to send a new one."
        )
    person = await _person(uow, link)
    ok = False
    if person is not None and person.date_of_birth is not None:
        try:
            ok = date.fromisoformat(answer.strip()[:20]) == person.date_of_birth
        except ValueError:
            ok = False
    elif person is not None:
        phones = [p for p in (person.phone_mobile, person.phone_home, person.phone_work) if p]
        given = DIGITS.sub("", answer[:40])
        ok = len(given) == 4 and any(DIGITS.sub("", p).endswith(given) for p in phones)
    if not ok and attempts >= MAX_ATTEMPTS:
        await uow.session.execute(
            update(PortalLink)
            .where(PortalLink.practice_id == link.practice_id, PortalLink.id == link.id)
            .values(locked_at=now)
            .execution_options(synchronize_session=False)
        )
    link.failed_attempts = attempts
    return ok


async def consume(uow: UnitOfWork, link: PortalLink, now: datetime) -> None:
    link.used_at = now
    await uow.session.flush()
