"""One-time links for staff: invitations (7 days) and password resets (1 hour).

A link is shown by GET and consumed only by the POST that follows (mail scanners open
links). Issuing a new link of the same purpose revokes the open ones. Only the SHA-256
of the token is stored.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update

from core.db import UnitOfWork
from core.errors import LinkInvalid
from core.security import new_token, token_hash
from models.orm.identity import LinkPurpose, StaffLink
from services import cross_practice

LIFETIME = {
    LinkPurpose.invitation: timedelta(days=7),
    LinkPurpose.password_reset: timedelta(hours=1),
}
PATH = {LinkPurpose.invitation: "/invitation", LinkPurpose.password_reset: "/password/reset"}


def link_url(base_url: str, purpose: LinkPurpose, token: str) -> str:
    return f"{base_url}{PATH[purpose]}/{token}"


async def issue_link(
    uow: UnitOfWork,
    *,
    staff_id: uuid.UUID,
    purpose: LinkPurpose,
    now: datetime,
    created_by_id: uuid.UUID | None = None,
) -> str:
    await uow.session.execute(
        update(StaffLink)
        .where(
            StaffLink.practice_id == uow.practice_id,
            StaffLink.staff_id == staff_id,
            StaffLink.purpose == purpose,
            StaffLink.used_at.is_(None),
            StaffLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = new_token()
    uow.session.add(
        StaffLink(
            id=uuid.uuid4(),
            practice_id=uow.practice_id,
            staff_id=staff_id,
            purpose=purpose,
            token_hash=token_hash(token),
            expires_at=now + LIFETIME[purpose],
            created_by_id=created_by_id,
            created_at=now,
        )
    )
    await uow.session.flush()
    return token


async def open_link(
    uow: UnitOfWork, token: str, purpose: LinkPurpose, now: datetime, *, for_update: bool = False
) -> StaffLink:
    """The valid link for `token`, with the unit of work scoped to its practice.
    `for_update` (the consuming POST) locks it, so two submissions cannot both use it."""
    found = await cross_practice.link_by_token_hash(uow.session, token_hash(token))
    if found is None:
        raise LinkInvalid("This link is not valid. Check that you used the whole link.")
    await uow.set_practice(found.practice_id)
    query = select(StaffLink).where(
        StaffLink.practice_id == found.practice_id, StaffLink.id == found.id
    )
    link = await uow.session.scalar(query.with_for_update() if for_update else query)
    if link is None or link.purpose != purpose:
        raise LinkInvalid("This link is not valid. Check that you used the whole link.")
    if link.used_at is not None:
        raise LinkInvalid("This link was already used. Ask for a new one if you need it.")
    if link.revoked_at is not None:
        raise LinkInvalid("A newer link was sent since; use the most recent email.")
    if now >= link.expires_at:
        raise LinkInvalid("This link has expired. Ask for a new one.")
    return link


async def consume(uow: UnitOfWork, link: StaffLink, now: datetime) -> None:
    link.used_at = now
    await uow.session.flush()
