"""A staff member's own credentials: accepting an invitation, passwords, resets, TOTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import Conflict, InvalidInput, LinkInvalid
from core.security import token_hash
from models.orm.identity import LinkPurpose, StaffLink
from models.orm.practice import Practice
from models.orm.staff import StaffMember, StaffStatus
from services import cross_practice
from services.auth import sessions
from services.auth.links import LIFETIME, consume, issue_link, link_url, open_link
from services.auth.passwords import Passwords, policy_problem
from services.auth.totp import TotpKeys, accepted_step, new_seed, replace_recovery_codes
from services.mail.outbox import queue_mail
from services.practice_settings import settings_of
from services.staff import get_staff

RESET_REQUEST_GAP = timedelta(minutes=2)  # at most one reset email per account in this gap


@dataclass(frozen=True)
class Credentials:
    passwords: Passwords
    totp: TotpKeys


async def _set_password(
    uow: UnitOfWork,
    passwords: Passwords,
    member: StaffMember,
    practice: Practice,
    password: str,
    confirm: str,
    now: datetime,
) -> None:
    if password != confirm:
        raise InvalidInput(
            "The passwords differ", field_errors={"confirm": "Type the same password twice."}
        )
    problem = policy_problem(
        password, [member.email, member.display_name, practice.name, practice.link_name]
    )
    if problem:
        raise InvalidInput("Choose another password", field_errors={"password": problem})
    member.password_hash = await passwords.hash(password)
    member.password_changed_at = now
    await uow.session.flush()


async def practice_of(uow: UnitOfWork) -> Practice:
    practice = await uow.session.scalar(select(Practice).where(Practice.id == uow.practice_id))
    if practice is None:
        raise LinkInvalid("This link is not valid.")
    return practice


async def invitation_for(
    uow: UnitOfWork, token: str, now: datetime
) -> tuple[StaffMember, Practice]:
    link = await open_link(uow, token, LinkPurpose.invitation, now)
    member = await get_staff(uow, link.staff_id)
    if member.status != StaffStatus.invited:
        raise LinkInvalid("This invitation was already accepted. Sign in instead.")
    return member, await practice_of(uow)


async def accept_invitation(
    uow: UnitOfWork, passwords: Passwords, token: str, password: str, confirm: str, now: datetime
) -> StaffMember:
    link = await open_link(uow, token, LinkPurpose.invitation, now, for_update=True)
    member = await get_staff(uow, link.staff_id)
    if member.status != StaffStatus.invited:
        raise LinkInvalid("This invitation was already accepted. Sign in instead.")
    await _set_password(uow, passwords, member, await practice_of(uow), password, confirm, now)
    member.status = StaffStatus.active
    await consume(uow, link, now)
    return member


async def request_password_reset(uow: UnitOfWork, email: str, now: datetime, base_url: str) -> None:
    """Always the same outcome for the caller; mail goes only to an active account."""
    found = await cross_practice.staff_by_email(uow.session, email)
    if found is None:
        return
    await uow.set_practice(found.practice_id)
    member = await get_staff(uow, found.id)
    if member.status != StaffStatus.active:
        return
    recent = await uow.session.scalar(
        select(StaffLink.id).where(
            StaffLink.practice_id == uow.practice_id,
            StaffLink.staff_id == member.id,
            StaffLink.purpose == LinkPurpose.password_reset,
            StaffLink.created_at > now - RESET_REQUEST_GAP,
        )
    )
    if recent is not None:
        return
    practice = await practice_of(uow)
    token = await issue_link(uow, staff_id=member.id, purpose=LinkPurpose.password_reset, now=now)
    await queue_mail(
        uow,
        recipient=member.email,
        template="password_reset",
        context={
            "practice_name": practice.name,
            "link": link_url(base_url, LinkPurpose.password_reset, token),
            "minutes": int(LIFETIME[LinkPurpose.password_reset].total_seconds() // 60),
        },
        idempotency_key=f"password-reset:{token_hash(token).hex()}",  # one mail per link
    )


async def reset_link_holder(uow: UnitOfWork, token: str, now: datetime) -> StaffMember:
    link = await open_link(uow, token, LinkPurpose.password_reset, now)
    return await get_staff(uow, link.staff_id)


async def reset_password(
    uow: UnitOfWork, passwords: Passwords, token: str, password: str, confirm: str, now: datetime
) -> StaffMember:
    link = await open_link(uow, token, LinkPurpose.password_reset, now, for_update=True)
    member = await get_staff(uow, link.staff_id)
    if member.status != StaffStatus.active:
        raise LinkInvalid("This account is not active. Ask the practice owner.")
    await _set_password(uow, passwords, member, await practice_of(uow), password, confirm, now)
    await consume(uow, link, now)
    await sessions.revoke_all(uow, member.id, reason="password reset", now=now)
    return member


async def change_password(
    uow: UnitOfWork,
    passwords: Passwords,
    member: StaffMember,
    *,
    current: str,
    password: str,
    confirm: str,
    now: datetime,
    keep_session: object,
) -> None:
    """Re-authenticates first (ASVS 7.5.1); ends every other session of the person."""
    ok, _ = await passwords.verify(member.password_hash, current)
    if not ok:
        raise InvalidInput(
            "Password not changed", field_errors={"current": "That is not your current password."}
        )
    await _set_password(uow, passwords, member, await practice_of(uow), password, confirm, now)
    keep = getattr(keep_session, "id", None)
    await sessions.revoke_all(uow, member.id, reason="password changed", now=now, keep=keep)


async def begin_totp_setup(uow: UnitOfWork, keys: TotpKeys, member: StaffMember) -> str:
    seed = new_seed()
    member.totp_pending_secret_enc = keys.seal(seed)
    await uow.session.flush()
    return seed


def pending_seed(keys: TotpKeys, member: StaffMember) -> str | None:
    return keys.open(member.totp_pending_secret_enc) if member.totp_pending_secret_enc else None


async def confirm_totp(
    uow: UnitOfWork, keys: TotpKeys, member: StaffMember, code: str, now: datetime
) -> list[str]:
    seed = pending_seed(keys, member)
    if seed is None:
        raise Conflict("Start the set-up again: no pending authenticator.")
    step = accepted_step(seed, code, None, now)
    if step is None:
        raise InvalidInput(
            "Code not accepted",
            field_errors={"code": "That code is not valid; enter the current 6-digit code."},
        )
    member.totp_secret_enc = member.totp_pending_secret_enc
    member.totp_pending_secret_enc = None
    member.totp_enabled_at = now
    member.totp_last_step = step
    return await replace_recovery_codes(uow, keys, member, now)


async def disable_totp(
    uow: UnitOfWork, passwords: Passwords, member: StaffMember, practice: Practice, password: str
) -> None:
    if settings_of(practice).totp_required:
        raise Conflict("Your practice requires two-step sign-in; it cannot be turned off.")
    ok, _ = await passwords.verify(member.password_hash, password)
    if not ok:
        raise InvalidInput(
            "Not turned off", field_errors={"password": "That is not your password."}
        )
    member.totp_secret_enc = None
    member.totp_pending_secret_enc = None
    member.totp_enabled_at = None
    member.totp_last_step = None
    await uow.session.flush()


async def regenerate_recovery_codes(
    uow: UnitOfWork, creds: Credentials, member: StaffMember, password: str, now: datetime
) -> list[str]:
    ok, _ = await creds.passwords.verify(member.password_hash, password)
    if not ok:
        raise InvalidInput("No new codes", field_errors={"password": "That is not your password."})
    if member.totp_enabled_at is None:
        raise Conflict("Set up an authenticator first.")
    return await replace_recovery_codes(uow, creds.totp, member, now)
