"""Settings → My account: password, two-step sign-in, recovery codes, API tokens, sessions."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import Authenticated, CurrentStaff, now_of
from api.deps import Audit, Uow
from api.pages import redirect, render
from api.routing import AppRoute
from api.staff.forms import field, read_form
from api.staff.settings import page
from core.db import UnitOfWork
from core.errors import DomainError, PermissionDenied
from services.auth import accounts, api_tokens, sessions
from services.auth.login import Authenticator
from services.auth.totp import provisioning_uri, qr_svg, recovery_codes_left
from services.scheduling import feeds
from services.staff import get_staff

router = APIRouter(route_class=AppRoute, prefix="/settings/account", include_in_schema=False)


def _auth(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


async def _context(
    request: Request, uow: UnitOfWork, me: Authenticated, **extra: Any
) -> dict[str, Any]:
    now = now_of(request)
    supervisor = await get_staff(uow, me.member.supervisor_id) if me.member.supervisor_id else None
    return page(
        me,
        "account",
        member=me.member,
        supervisor=supervisor,
        codes_left=await recovery_codes_left(uow, me.member) if me.member.totp_enabled else 0,
        tokens=await api_tokens.tokens_of(uow, me.member.id),
        sessions=await sessions.active_sessions(uow, me.member.id, now),
        current_session_id=me.session.id if me.session else None,
        totp_required=me.settings.totp_required,
        tz=me.practice.timezone,
        feed=await feeds.live_feed(uow, me.member.id) if me.member.is_clinician else None,
        is_clinician=me.member.is_clinician,
        **extra,
    )


@router.get("", name="account.view")
async def view(request: Request, uow: Uow, me: CurrentStaff) -> Response:
    return render(request, "settings/account.html", await _context(request, uow, me))


@router.post("/password", name="account.password")
async def change_password(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    form = await read_form(request)
    audit.subject("staff_member", [me.member.id])
    try:
        await accounts.change_password(
            uow,
            _auth(request).passwords,
            me.member,
            current=field(form, "current", 1024),
            password=field(form, "password", 1024),
            confirm=field(form, "confirm", 1024),
            now=now_of(request),
            keep_session=me.session,
        )
    except DomainError as exc:
        context = await _context(request, uow, me, password_errors=exc.field_errors)
        return render(request, "settings/account.html", context, status=exc.status)
    return redirect(
        request, "/settings/account", "Password changed. Your other sessions were signed out."
    )


async def _setup(
    request: Request, uow: UnitOfWork, me: Authenticated, **extra: Any
) -> dict[str, Any]:
    keys = _auth(request).totp
    seed = accounts.pending_seed(keys, me.member) or await accounts.begin_totp_setup(
        uow, keys, me.member
    )
    uri = provisioning_uri(seed, me.member.email, f"PracticeRunner ({me.practice.name})")
    return page(
        me,
        "account",
        seed=seed,
        qr=qr_svg(uri),
        action="/settings/account/totp",
        required=False,
        **extra,
    )


@router.get("/totp", name="account.totp_setup_form")
async def totp_form(request: Request, uow: Uow, me: CurrentStaff) -> Response:
    if me.member.totp_enabled:
        return redirect(request, "/settings/account")
    return render(request, "auth/totp_setup.html", await _setup(request, uow, me))


@router.post("/totp", name="account.totp_setup")
async def totp_confirm(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    form = await read_form(request)
    audit.subject("staff_member", [me.member.id])
    try:
        codes = await accounts.confirm_totp(
            uow, _auth(request).totp, me.member, field(form, "code", 64), now_of(request)
        )
    except DomainError as exc:
        if accounts.pending_seed(_auth(request).totp, me.member) is None:
            return redirect(request, "/settings/account/totp", exc.message, "error")
        context = await _setup(request, uow, me, field_errors=exc.field_errors)
        return render(request, "auth/totp_setup.html", context, status=exc.status)
    return render(
        request,
        "auth/recovery_codes.html",
        page(me, "account", codes=codes, continue_to="/settings/account"),
    )


@router.post("/totp/disable", name="account.totp_disable")
async def totp_disable(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    form = await read_form(request)
    audit.subject("staff_member", [me.member.id])
    try:
        await accounts.disable_totp(
            uow, _auth(request).passwords, me.member, me.practice, field(form, "password", 1024)
        )
    except DomainError as exc:
        context = await _context(
            request, uow, me, totp_errors=exc.field_errors, totp_error=exc.message
        )
        return render(request, "settings/account.html", context, status=exc.status)
    return redirect(request, "/settings/account", "Two-step sign-in is off.", "info")


@router.post("/recovery-codes", name="account.recovery_codes")
async def new_codes(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    form = await read_form(request)
    audit.subject("staff_member", [me.member.id])
    creds = accounts.Credentials(_auth(request).passwords, _auth(request).totp)
    try:
        codes = await accounts.regenerate_recovery_codes(
            uow, creds, me.member, field(form, "password", 1024), now_of(request)
        )
    except DomainError as exc:
        context = await _context(
            request, uow, me, totp_errors=exc.field_errors, totp_error=exc.message
        )
        return render(request, "settings/account.html", context, status=exc.status)
    return render(
        request,
        "auth/recovery_codes.html",
        page(me, "account", codes=codes, continue_to="/settings/account"),
    )


@router.post("/tokens", name="account.token_create")
async def create_token(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    form = await read_form(request)
    try:
        created = await api_tokens.create_token(
            uow, staff_id=me.member.id, name=field(form, "name", 200), now=now_of(request)
        )
    except DomainError as exc:
        context = await _context(request, uow, me, token_errors=exc.field_errors)
        return render(request, "settings/account.html", context, status=exc.status)
    audit.subject("api_token", [created.row.id])
    return render(
        request,
        "settings/token_created.html",
        page(me, "account", token=created.token, row=created.row),
    )


@router.post("/tokens/{token_id}/revoke", name="account.token_revoke")
async def revoke_token(
    request: Request, uow: Uow, me: CurrentStaff, audit: Audit, token_id: uuid.UUID
) -> Response:
    await api_tokens.revoke_token(
        uow, staff_id=me.member.id, token_id=token_id, now=now_of(request)
    )
    audit.subject("api_token", [token_id])
    return redirect(request, "/settings/account", "Token revoked.")


@router.post("/sessions/revoke-others", name="account.sessions_revoke_others")
async def revoke_others(request: Request, uow: Uow, me: CurrentStaff) -> Response:
    count = await sessions.revoke_all(
        uow,
        me.member.id,
        reason="signed out by the person",
        now=now_of(request),
        keep=me.session.id if me.session else None,
    )
    return redirect(request, "/settings/account", f"Signed out {count} other session(s).")


@router.post("/calendar-feed", name="account.calendar_feed")
async def calendar_feed(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    """Create or regenerate (the old URL stops working) or revoke the calendar feed URL."""
    form = await read_form(request)
    if not me.member.is_clinician:
        raise PermissionDenied("Admins have no calendar of their own.")
    now = now_of(request)
    audit.subject("staff_member", [me.member.id])
    if field(form, "action", 10) == "revoke":
        await feeds.revoke(uow, me.member.id, now)
        return redirect(request, "/settings/account", "The calendar feed URL no longer works.")
    token = await feeds.issue(uow, me.member.id, now)
    base = request.app.state.settings.APP_BASE_URL.rstrip("/")
    context = await _context(request, uow, me, feed_url=f"{base}/calendar/feed/{token}.ics")
    return render(request, "settings/account.html", context)
