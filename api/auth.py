"""Who is asking: the staff session cookie or a personal API token, resolved into an
`Actor` (services.access) for the one policy function.

Resolution crosses practices only through the `xp_*` lookups (by the hash of the secret),
then scopes the unit of work to the practice found, so every later query in the request
runs under that practice's row-level security. The audit trail learns the actor, the
practice and — for an admin working for a provider — whom they act for.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from sqlalchemy import select

from api.context import AuditTrail
from api.cookies import names_for
from api.deps import Uow
from core.clock import Clock
from core.db import UnitOfWork
from core.errors import NotAuthenticated
from models.orm.audit import ActorType
from models.orm.identity import ActingForGrant, MfaState, StaffSession
from models.orm.practice import Practice
from models.orm.staff import StaffMember, StaffRole, StaffStatus
from services.access import Actor
from services.auth import api_tokens, sessions
from services.practice_settings import PracticeSettings, settings_of


@dataclass
class Authenticated:
    actor: Actor
    member: StaffMember
    practice: Practice
    settings: PracticeSettings
    session: StaffSession | None  # None for an API token
    acting_for: StaffMember | None = None
    # Plain copies for the page layout: an error page renders after the request's
    # transaction was rolled back and its session closed, when ORM objects are detached.
    display_name: str = ""
    practice_name: str = ""
    acting_for_name: str | None = None


def now_of(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock.now()


def today_of(request: Request, me: Authenticated) -> date:
    """Today in the practice's time zone (the day forms default to)."""
    return now_of(request).astimezone(ZoneInfo(me.practice.timezone)).date()


async def _load(uow: UnitOfWork, staff_id: uuid.UUID) -> tuple[StaffMember, Practice] | None:
    row = (
        await uow.session.execute(
            select(StaffMember, Practice)
            .join(Practice, Practice.id == StaffMember.practice_id)
            .where(StaffMember.practice_id == uow.practice_id, StaffMember.id == staff_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def _actor(
    uow: UnitOfWork,
    member: StaffMember,
    settings: PracticeSettings,
    session: StaffSession | None,
) -> tuple[Actor, StaffMember | None]:
    grants: frozenset[uuid.UUID] = frozenset()
    supervisees: frozenset[uuid.UUID] = frozenset()
    if member.role == StaffRole.admin:
        grants = frozenset(
            await uow.session.scalars(
                select(ActingForGrant.provider_id).where(
                    ActingForGrant.practice_id == uow.practice_id,
                    ActingForGrant.admin_id == member.id,
                    ActingForGrant.revoked_at.is_(None),
                )
            )
        )
    else:
        supervisees = frozenset(
            await uow.session.scalars(
                select(StaffMember.id).where(
                    StaffMember.practice_id == uow.practice_id,
                    StaffMember.supervisor_id == member.id,
                )
            )
        )
    acting_for: StaffMember | None = None
    if session is not None and session.acting_for_id is not None:
        allowed = member.role == StaffRole.owner or session.acting_for_id in grants
        candidate = (
            await uow.session.scalar(
                select(StaffMember).where(
                    StaffMember.practice_id == uow.practice_id,
                    StaffMember.id == session.acting_for_id,
                )
            )
            if allowed
            else None
        )
        if candidate is not None and candidate.status == StaffStatus.active:
            acting_for = candidate
        else:
            session.acting_for_id = None  # the grant was revoked: delegated mode ends
    actor = Actor(
        staff_id=member.id,
        practice_id=member.practice_id,
        role=StaffRole(member.role),
        display_name=member.display_name,
        admin_areas=frozenset(settings.admin_areas),
        acting_for_grants=grants,
        supervisees=supervisees,
        acting_for_id=acting_for.id if acting_for else None,
        session_id=session.id if session else None,
    )
    return actor, acting_for


async def resolve(
    request: Request, uow: UnitOfWork, *, allow_pending: bool = False
) -> Authenticated | None:
    now = now_of(request)
    bearer = request.headers.get("authorization", "")
    if request.url.path.startswith("/api/") and bearer.lower().startswith("bearer "):
        # Tokens are for the JSON API only: a leaked token cannot use the pages (mint
        # tokens, invite staff); and on /api a Bearer request ignores cookies entirely.
        token = await api_tokens.locate_token(uow, bearer[7:].strip(), now)
        if token is None:
            return None
        loaded = await _load(uow, token.staff_id)
        session: StaffSession | None = None
    else:
        cookie = request.cookies.get(names_for(request).session)
        if not cookie:
            return None
        session = await sessions.locate_session(uow, cookie)
        if session is None:
            return None
        loaded = await _load(uow, session.staff_id)
    if loaded is None:
        return None
    member, practice = loaded
    if member.status != StaffStatus.active:
        return None
    settings = settings_of(practice)
    if session is not None:
        idle = timedelta(minutes=settings.idle_timeout_minutes)
        if sessions.expiry_reason(session, now, idle) is not None:
            return None
        if session.mfa_state != MfaState.complete and not allow_pending:
            return None
        if sessions.needs_touch(session, now):
            # Its own transaction: activity counts even when the request ends in a form
            # error (which rolls the request's own work back).
            await sessions.touch_apart(request.app.state.sessionmaker, session, now)
    actor, acting_for = await _actor(uow, member, settings, session)
    auth = Authenticated(
        actor,
        member,
        practice,
        settings,
        session,
        acting_for,
        display_name=member.display_name,
        practice_name=practice.name,
        acting_for_name=acting_for.display_name if acting_for else None,
    )
    request.state.auth = auth
    trail: AuditTrail | None = getattr(request.state, "audit", None)
    if trail is not None:
        trail.actor_type = ActorType.staff
        trail.actor_id = member.id
        trail.acting_for_id = actor.acting_for_id
        trail.practice_id = member.practice_id
    return auth


async def current_staff(request: Request, uow: Uow) -> Authenticated:
    auth = await resolve(request, uow)
    if auth is None:
        raise NotAuthenticated("Please sign in.")
    return auth


async def pending_staff(request: Request, uow: Uow) -> Authenticated:
    """A session that passed the password but not yet the second factor (or its set-up)."""
    auth = await resolve(request, uow, allow_pending=True)
    if auth is None or auth.session is None:
        raise NotAuthenticated("Please sign in.")
    return auth


CurrentStaff = Annotated[Authenticated, Depends(current_staff)]
PendingStaff = Annotated[Authenticated, Depends(pending_staff)]
