"""Staff of a practice: invitation, roles, supervision defaults, acting-for grants,
deactivation. Callers check `services.access.can` first; these functions keep the
practice's own invariants (a practice always keeps an active owner; an associate always
has a supervising clinician; admins are never supervisors or acted for)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.db import UnitOfWork
from core.errors import Conflict, InvalidInput, NotFound
from core.security import token_hash
from models.orm.identity import ActingForGrant, LinkPurpose, StaffLink
from models.orm.practice import Practice
from models.orm.staff import StaffMember, StaffRole, StaffStatus
from services.auth import api_tokens, sessions
from services.auth.links import LIFETIME, issue_link, link_url
from services.email_address import normalise_email
from services.mail.outbox import queue_mail
from services.tasks.commands import hand_over_open_tasks

DeactivationHook = Callable[[UnitOfWork, StaffMember, datetime], Awaitable[None]]
# Later capabilities register what deactivation must also end (feed tokens, reassignment).
DEACTIVATION_HOOKS: list[DeactivationHook] = []


async def get_staff(uow: UnitOfWork, staff_id: uuid.UUID) -> StaffMember:
    member = await uow.session.scalar(
        select(StaffMember).where(
            StaffMember.practice_id == uow.practice_id, StaffMember.id == staff_id
        )
    )
    if member is None:
        raise NotFound("No such staff member")
    return member


async def list_staff(uow: UnitOfWork) -> list[StaffMember]:
    rows = await uow.session.scalars(
        select(StaffMember)
        .where(StaffMember.practice_id == uow.practice_id)
        .order_by(
            StaffMember.status == StaffStatus.deactivated, func.lower(StaffMember.display_name)
        )
    )
    return list(rows)


async def add_staff_member(
    uow: UnitOfWork,
    *,
    email: str,
    display_name: str,
    role: StaffRole,
    status: StaffStatus = StaffStatus.invited,
    supervisor_id: uuid.UUID | None = None,
) -> StaffMember:
    if uow.practice_id is None:
        raise NotFound("No practice selected")
    errors: dict[str, str] = {}
    try:
        email = normalise_email(email)
    except InvalidInput as exc:
        errors.update(exc.field_errors)
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 200:
        errors["display_name"] = "Enter a name (up to 200 characters)."
    if errors:
        raise InvalidInput("The staff member could not be added", field_errors=errors)
    if role is StaffRole.associate:
        supervisor_id = await _checked_supervisor(uow, supervisor_id, None)
    member = StaffMember(
        id=uuid.uuid4(),
        practice_id=uow.practice_id,
        email=email,
        display_name=display_name,
        role=role,
        status=status,
        supervisor_id=supervisor_id if role is StaffRole.associate else None,
    )
    # Email is unique across the installation, but row-level security shows only this
    # practice: the unique index is the final word, inside a savepoint so the rest of the
    # unit of work survives the refusal.
    try:
        async with uow.session.begin_nested():
            uow.session.add(member)
            await uow.session.flush()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if constraint != "uq_staff_members_email":
            raise
        raise Conflict(
            "Email already in use",
            field_errors={"email": "A staff account already uses this email."},
        ) from None
    return member


async def _checked_supervisor(
    uow: UnitOfWork, supervisor_id: uuid.UUID | None, associate_id: uuid.UUID | None
) -> uuid.UUID:
    if supervisor_id is None:
        owner = await uow.session.scalar(
            select(StaffMember.id)
            .where(
                StaffMember.practice_id == uow.practice_id,
                StaffMember.role == StaffRole.owner,
                StaffMember.status != StaffStatus.deactivated,
            )
            .order_by(StaffMember.created_at)
        )
        if owner is None:
            raise InvalidInput(
                "Choose a supervisor",
                field_errors={"supervisor_id": "An associate needs a supervising clinician."},
            )
        return owner  # SUPV-2: the owner supervises by default
    supervisor = await uow.session.scalar(
        select(StaffMember).where(
            StaffMember.practice_id == uow.practice_id, StaffMember.id == supervisor_id
        )
    )
    if (
        supervisor is None
        or supervisor.id == associate_id
        or supervisor.role not in (StaffRole.owner, StaffRole.provider)
        or supervisor.status == StaffStatus.deactivated
    ):
        raise InvalidInput(
            "Choose a supervisor",
            field_errors={"supervisor_id": "Choose an active owner or provider."},
        )
    return supervisor.id


async def invite_staff(
    uow: UnitOfWork,
    practice: Practice,
    *,
    email: str,
    display_name: str,
    role: StaffRole,
    supervisor_id: uuid.UUID | None,
    invited_by: uuid.UUID | None,
    now: datetime,
    base_url: str,
) -> tuple[StaffMember, str]:
    member = await add_staff_member(
        uow, email=email, display_name=display_name, role=role, supervisor_id=supervisor_id
    )
    token = await send_invitation(
        uow, practice, member, invited_by=invited_by, now=now, base_url=base_url
    )
    return member, token


async def send_invitation(
    uow: UnitOfWork,
    practice: Practice,
    member: StaffMember,
    *,
    invited_by: uuid.UUID | None,
    now: datetime,
    base_url: str,
) -> str:
    if member.status != StaffStatus.invited:
        raise Conflict("This person has already accepted their invitation.")
    token = await issue_link(
        uow, staff_id=member.id, purpose=LinkPurpose.invitation, now=now, created_by_id=invited_by
    )
    await queue_mail(
        uow,
        recipient=member.email,
        template="staff_invitation",
        context={
            "practice_name": practice.name,
            "link": link_url(base_url, LinkPurpose.invitation, token),
            "days": LIFETIME[LinkPurpose.invitation].days,
        },
        idempotency_key=f"staff-invitation:{token_hash(token).hex()}",  # one mail per link
        created_by_staff_id=invited_by,
    )
    return token


async def _active_owners(uow: UnitOfWork) -> int:
    count = await uow.session.scalar(
        select(func.count())
        .select_from(StaffMember)
        .where(
            StaffMember.practice_id == uow.practice_id,
            StaffMember.role == StaffRole.owner,
            StaffMember.status == StaffStatus.active,
        )
    )
    return int(count or 0)


async def change_role(
    uow: UnitOfWork,
    member: StaffMember,
    *,
    role: StaffRole,
    supervisor_id: uuid.UUID | None,
    changed_by: uuid.UUID,
    now: datetime,
) -> None:
    if member.id == changed_by and role != member.role:
        raise Conflict("You cannot change your own role; ask another owner.")
    if (
        member.role == StaffRole.owner
        and role != StaffRole.owner
        and member.status == StaffStatus.active
        and await _active_owners(uow) <= 1
    ):
        raise Conflict("A practice needs at least one active owner.")
    if role is StaffRole.associate:
        member.supervisor_id = await _checked_supervisor(uow, supervisor_id, member.id)
    else:
        member.supervisor_id = None
    if member.role != role:
        if member.role == StaffRole.admin or role == StaffRole.admin:
            await _revoke_grants_of(uow, member.id, now)
        member.role = role
    await uow.session.flush()


async def _revoke_grants_of(uow: UnitOfWork, staff_id: uuid.UUID, now: datetime) -> None:
    await uow.session.execute(
        update(ActingForGrant)
        .where(
            ActingForGrant.practice_id == uow.practice_id,
            ActingForGrant.revoked_at.is_(None),
            (ActingForGrant.admin_id == staff_id) | (ActingForGrant.provider_id == staff_id),
        )
        .values(revoked_at=now)
    )


async def deactivate(
    uow: UnitOfWork, member: StaffMember, *, deactivated_by: uuid.UUID, now: datetime
) -> None:
    """Ends every way in: sessions, API tokens, open links, acting-for grants, and what
    later capabilities register in DEACTIVATION_HOOKS; open tasks go to the senior owner."""
    if member.id == deactivated_by:
        raise Conflict("You cannot deactivate yourself.")
    if member.status == StaffStatus.deactivated:
        return
    last_owner = member.role == StaffRole.owner and member.status == StaffStatus.active
    if last_owner and await _active_owners(uow) <= 1:
        raise Conflict("A practice needs at least one active owner.")
    member.status = StaffStatus.deactivated
    member.deactivated_at = now
    await sessions.revoke_all(uow, member.id, reason="deactivated", now=now)
    await api_tokens.revoke_all_tokens(uow, member.id, now)
    await uow.session.execute(
        update(StaffLink)
        .where(
            StaffLink.practice_id == uow.practice_id,
            StaffLink.staff_id == member.id,
            StaffLink.used_at.is_(None),
            StaffLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    await _revoke_grants_of(uow, member.id, now)
    await hand_over_open_tasks(uow, member.id, now)  # nothing waits on someone who left
    for hook in DEACTIVATION_HOOKS:
        await hook(uow, member, now)
    await uow.session.flush()


async def reactivate(uow: UnitOfWork, member: StaffMember) -> None:
    """Back in: active when a password is set, else invited again (send a new invitation)."""
    if member.status != StaffStatus.deactivated:
        return
    member.status = StaffStatus.active if member.password_hash else StaffStatus.invited
    member.deactivated_at = None
    await uow.session.flush()


async def grants_in_practice(uow: UnitOfWork) -> list[ActingForGrant]:
    rows = await uow.session.scalars(
        select(ActingForGrant)
        .where(ActingForGrant.practice_id == uow.practice_id, ActingForGrant.revoked_at.is_(None))
        .order_by(ActingForGrant.created_at)
    )
    return list(rows)


async def grant_acting_for(
    uow: UnitOfWork,
    *,
    admin_id: uuid.UUID,
    provider_id: uuid.UUID,
    granted_by: uuid.UUID,
    now: datetime,
) -> None:
    admin = await get_staff(uow, admin_id)
    provider = await get_staff(uow, provider_id)
    if admin.role != StaffRole.admin or admin.status == StaffStatus.deactivated:
        raise InvalidInput(
            "Only an active admin can act for a provider.",
            field_errors={"admin_id": "Choose an active admin."},
        )
    if provider.role == StaffRole.admin or provider.status == StaffStatus.deactivated:
        raise InvalidInput(
            "Admins act for clinicians.",
            field_errors={"provider_id": "Choose an active owner, provider or associate."},
        )
    exists = await uow.session.scalar(
        select(ActingForGrant.id).where(
            ActingForGrant.practice_id == uow.practice_id,
            ActingForGrant.admin_id == admin_id,
            ActingForGrant.provider_id == provider_id,
            ActingForGrant.revoked_at.is_(None),
        )
    )
    if exists is not None:
        return
    uow.session.add(
        ActingForGrant(
            id=uuid.uuid4(),
            practice_id=uow.practice_id,
            admin_id=admin_id,
            provider_id=provider_id,
            granted_by_id=granted_by,
            created_at=now,
        )
    )
    await uow.session.flush()


async def revoke_grant(uow: UnitOfWork, grant_id: uuid.UUID, now: datetime) -> ActingForGrant:
    grant = await uow.session.scalar(
        select(ActingForGrant).where(
            ActingForGrant.practice_id == uow.practice_id, ActingForGrant.id == grant_id
        )
    )
    if grant is None:
        raise NotFound("No such grant")
    if grant.revoked_at is None:
        grant.revoked_at = now
        await uow.session.flush()
    return grant


def _register_hooks() -> None:
    from services.scheduling.feeds import revoke_on_deactivation  # (scheduling builds on staff)

    if revoke_on_deactivation not in DEACTIVATION_HOOKS:
        DEACTIVATION_HOOKS.append(revoke_on_deactivation)


_register_hooks()
