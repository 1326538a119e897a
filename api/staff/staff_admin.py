"""Settings → Staff: invite, roles and supervision, acting-for grants, deactivation."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import Authenticated, CurrentStaff, now_of
from api.deps import Audit, Uow
from api.pages import redirect, render
from api.routing import AppRoute
from api.staff.forms import field, read_form, uuid_field
from api.staff.settings import page
from core.db import UnitOfWork
from core.errors import DomainError, InvalidInput, NotFound
from models.orm.staff import StaffMember, StaffRole
from services import staff as staff_service
from services.access import Action, require

router = APIRouter(route_class=AppRoute, prefix="/settings/staff", include_in_schema=False)

ROLE_LABELS = {
    StaffRole.owner: "Owner",
    StaffRole.provider: "Provider",
    StaffRole.associate: "Associate",
    StaffRole.admin: "Admin",
}


def _role(value: str, me: Authenticated) -> StaffRole:
    if value not in StaffRole.__members__:
        raise InvalidInput("Choose a role", field_errors={"role": "Choose one of the roles."})
    role = StaffRole(value)
    if role is StaffRole.owner:
        require(me.actor, Action.grant_owner_role)
    return role


async def _directory(uow: UnitOfWork, me: Authenticated, **extra: Any) -> dict[str, Any]:
    members = await staff_service.list_staff(uow)
    by_id = {m.id: m for m in members}
    grants = await staff_service.grants_in_practice(uow)
    return page(
        me,
        "staff",
        members=members,
        by_id=by_id,
        grants=grants,
        role_labels=ROLE_LABELS,
        supervisor_options=[
            (m.id, m.display_name)
            for m in members
            if m.role in (StaffRole.owner, StaffRole.provider) and m.status == "active"
        ],
        **extra,
    )


@router.get("", name="staff.list")
async def staff_list(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    require(me.actor, Action.manage_staff)
    context = await _directory(uow, me)
    audit.subject("staff_member", [m.id for m in context["members"]])
    return render(request, "settings/staff_list.html", context)


@router.get("/invite", name="staff.invite_form")
async def invite_form(request: Request, uow: Uow, me: CurrentStaff) -> Response:
    require(me.actor, Action.manage_staff)
    return render(request, "settings/staff_invite.html", await _directory(uow, me, values={}))


@router.post("/invite", name="staff.invite")
async def invite(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    require(me.actor, Action.manage_staff)
    form = await read_form(request)
    values = {k: field(form, k, 254) for k in ("email", "display_name", "role", "supervisor_id")}
    try:
        member, _ = await staff_service.invite_staff(
            uow,
            me.practice,
            email=values["email"],
            display_name=values["display_name"],
            role=_role(values["role"], me),
            supervisor_id=uuid_field(form, "supervisor_id"),
            invited_by=me.member.id,
            now=now_of(request),
            base_url=request.app.state.settings.APP_BASE_URL,
        )
    except DomainError as exc:
        context = await _directory(
            uow, me, values=values, errors=exc.field_errors, error=exc.message
        )
        return render(request, "settings/staff_invite.html", context, status=exc.status)
    audit.subject("staff_member", [member.id])
    return redirect(
        request,
        f"/settings/staff/{member.id}",
        f"Invitation sent to {member.email}. The link works for 7 days.",
    )


async def _member(
    uow: UnitOfWork, me: Authenticated, staff_id: uuid.UUID, audit: Any
) -> StaffMember:
    require(me.actor, Action.manage_staff)
    member = await staff_service.get_staff(uow, staff_id)  # another practice's id: 404
    audit.subject("staff_member", [member.id])
    return member


async def _member_to_change(
    uow: UnitOfWork, me: Authenticated, staff_id: uuid.UUID, audit: Any
) -> StaffMember:
    """A member whose account is switched off, on or re-invited: an owner's only by
    someone who may grant the owner role."""
    member = await _member(uow, me, staff_id, audit)
    if member.role == StaffRole.owner:
        require(me.actor, Action.grant_owner_role)
    return member


@router.get("/{staff_id}", name="staff.detail")
async def detail(
    request: Request, uow: Uow, me: CurrentStaff, audit: Audit, staff_id: uuid.UUID
) -> Response:
    member = await _member(uow, me, staff_id, audit)
    return render(request, "settings/staff_detail.html", await _directory(uow, me, member=member))


@router.post("/{staff_id}/role", name="staff.change_role")
async def change_role(
    request: Request, uow: Uow, me: CurrentStaff, audit: Audit, staff_id: uuid.UUID
) -> Response:
    member = await _member(uow, me, staff_id, audit)
    form = await read_form(request)
    try:
        role = _role(field(form, "role", 20), me)
        if member.role == StaffRole.owner and role is not StaffRole.owner:
            require(me.actor, Action.grant_owner_role)
        await staff_service.change_role(
            uow,
            member,
            role=role,
            supervisor_id=uuid_field(form, "supervisor_id"),
            changed_by=me.member.id,
            now=now_of(request),
        )
    except DomainError as exc:
        context = await _directory(
            uow, me, member=member, errors=exc.field_errors, error=exc.message
        )
        return render(request, "settings/staff_detail.html", context, status=exc.status)
    return redirect(request, f"/settings/staff/{member.id}", "Role and supervision saved.")


@router.post("/{staff_id}/deactivate", name="staff.deactivate")
async def deactivate(
    request: Request, uow: Uow, me: CurrentStaff, audit: Audit, staff_id: uuid.UUID
) -> Response:
    member = await _member_to_change(uow, me, staff_id, audit)
    try:
        await staff_service.deactivate(
            uow, member, deactivated_by=me.member.id, now=now_of(request)
        )
    except DomainError as exc:
        context = await _directory(uow, me, member=member, error=exc.message)
        return render(request, "settings/staff_detail.html", context, status=exc.status)
    return redirect(
        request,
        f"/settings/staff/{member.id}",
        f"{member.display_name} is deactivated: signed out everywhere, API tokens "
        "and links revoked.",
    )


@router.post("/{staff_id}/reactivate", name="staff.reactivate")
async def reactivate(
    request: Request, uow: Uow, me: CurrentStaff, audit: Audit, staff_id: uuid.UUID
) -> Response:
    member = await _member_to_change(uow, me, staff_id, audit)
    await staff_service.reactivate(uow, member)
    return redirect(
        request, f"/settings/staff/{member.id}", f"{member.display_name} is active again."
    )


@router.post("/{staff_id}/resend", name="staff.resend_invitation")
async def resend(
    request: Request, uow: Uow, me: CurrentStaff, audit: Audit, staff_id: uuid.UUID
) -> Response:
    member = await _member_to_change(uow, me, staff_id, audit)
    try:
        await staff_service.send_invitation(
            uow,
            me.practice,
            member,
            invited_by=me.member.id,
            now=now_of(request),
            base_url=request.app.state.settings.APP_BASE_URL,
        )
    except DomainError as exc:
        context = await _directory(uow, me, member=member, error=exc.message)
        return render(request, "settings/staff_detail.html", context, status=exc.status)
    return redirect(
        request,
        f"/settings/staff/{member.id}",
        "A new invitation is on its way; the earlier link no longer works.",
    )


@router.post("/grants", name="staff.grant_acting_for")
async def grant(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    require(me.actor, Action.manage_acting_for_grants)
    form = await read_form(request)
    admin_id, provider_id = uuid_field(form, "admin_id"), uuid_field(form, "provider_id")
    try:
        if admin_id is None or provider_id is None:
            raise InvalidInput("Choose an admin and a provider.")
        await staff_service.grant_acting_for(
            uow,
            admin_id=admin_id,
            provider_id=provider_id,
            granted_by=me.member.id,
            now=now_of(request),
        )
    except (DomainError, NotFound) as exc:
        context = await _directory(uow, me, error=exc.message)
        return render(request, "settings/staff_list.html", context, status=exc.status)
    audit.subject("staff_member", [admin_id, provider_id])
    return redirect(request, "/settings/staff", "The admin may now act for that provider.")


@router.post("/grants/{grant_id}/revoke", name="staff.revoke_acting_for")
async def revoke(
    request: Request, uow: Uow, me: CurrentStaff, audit: Audit, grant_id: uuid.UUID
) -> Response:
    require(me.actor, Action.manage_acting_for_grants)
    grant_row = await staff_service.revoke_grant(uow, grant_id, now_of(request))
    audit.subject("acting_for_grant", [grant_row.id])
    return redirect(request, "/settings/staff", "Acting-for permission removed.")
