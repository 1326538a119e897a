"""Signing in: password, then (when set up) the second factor.

One answer for an unknown email, a wrong password, an account not yet accepted and a
deactivated account ("Email or password is incorrect"), and the same time to give it
(a dummy hash is verified when there is no account). The lookup by email crosses
practices through `services.cross_practice.staff_by_email` (ids only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text

from core.db import SessionMaker, UnitOfWork, set_practice
from core.errors import InvalidCredentials, InvalidInput, TooManyAttempts
from models.orm.identity import MfaState, StaffSession
from models.orm.practice import Practice
from models.orm.staff import StaffMember, StaffStatus
from services import cross_practice
from services.auth import sessions
from services.auth.passwords import Passwords
from services.auth.throttle import Throttle
from services.auth.totp import TotpKeys, accepted_step, use_recovery_code
from services.practice_settings import settings_of

MAX_CODE_FAILURES = 5  # per sign-in; then the half-open session ends
WRONG = "Email or password is incorrect."


@dataclass(frozen=True)
class Authenticator:
    passwords: Passwords
    throttle: Throttle
    totp: TotpKeys
    sessionmaker: SessionMaker  # for counters that must outlive a refused request


async def sign_in(
    uow: UnitOfWork,
    auth: Authenticator,
    *,
    email: str,
    password: str,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
) -> sessions.IssuedSession:
    email = email.strip()
    if not email or not password:
        raise InvalidInput(
            "Enter your email and password.",
            field_errors={
                k: "Required." for k, v in (("email", email), ("password", password)) if not v
            },
        )
    if await auth.throttle.locked_until(email, ip, now) is not None:
        raise TooManyAttempts("Too many sign-in attempts. Wait 15 minutes and try again.")
    member, practice = await _account(uow, email)
    usable = member is not None and member.status == StaffStatus.active
    stored = member.password_hash if usable and member is not None else None
    ok, rehashed = await auth.passwords.verify(stored, password)
    if not ok or member is None or practice is None:
        await auth.throttle.failed(email, ip, now)
        raise InvalidCredentials(WRONG)
    if rehashed is not None:
        member.password_hash = rehashed
    if member.totp_enabled:
        state = MfaState.totp_required
    elif settings_of(practice).totp_required:
        state = MfaState.setup_required
    else:
        state = MfaState.complete
        member.last_login_at = now
        # The counters clear only when the whole sign-in is done (see complete()).
        await auth.throttle.succeeded(email, ip, now)
    return await sessions.start_session(
        uow, staff_id=member.id, mfa_state=state, now=now, ip=ip, user_agent=user_agent
    )


async def _account(uow: UnitOfWork, email: str) -> tuple[StaffMember | None, Practice | None]:
    found = await cross_practice.staff_by_email(uow.session, email)
    if found is None:
        return None, None
    await uow.set_practice(found.practice_id)
    row = (
        await uow.session.execute(
            select(StaffMember, Practice)
            .join(Practice, Practice.id == StaffMember.practice_id)
            .where(StaffMember.practice_id == found.practice_id, StaffMember.id == found.id)
        )
    ).first()
    return (row[0], row[1]) if row else (None, None)


async def second_factor(
    uow: UnitOfWork,
    auth: Authenticator,
    session_row: StaffSession,
    member: StaffMember,
    *,
    code: str,
    now: datetime,
    ip: str | None,
    user_agent: str | None,
) -> sessions.IssuedSession:
    """A TOTP code or a recovery code completes the sign-in with a fresh session id.
    Wrong codes count per session (5, then sign in again) and per account across
    sign-ins (10 in 15 minutes), so a stolen password does not buy endless guesses."""
    if await auth.throttle.codes_locked(member.id, now):
        raise TooManyAttempts("Too many wrong codes. Wait 15 minutes and sign in again.")
    seed = auth.totp.open(member.totp_secret_enc) if member.totp_secret_enc else None
    step = accepted_step(seed, code, member.totp_last_step, now) if seed else None
    accepted = step is not None and await _claim_step(uow, member, step)
    if not accepted and not await use_recovery_code(uow, auth.totp, member, code, now):
        await auth.throttle.code_failed(member.id, now)
        await _count_code_failure(auth, session_row, now)
        raise InvalidInput(
            "Code not accepted",
            field_errors={
                "code": "That code is not valid. Enter the current code or a recovery code."
            },
        )
    await auth.throttle.code_succeeded(member.id)
    return await complete(uow, auth, session_row, member, now=now, ip=ip, user_agent=user_agent)


async def _claim_step(uow: UnitOfWork, member: StaffMember, step: int) -> bool:
    """Use a code's time step once, even when two requests bring it at the same moment."""
    claimed = await uow.session.scalar(
        text(
            "UPDATE staff_members SET totp_last_step = :step"
            " WHERE practice_id = :p AND id = :id"
            " AND (totp_last_step IS NULL OR totp_last_step < :step) RETURNING id"
        ),
        {"step": step, "p": member.practice_id, "id": member.id},
    )
    return claimed is not None


async def complete(
    uow: UnitOfWork,
    auth: Authenticator,
    session_row: StaffSession,
    member: StaffMember,
    *,
    now: datetime,
    ip: str | None,
    user_agent: str | None,
) -> sessions.IssuedSession:
    """End the half-open session and start a complete one (a new id: ASVS 7.2.4)."""
    await sessions.revoke(uow, session_row, reason="second factor done", now=now)
    member.last_login_at = now
    await auth.throttle.succeeded(member.email, ip, now)
    return await sessions.start_session(
        uow, staff_id=member.id, mfa_state=MfaState.complete, now=now, ip=ip, user_agent=user_agent
    )


async def _count_code_failure(
    auth: Authenticator, session_row: StaffSession, now: datetime
) -> None:
    # Its own transaction: the refused request rolls back, the count must stay.
    async with auth.sessionmaker() as session, session.begin():
        await set_practice(session, session_row.practice_id)
        failures = await session.scalar(
            text(
                "UPDATE staff_sessions SET totp_failures = totp_failures + 1 "
                "WHERE practice_id = :p AND id = :s RETURNING totp_failures"
            ),
            {"p": session_row.practice_id, "s": session_row.id},
        )
        if failures is not None and failures >= MAX_CODE_FAILURES:
            await session.execute(
                text(
                    "UPDATE staff_sessions SET revoked_at = :now,"
                    " revoked_reason = 'too many codes' WHERE practice_id = :p AND id = :s"
                ),
                {"now": now, "p": session_row.practice_id, "s": session_row.id},
            )
    if failures is not None and failures >= MAX_CODE_FAILURES:
        raise TooManyAttempts("Too many wrong codes. Sign in again.")
