"""Portal passkeys (PORT-2, PORT-3): add one from the portal home after signing in with a
link, remove one, and sign in with one from the sign-in page. The ceremony rules are in
services/portal/passkeys.py.

The browser half is api/static/passkeys.js (the CSP allows no inline script): it asks
for the options (a POST answering JSON), runs `navigator.credentials`, and then submits
the page's ordinary form, so the answer is a normal page — a redirect with a message, or
the same page with the refusal beside the button (422). A refused attempt still uses its
challenge up (`keep_refusal`). Where the portal's address allows no passkeys (an IP
address) these routes are 404 and the pages show no passkey control.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api.auth import now_of
from api.context import client_ip
from api.cookies import clear_cookie
from api.deps import Audit, Uow
from api.pages import redirect
from api.portal.pages import (
    PortalPractice,
    cookie_name,
    portal_base,
    portal_me,
    relying_party,
    render_home,
    sign_in_as,
    sign_in_form,
)
from api.routing import AppRoute
from api.staff.forms import field, parse_uuid, read_form
from core.db import UnitOfWork
from core.errors import DomainError, InvalidInput, NotFound
from models.orm.audit import ActorType
from models.orm.practice import Practice
from services.mail.outbox import queue_mail
from services.portal import access, passkeys

router = APIRouter(route_class=AppRoute, prefix="/portal/{link_name}", include_in_schema=False)


def _rp(request: Request) -> passkeys.RelyingParty:
    rp = relying_party(request)
    if rp is None:
        raise NotFound("Not found")
    return rp


def _refusal(exc: DomainError) -> JSONResponse:
    return JSONResponse({"message": exc.message}, status_code=exc.status)


async def _notify(
    request: Request,
    uow: UnitOfWork,
    practice: Practice,
    email: str,
    change: str,
    passkey_id: uuid.UUID,
) -> None:
    """A notice to the account's address, so an unexpected change gets noticed. No health
    information, and not the passkey's name (the client typed it)."""
    await queue_mail(
        uow,
        recipient=email,
        template=f"portal_passkey_{change}",
        context={
            "practice_name": practice.name,
            "link": request.app.state.settings.APP_BASE_URL.rstrip("/")
            + f"{portal_base(practice)}/sign-in",
        },
        idempotency_key=f"portal-passkey-{change}:{passkey_id}",
    )


# --- adding and removing (signed in) ---------------------------------------------------------


@router.post("/passkeys/options", name="portal.passkey_options")
async def add_options(
    request: Request, uow: Uow, practice: PortalPractice, audit: Audit
) -> Response:
    rp = _rp(request)
    form = await read_form(request)
    me = await portal_me(request, uow, practice, audit)
    if me is None:
        return JSONResponse(
            {"message": "You were signed out. Sign in again to add a passkey."}, status_code=401
        )
    audit.subject("portal_account", [me.account.id])
    try:
        ceremony = await passkeys.registration_options(
            uow,
            rp,
            account=me.account,
            session=me.session,
            name=field(form, "name", 200),
            now=now_of(request),
        )
    except DomainError as exc:
        return _refusal(exc)
    return JSONResponse(ceremony.as_dict())


@router.post("/passkeys", name="portal.passkey_add")
async def add(request: Request, uow: Uow, practice: PortalPractice, audit: Audit) -> Response:
    rp = _rp(request)
    form = await read_form(request)
    me = await portal_me(request, uow, practice, audit)
    if me is None:
        return redirect(request, f"{portal_base(practice)}/sign-in")
    audit.subject("portal_account", [me.account.id])
    name = field(form, "name", 200)
    now = now_of(request)
    try:
        passkey = await passkeys.register(
            uow,
            rp,
            account=me.account,
            session=me.session,
            challenge_id=field(form, "challenge_id", 60),
            credential=field(form, "credential", passkeys.CREDENTIAL_MAX + 1),
            name=name,
            now=now,
        )
    except InvalidInput as exc:
        return await render_home(
            request, uow, practice, me, audit, status=422, errors=exc.field_errors
        )
    except passkeys.PasskeyRefused as exc:
        request.state.keep_refusal = True  # the challenge stays used up
        return await render_home(
            request,
            uow,
            practice,
            me,
            audit,
            status=422,
            errors={"passkey": exc.message},
            passkey_name=name,
        )
    audit.subject("portal_passkey", [passkey.id])
    await _notify(request, uow, practice, me.account.email, "added", passkey.id)
    return redirect(
        request,
        f"{portal_base(practice)}/#passkeys",
        "Passkey added. Next time, choose “Sign in with a passkey”.",
    )


@router.post("/passkeys/{passkey_id}/remove", name="portal.passkey_remove")
async def remove(
    request: Request, passkey_id: str, uow: Uow, practice: PortalPractice, audit: Audit
) -> Response:
    _rp(request)
    await read_form(request)
    me = await portal_me(request, uow, practice, audit)
    if me is None:
        return redirect(request, f"{portal_base(practice)}/sign-in")
    key = parse_uuid(passkey_id)
    if key is None:
        raise NotFound("Not found")
    removed = await passkeys.remove(uow, me.account.id, key, now_of(request))
    audit.subject("portal_passkey", [removed.id])
    await _notify(request, uow, practice, me.account.email, "removed", removed.id)
    if me.session.passkey_id == removed.id:  # this very session ended with it
        response = redirect(
            request,
            f"{portal_base(practice)}/sign-in",
            "Passkey removed. You had signed in with it, so you are signed out.",
        )
        clear_cookie(response, request, cookie_name(request))
        return response
    return redirect(request, f"{portal_base(practice)}/#passkeys", "Passkey removed.")


# --- signing in with one (anonymous) ---------------------------------------------------------


@router.post("/passkeys/sign-in/options", name="portal.passkey_sign_in_options")
async def sign_in_options(request: Request, uow: Uow, practice: PortalPractice) -> Response:
    rp = _rp(request)
    await read_form(request)
    throttle = request.app.state.authenticator.throttle
    if not await throttle.passkey_options_requested(client_ip(request), now_of(request)):
        return JSONResponse(
            {"message": "Too many passkey sign-ins from here. Try again in 15 minutes."},
            status_code=429,
        )
    try:
        ceremony = await passkeys.authentication_options(uow, rp, now_of(request))
    except DomainError as exc:
        return _refusal(exc)
    return JSONResponse(ceremony.as_dict())


@router.post("/passkeys/sign-in", name="portal.passkey_sign_in")
async def sign_in(request: Request, uow: Uow, practice: PortalPractice, audit: Audit) -> Response:
    rp = _rp(request)
    form = await read_form(request)
    try:
        signed = await passkeys.authenticate(
            uow,
            rp,
            challenge_id=field(form, "challenge_id", 60),
            credential=field(form, "credential", passkeys.CREDENTIAL_MAX + 1),
            now=now_of(request),
        )
    except passkeys.PasskeyRefused as exc:
        request.state.keep_refusal = True  # the challenge stays used up
        return sign_in_form(request, practice, status=422, errors={"passkey": exc.message})
    account = signed.account
    audit.actor_type, audit.actor_id = ActorType.portal, account.id
    audit.subject("portal_account", [account.id])
    people = await access.grants_of(uow, account.id)
    first: uuid.UUID | None = people[0].person_id if people else None
    return await sign_in_as(request, uow, practice, account, first, passkey_id=signed.passkey_id)
