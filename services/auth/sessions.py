"""Server-side staff sessions (OWASP ASVS V7, decisions.md "Portal access").

- The cookie carries 256 random bits; the row stores its SHA-256.
- Idle timeout: the practice setting (default 15 min, 5–30); absolute lifetime 12 h
  (NIST AAL2 re-authentication). Both are checked on every request.
- `last_seen_at` is written at most once a minute, so a busy page costs no extra write.
- A new session (new token) at every sign-in and when the second factor completes; the
  old one is revoked. Logout, password change/reset and deactivation revoke server-side.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from core.db import SessionMaker, UnitOfWork, set_practice
from core.security import new_token, token_hash
from models.orm.identity import MfaState, StaffSession
from services import cross_practice

ABSOLUTE_LIFETIME = timedelta(hours=12)
LAST_SEEN_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedSession:
    token: str
    session: StaffSession


async def start_session(
    uow: UnitOfWork,
    *,
    staff_id: uuid.UUID,
    mfa_state: MfaState,
    now: datetime,
    ip: str | None,
    user_agent: str | None,
    acting_for_id: uuid.UUID | None = None,
) -> IssuedSession:
    if uow.practice_id is None:
        raise RuntimeError("a session belongs to a practice")
    token = new_token()
    row = StaffSession(
        id=uuid.uuid4(),
        practice_id=uow.practice_id,
        staff_id=staff_id,
        token_hash=token_hash(token),
        mfa_state=mfa_state,
        acting_for_id=acting_for_id,
        created_at=now,
        last_seen_at=now,
        absolute_expires_at=now + ABSOLUTE_LIFETIME,
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
    )
    uow.session.add(row)
    await uow.session.flush()
    return IssuedSession(token, row)


async def locate_session(uow: UnitOfWork, token: str) -> StaffSession | None:
    """Find the session a cookie names and scope the unit of work to its practice."""
    found = await cross_practice.session_by_token_hash(uow.session, token_hash(token))
    if found is None:
        return None
    await uow.set_practice(found.practice_id)
    row: StaffSession | None = await uow.session.scalar(
        select(StaffSession).where(
            StaffSession.practice_id == found.practice_id, StaffSession.id == found.id
        )
    )
    return row


def expiry_reason(row: StaffSession, now: datetime, idle_timeout: timedelta) -> str | None:
    if row.revoked_at is not None:
        return "revoked"
    if now >= row.absolute_expires_at:
        return "absolute"
    if now - row.last_seen_at >= idle_timeout:
        return "idle"
    return None


def needs_touch(row: StaffSession, now: datetime) -> bool:
    return now - row.last_seen_at >= LAST_SEEN_EVERY


async def touch_apart(sessionmaker: SessionMaker, row: StaffSession, now: datetime) -> None:
    async with sessionmaker() as session, session.begin():
        await set_practice(session, row.practice_id)
        await session.execute(
            update(StaffSession)
            .where(StaffSession.practice_id == row.practice_id, StaffSession.id == row.id)
            .values(last_seen_at=now)
        )


async def revoke(uow: UnitOfWork, row: StaffSession, *, reason: str, now: datetime) -> None:
    if row.revoked_at is None:
        row.revoked_at = now
        row.revoked_reason = reason
        await uow.session.flush()


async def revoke_all(
    uow: UnitOfWork,
    staff_id: uuid.UUID,
    *,
    reason: str,
    now: datetime,
    keep: uuid.UUID | None = None,
) -> int:
    stmt = (
        update(StaffSession)
        .where(
            StaffSession.practice_id == uow.practice_id,
            StaffSession.staff_id == staff_id,
            StaffSession.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_reason=reason)
    )
    if keep is not None:
        stmt = stmt.where(StaffSession.id != keep)
    result = await uow.session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def active_sessions(
    uow: UnitOfWork, staff_id: uuid.UUID, now: datetime
) -> list[StaffSession]:
    rows = await uow.session.scalars(
        select(StaffSession)
        .where(
            StaffSession.practice_id == uow.practice_id,
            StaffSession.staff_id == staff_id,
            StaffSession.revoked_at.is_(None),
            StaffSession.absolute_expires_at > now,
        )
        .order_by(StaffSession.last_seen_at.desc())
    )
    return list(rows)
