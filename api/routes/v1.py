"""JSON API `/api/v1`: personal API tokens (Bearer) or the session; problem+json errors."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CurrentStaff
from api.deps import Audit, Uow
from api.routing import AppRoute
from models.schemas.staff import MeRead, StaffRead
from services.access import Action, require
from services.staff import list_staff

router = APIRouter(route_class=AppRoute, prefix="/api/v1", tags=["staff"])


@router.get("/me", name="api.me", response_model=MeRead)
async def me(me: CurrentStaff) -> MeRead:
    member = me.member
    return MeRead(
        id=member.id,
        display_name=member.display_name,
        email=member.email,
        role=member.role,
        practice_id=member.practice_id,
        practice_name=me.practice.name,
        acting_for_id=me.actor.acting_for_id,
        two_step_sign_in=member.totp_enabled,
        last_login_at=member.last_login_at,
    )


@router.get("/staff", name="api.staff_list", response_model=list[StaffRead])
async def staff(uow: Uow, me: CurrentStaff, audit: Audit) -> list[StaffRead]:
    require(me.actor, Action.view_staff_directory)
    members = await list_staff(uow)
    audit.subject("staff_member", [m.id for m in members])
    return [
        StaffRead(
            id=m.id,
            display_name=m.display_name,
            role=m.role,
            status=m.status,
            supervisor_id=m.supervisor_id,
        )
        for m in members
    ]
