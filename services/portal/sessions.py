"""Portal sessions: server-side, separate from staff sessions (their own cookie, scoped to
the practice's portal path), idle timeout 15 minutes, absolute lifetime 12 hours. The
cookie carries 256 random bits; the row stores their SHA-256. A session is found only
within the practice the URL names. `acting_person_id` is whom the account acts for now
(always one of its grants). `signed_in_with` is `link` (an invitation or emailed link) or
`passkey` (`passkey_id` says which); only a link session may add a passkey (PORT-3), and
removing a passkey ends the sessions it started."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from core.db import UnitOfWork
from core.security import new_token, token_hash
from models.orm.portal import PortalSession

IDLE = timedelta(minutes=15)
ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)


async def start(
    uow: UnitOfWork,
    *,
    account_id: uuid.UUID,
    acting_person_id: uuid.UUID | None,
    now: datetime,
    ip: str | None,
    user_agent: str | None,
    passkey_id: uuid.UUID | None = None,
) -> str:
    assert uow.practice_id is not None
    token = new_token()
    uow.session.add(
        PortalSession(
            id=uuid.uuid4(),
            practice_id=uow.practice_id,
            account_id=account_id,
            token_hash=token_hash(token),
            acting_person_id=acting_person_id,
            created_at=now,
            last_seen_at=now,
            absolute_expires_at=now + ABSOLUTE,
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
            signed_in_with="link" if passkey_id is None else "passkey",
            passkey_id=passkey_id,
        )
    )
    await uow.session.flush()
    return token


async def locate(uow: UnitOfWork, token: str, now: datetime) -> PortalSession | None:
    """The live session the cookie names, touched (at most once a minute); None when it
    is unknown here, revoked, idle for 15 minutes or past its 12 hours."""
    row: PortalSession | None = await uow.session.scalar(
        select(PortalSession).where(
            PortalSession.practice_id == uow.practice_id,
            PortalSession.token_hash == token_hash(token[:200]),
        )
    )
    if row is None or row.revoked_at is not None:
        return None
    if now >= row.absolute_expires_at or now - row.last_seen_at >= IDLE:
        row.revoked_at = now
        await uow.session.flush()
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        await uow.session.flush()
    return row


async def end(uow: UnitOfWork, row: PortalSession, now: datetime) -> None:
    row.revoked_at = now
    await uow.session.flush()
