"""Sign-in, second factor, sign-out, password reset and invitation acceptance (HTML)."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import PendingStaff, now_of, resolve
from api.context import AuditTrail, client_ip
from api.cookies import clear_cookie, names_for, set_cookie
from api.deps import Audit, Uow
from api.pages import redirect, render, safe_next
from api.routing import AppRoute
from api.staff.forms import field, read_form
from core.errors import DomainError, LinkInvalid, TooManyAttempts
from models.orm.audit import ActorType
from models.orm.identity import MfaState
from services.auth import accounts, login, sessions
from services.auth.totp import provisioning_uri, qr_svg
from services.practice_settings import settings_of

router = APIRouter(route_class=AppRoute, tags=["sign-in"], include_in_schema=False)


def _authenticator(request: Request) -> login.Authenticator:
    auth: login.Authenticator = request.app.state.authenticator
    return auth


def _link_invalid(request: Request, exc: LinkInvalid) -> Response:
    """A link that cannot be used (unknown, used, replaced, expired): one page, the reason."""
    return render(request, "auth/link_invalid.html", {"message": exc.message}, status=exc.status)


def _start(request: Request, issued: sessions.IssuedSession, target: str) -> Response:
    response = redirect(request, target)
    set_cookie(response, request, names_for(request).session, issued.token, max_age=None)
    return response


def _after_password(request: Request, issued: sessions.IssuedSession, target: str) -> Response:
    state = MfaState(issued.session.mfa_state)
    if state is MfaState.totp_required:
        return _start(request, issued, f"/login/verify?next={target}")
    if state is MfaState.setup_required:
        return _start(request, issued, "/login/setup")
    return _start(request, issued, target)


def _signed_in(trail: AuditTrail, issued: sessions.IssuedSession) -> None:
    trail.actor_type = ActorType.staff
    trail.actor_id = issued.session.staff_id
    trail.subject("staff_session", [issued.session.id])


@router.get("/login", name="auth.login_form")
async def login_form(request: Request, uow: Uow) -> Response:
    if await resolve(request, uow) is not None:
        return redirect(request, safe_next(request.query_params.get("next")))
    return render(request, "auth/login.html", {"next": safe_next(request.query_params.get("next"))})


@router.post("/login", name="auth.login")
async def login_submit(request: Request, uow: Uow, audit: Audit) -> Response:
    form = await read_form(request)
    email, target = field(form, "email", 254), safe_next(field(form, "next"))
    try:
        issued = await login.sign_in(
            uow,
            _authenticator(request),
            email=email,
            password=field(form, "password", 1024),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            now=now_of(request),
        )
    except DomainError as exc:
        return render(
            request,
            "auth/login.html",
            {
                "next": target,
                "email": email,
                "error": exc.message,
                "field_errors": exc.field_errors,
            },
            status=exc.status,
        )
    _signed_in(audit, issued)
    return _after_password(request, issued, target)


@router.get("/login/verify", name="auth.verify_form")
async def verify_form(request: Request, pending: PendingStaff) -> Response:
    if pending.session is None or pending.session.mfa_state != MfaState.totp_required:
        return redirect(request, "/dashboard")
    return render(
        request, "auth/verify.html", {"next": safe_next(request.query_params.get("next"))}
    )


@router.post("/login/verify", name="auth.verify")
async def verify_submit(
    request: Request, uow: Uow, pending: PendingStaff, audit: Audit
) -> Response:
    form = await read_form(request)
    target = safe_next(field(form, "next"))
    if pending.session is None or pending.session.mfa_state != MfaState.totp_required:
        return redirect(request, "/dashboard")
    try:
        issued = await login.second_factor(
            uow,
            _authenticator(request),
            pending.session,
            pending.member,
            code=field(form, "code", 64),
            now=now_of(request),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    except DomainError as exc:
        return render(
            request,
            "auth/verify.html",
            {"next": target, "error": exc.message, "field_errors": exc.field_errors},
            status=exc.status,
        )
    _signed_in(audit, issued)
    return _start(request, issued, target)


@router.get("/login/setup", name="auth.totp_setup_form")
async def setup_form(request: Request, uow: Uow, pending: PendingStaff) -> Response:
    if pending.session is None or pending.session.mfa_state != MfaState.setup_required:
        return redirect(request, "/dashboard")
    return await _setup_page(request, uow, pending, {})


async def _setup_page(
    request: Request, uow: Uow, pending: PendingStaff, extra: dict[str, object], status: int = 200
) -> Response:
    keys = _authenticator(request).totp
    seed = accounts.pending_seed(keys, pending.member) or await accounts.begin_totp_setup(
        uow, keys, pending.member
    )
    uri = provisioning_uri(seed, pending.member.email, f"PracticeRunner ({pending.practice.name})")
    context = {"seed": seed, "qr": qr_svg(uri), "action": "/login/setup", "required": True}
    return render(request, "auth/totp_setup.html", {**context, **extra}, status=status)


@router.post("/login/setup", name="auth.totp_setup")
async def setup_submit(request: Request, uow: Uow, pending: PendingStaff, audit: Audit) -> Response:
    if pending.session is None or pending.session.mfa_state != MfaState.setup_required:
        return redirect(request, "/dashboard")
    form = await read_form(request)
    now = now_of(request)
    try:
        codes = await accounts.confirm_totp(
            uow, _authenticator(request).totp, pending.member, field(form, "code", 64), now
        )
    except DomainError as exc:
        if accounts.pending_seed(_authenticator(request).totp, pending.member) is None:
            # nothing to confirm yet: show the set-up page (its GET saves a new key)
            return redirect(request, "/login/setup", exc.message, "error")
        # the pending key was saved by the GET; re-rendering shows the same one
        return await _setup_page(
            request, uow, pending, {"field_errors": exc.field_errors}, status=exc.status
        )
    issued = await login.complete(
        uow,
        _authenticator(request),
        pending.session,
        pending.member,
        now=now,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    _signed_in(audit, issued)
    response = render(
        request, "auth/recovery_codes.html", {"codes": codes, "continue_to": "/dashboard"}
    )
    set_cookie(response, request, names_for(request).session, issued.token, max_age=None)
    return response


@router.post("/logout", name="auth.logout")
async def logout(request: Request, uow: Uow) -> Response:
    auth = await resolve(request, uow, allow_pending=True)
    if auth is not None and auth.session is not None:
        await sessions.revoke(uow, auth.session, reason="signed out", now=now_of(request))
    response = redirect(request, "/login", "You are signed out.", "info")
    clear_cookie(response, request, names_for(request).session)
    return response


@router.get("/password/forgot", name="auth.forgot_form")
async def forgot_form(request: Request) -> Response:
    return render(request, "auth/forgot.html", {})


RESET_ANSWER_S = 0.25  # every answer takes this long: no timing difference to measure


@router.post("/password/forgot", name="auth.forgot")
async def forgot_submit(request: Request, uow: Uow) -> Response:
    started = time.perf_counter()
    form = await read_form(request)
    settings = request.app.state.settings
    now = now_of(request)
    if not await _authenticator(request).throttle.reset_requested(client_ip(request), now):
        raise TooManyAttempts("Too many reset requests from here. Try again in an hour.")
    await accounts.request_password_reset(
        uow, field(form, "email", 254), now, settings.APP_BASE_URL
    )
    await asyncio.sleep(max(0.0, RESET_ANSWER_S - (time.perf_counter() - started)))
    # The same answer whether or not the address has an account.
    return redirect(
        request,
        "/login",
        "If that address belongs to an active account, a reset link is on its way. "
        "It works for one hour.",
        "info",
    )


@router.get("/password/reset/{token}", name="auth.reset_form")
async def reset_form(request: Request, uow: Uow, token: str) -> Response:
    try:
        member = await accounts.reset_link_holder(uow, token, now_of(request))
    except LinkInvalid as exc:
        return _link_invalid(request, exc)
    return render(
        request,
        "auth/set_password.html",
        {
            "title": "Choose a new password",
            "email": member.email,
            "action": request.url.path,
            "button": "Save new password",
        },
    )


@router.post("/password/reset/{token}", name="auth.reset")
async def reset_submit(request: Request, uow: Uow, token: str) -> Response:
    form = await read_form(request)
    try:
        await accounts.reset_password(
            uow,
            _authenticator(request).passwords,
            token,
            field(form, "password", 1024),
            field(form, "confirm", 1024),
            now_of(request),
        )
    except LinkInvalid as exc:
        return _link_invalid(request, exc)
    except DomainError as exc:
        return render(
            request,
            "auth/set_password.html",
            {
                "title": "Choose a new password",
                "action": request.url.path,
                "button": "Save new password",
                "field_errors": exc.field_errors,
            },
            status=exc.status,
        )
    return redirect(request, "/login", "Your password is changed. Sign in with it now.")


@router.get("/invitation/{token}", name="auth.invitation_form")
async def invitation_form(request: Request, uow: Uow, token: str) -> Response:
    try:
        member, practice = await accounts.invitation_for(uow, token, now_of(request))
    except LinkInvalid as exc:
        return _link_invalid(request, exc)
    return render(
        request,
        "auth/set_password.html",
        {
            "title": f"Join {practice.name}",
            "email": member.email,
            "action": request.url.path,
            "button": "Create my account",
            "intro": f"Welcome, {member.display_name}. Choose a "
            "password to finish setting up your account.",
        },
    )


@router.post("/invitation/{token}", name="auth.invitation_accept")
async def invitation_submit(request: Request, uow: Uow, token: str, audit: Audit) -> Response:
    form = await read_form(request)
    now = now_of(request)
    try:
        member = await accounts.accept_invitation(
            uow,
            _authenticator(request).passwords,
            token,
            field(form, "password", 1024),
            field(form, "confirm", 1024),
            now,
        )
    except LinkInvalid as exc:
        return _link_invalid(request, exc)
    except DomainError as exc:
        return render(
            request,
            "auth/set_password.html",
            {
                "title": "Finish setting up your account",
                "action": request.url.path,
                "button": "Create my account",
                "field_errors": exc.field_errors,
            },
            status=exc.status,
        )
    practice = await accounts.practice_of(uow)
    state = MfaState.setup_required if settings_of(practice).totp_required else MfaState.complete
    if state is MfaState.complete:
        member.last_login_at = now
    issued = await sessions.start_session(
        uow,
        staff_id=member.id,
        mfa_state=state,
        now=now,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    _signed_in(audit, issued)
    if state is MfaState.setup_required:
        return _start(request, issued, "/login/setup")
    response = redirect(request, "/dashboard", f"Welcome to {practice.name}!")
    set_cookie(response, request, names_for(request).session, issued.token, max_age=None)
    return response
