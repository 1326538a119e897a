"""The client portal (`/portal/{practice link name}`): first access by invitation, sign-in
by emailed link, the home page with whom the account acts for, switching between them,
sign-out (PORT-1…3, decisions.md "Portal access").

- The practice comes from the URL; links and sessions are looked up within it, so a
  link or a session of another practice is simply unknown here.
- A link's GET only shows a page; the POST after it (the date-of-birth confirmation for
  an invitation, "Continue" for a sign-in link) consumes it — mail scanners open links.
- The sign-in page answers the same whether or not the address has an account (no
  enumeration) and sends nothing to an unknown one.
- Portal sessions have their own cookie (`pr_portal`), a 15-minute idle timeout and a
  12-hour lifetime. Every page checks that the person acted for is one of the account's
  grants; anything else is a 404. Page reads are audited as the portal account.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.auth import now_of
from api.context import client_ip
from api.cookies import clear_cookie, names_for, set_cookie
from api.deps import Audit, Uow
from api.pages import redirect, render
from api.routing import AppRoute
from api.staff.forms import field, parse_uuid, read_form
from core.db import UnitOfWork
from core.errors import DomainError, LinkInvalid, NotFound, TooManyAttempts
from models.orm.audit import ActorType
from models.orm.portal import PortalAccount, PortalLinkPurpose, PortalSession
from models.orm.practice import Practice
from services import cross_practice
from services.email_address import EMAIL
from services.intake import items as intake_items
from services.mail.outbox import queue_mail
from services.portal import access, links, passkeys, sessions

router = APIRouter(route_class=AppRoute, prefix="/portal/{link_name}", include_in_schema=False)

COOKIE = "pr_portal"
SIGN_IN_ANSWER_S = 0.25


def cookie_name(request: Request) -> str:
    return ("__Host-" if names_for(request).secure else "") + COOKIE


async def practice_of(uow: Uow, link_name: str, audit: Audit) -> Practice:
    practice_id = await cross_practice.practice_id_by_link_name(uow.session, link_name[:63])
    if practice_id is None:
        raise NotFound("No such portal")
    await uow.set_practice(practice_id)
    audit.practice_id = practice_id
    practice = await uow.session.get(Practice, practice_id)
    if practice is None:
        raise NotFound("No such portal")
    return practice


PortalPractice = Annotated[Practice, Depends(practice_of)]


@dataclass
class PortalMe:
    practice: Practice
    account: PortalAccount
    session: PortalSession
    people: list[access.ActingFor]
    acting: access.ActingFor | None


async def portal_me(
    request: Request, uow: UnitOfWork, practice: Practice, audit: Any
) -> PortalMe | None:
    token = request.cookies.get(cookie_name(request))
    if not token:
        return None
    session = await sessions.locate(uow, token, now_of(request))
    if session is None:
        return None
    account = await uow.session.get(PortalAccount, session.account_id)
    if account is None or account.disabled_at is not None:
        return None
    people = await access.grants_of(uow, account.id)
    acting = next((p for p in people if p.person_id == session.acting_person_id), None)
    if acting is None and people:
        acting = people[0]
        session.acting_person_id = acting.person_id
    audit.actor_type = ActorType.portal
    audit.actor_id = account.id
    return PortalMe(practice, account, session, people, acting)


def portal_base(practice: Practice) -> str:
    return f"/portal/{practice.link_name}"


def portal_page(
    request: Request, template: str, practice: Practice, status: int = 200, **context: Any
) -> Response:
    return render(
        request,
        template,
        {"practice": practice, "base": portal_base(practice), **context},
        status=status,
    )


async def sign_in_as(
    request: Request,
    uow: UnitOfWork,
    practice: Practice,
    account: PortalAccount,
    acting_person_id: uuid.UUID | None,
    *,
    passkey_id: uuid.UUID | None = None,
) -> Response:
    now = now_of(request)
    token = await sessions.start(
        uow,
        account_id=account.id,
        acting_person_id=acting_person_id,
        now=now,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        passkey_id=passkey_id,
    )
    account.last_sign_in_at = now
    response = redirect(request, f"{portal_base(practice)}/", "You are signed in.")
    set_cookie(response, request, cookie_name(request), token, None)
    return response


# --- first access: the invitation ------------------------------------------------------------


@router.get("/invitation/{token}", name="portal.invitation")
async def invitation(request: Request, token: str, uow: Uow, practice: PortalPractice) -> Response:
    try:
        link = await links.open_link(uow, token, PortalLinkPurpose.invitation, now_of(request))
    except LinkInvalid as exc:
        return portal_page(
            request, "portal/link_invalid.html", practice, status=410, message=exc.message
        )
    ask = await links.confirmation_kind(uow, link)
    return portal_page(request, "portal/invitation.html", practice, ask=ask, token=token, errors={})


@router.post("/invitation/{token}", name="portal.invitation_confirm")
async def invitation_confirm(
    request: Request, token: str, uow: Uow, practice: PortalPractice, audit: Audit
) -> Response:
    form = await read_form(request)
    now = now_of(request)
    try:
        link = await links.open_link(uow, token, PortalLinkPurpose.invitation, now)
        ask = await links.confirmation_kind(uow, link)
        if not await links.confirm(uow, link, field(form, "answer", 40), now):
            request.state.keep_refusal = True  # the wrong answer counts
            left = links.MAX_ATTEMPTS - link.failed_attempts
            if left <= 0:
                raise LinkInvalid(
                    "This link is locked after too many wrong answers. "
                    "Ask the practice to send a new one."
                )
            message = (
                "That does not match what the practice has on file. "
                f"{left} {'try' if left == 1 else 'tries'} left."
            )
            return portal_page(
                request,
                "portal/invitation.html",
                practice,
                status=422,
                ask=ask,
                token=token,
                errors={"answer": message},
            )
        link = await links.open_link(uow, token, PortalLinkPurpose.invitation, now, for_update=True)
        await links.consume(uow, link, now)
    except LinkInvalid as exc:
        return portal_page(
            request, "portal/link_invalid.html", practice, status=410, message=exc.message
        )
    account = await uow.session.get(PortalAccount, link.account_id)
    if account is None or account.disabled_at is not None:
        return portal_page(
            request,
            "portal/link_invalid.html",
            practice,
            status=410,
            message="This portal account is closed. Contact the practice.",
        )
    audit.actor_type, audit.actor_id = ActorType.portal, account.id
    audit.subject("portal_account", [account.id])
    people = await access.grants_of(uow, account.id)
    return await sign_in_as(
        request, uow, practice, account, people[0].person_id if people else None
    )


# --- later sign-ins: an emailed link ---------------------------------------------------------


@router.get("/sign-in", name="portal.sign_in")
async def sign_in_page(request: Request, uow: Uow, practice: PortalPractice) -> Response:
    return sign_in_form(request, practice)


def sign_in_form(
    request: Request,
    practice: Practice,
    *,
    status: int = 200,
    email: str = "",
    errors: dict[str, str] | None = None,
) -> Response:
    return portal_page(
        request,
        "portal/sign_in.html",
        practice,
        status=status,
        email=email,
        errors=errors or {},
        passkeys_on=relying_party(request) is not None,
    )


@router.post("/sign-in", name="portal.sign_in_send")
async def sign_in_send(
    request: Request, uow: Uow, practice: PortalPractice, audit: Audit
) -> Response:
    started = time.perf_counter()
    form = await read_form(request)
    email = field(form, "email", 300).strip()
    # The staff reset throttle's rule (20 an hour from one address): nobody floods an
    # inbox with sign-in links or keeps revoking someone's latest one.
    if not await request.app.state.authenticator.throttle.reset_requested(
        client_ip(request), now_of(request)
    ):
        raise TooManyAttempts("Too many sign-in requests from here. Try again in an hour.")
    if not EMAIL.match(email):
        return sign_in_form(
            request,
            practice,
            status=422,
            email=email,
            errors={"email": "Enter the email address the practice has for you."},
        )
    account = await access.account_by_email(uow, email)
    if account is not None:
        token = await links.issue(
            uow, account_id=account.id, purpose=PortalLinkPurpose.sign_in, now=now_of(request)
        )
        await send_link(request, uow, practice, account, token, "portal_sign_in", "sign-in")
        audit.subject("portal_account", [account.id])
    # Every answer takes as long: no timing difference tells a known address apart.
    await asyncio.sleep(max(0.0, SIGN_IN_ANSWER_S - (time.perf_counter() - started)))
    return portal_page(request, "portal/sign_in_sent.html", practice)


async def send_link(
    request: Request,
    uow: UnitOfWork,
    practice: Practice,
    account: PortalAccount,
    token: str,
    template: str,
    path: str,
) -> None:
    base = request.app.state.settings.APP_BASE_URL.rstrip("/")
    await queue_mail(
        uow,
        recipient=account.email,
        template=template,
        context={
            "practice_name": practice.name,
            "link": f"{base}{portal_base(practice)}/{path}/{token}",
        },
        idempotency_key=f"portal-link:{uuid.uuid4()}",
    )


@router.get("/sign-in/{token}", name="portal.sign_in_link")
async def sign_in_link(
    request: Request, token: str, uow: Uow, practice: PortalPractice
) -> Response:
    try:
        await links.open_link(uow, token, PortalLinkPurpose.sign_in, now_of(request))
    except LinkInvalid as exc:
        return portal_page(
            request, "portal/link_invalid.html", practice, status=410, message=exc.message
        )
    return portal_page(request, "portal/sign_in_continue.html", practice, token=token)


@router.post("/sign-in/{token}", name="portal.sign_in_use")
async def sign_in_use(
    request: Request, token: str, uow: Uow, practice: PortalPractice, audit: Audit
) -> Response:
    await read_form(request)
    now = now_of(request)
    try:
        link = await links.open_link(uow, token, PortalLinkPurpose.sign_in, now, for_update=True)
        await links.consume(uow, link, now)
    except LinkInvalid as exc:
        return portal_page(
            request, "portal/link_invalid.html", practice, status=410, message=exc.message
        )
    account = await uow.session.get(PortalAccount, link.account_id)
    if account is None or account.disabled_at is not None:
        raise NotFound("Not found")
    audit.actor_type, audit.actor_id = ActorType.portal, account.id
    audit.subject("portal_account", [account.id])
    people = await access.grants_of(uow, account.id)
    return await sign_in_as(
        request, uow, practice, account, people[0].person_id if people else None
    )


# --- signed in -------------------------------------------------------------------------------


@router.get("/", name="portal.home")
async def home(request: Request, uow: Uow, practice: PortalPractice, audit: Audit) -> Response:
    me = await portal_me(request, uow, practice, audit)
    if me is None:
        return redirect(request, f"{portal_base(practice)}/sign-in")
    return await render_home(request, uow, practice, me, audit)


async def render_home(
    request: Request,
    uow: UnitOfWork,
    practice: Practice,
    me: PortalMe,
    audit: Any,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    passkey_name: str = "",
) -> Response:
    """The portal home: whom the account acts for, their to-do and done items, and the
    account's passkeys (`errors["passkey"]` / `errors["name"]` beside the add button)."""
    if me.acting is not None:
        audit.subject("person", [me.acting.person_id])
    options = [(p.person_id, p.name) for p in me.people]
    entries = (
        await intake_items.items_for(uow, me.account.id, me.acting.person_id) if me.acting else []
    )
    rp = relying_party(request)
    return portal_page(
        request,
        "portal/home.html",
        practice,
        status=status,
        me=None,
        portal=me,
        people_options=options,
        todo=[e for e in entries if e.item.status != "done" and e.request.status == "open"],
        done=[e for e in entries if e.item.status == "done"],
        passkeys_on=rp is not None,
        passkeys=await passkeys.live_for(uow, me.account.id) if rp else [],
        may_add_passkey=passkeys.may_add(me.session),
        errors=errors or {},
        passkey_name=passkey_name,
    )


def relying_party(request: Request) -> passkeys.RelyingParty | None:
    """The portal's WebAuthn relying party (APP_BASE_URL); None where browsers allow no
    passkeys (an IP address): then no passkey control is shown."""
    return passkeys.RelyingParty.of(request.app.state.settings.APP_BASE_URL)


@router.post("/acting-for", name="portal.acting_for")
async def acting_for(
    request: Request, uow: Uow, practice: PortalPractice, audit: Audit
) -> Response:
    form = await read_form(request)
    me = await portal_me(request, uow, practice, audit)
    if me is None:
        return redirect(request, f"{portal_base(practice)}/sign-in")
    person_id = parse_uuid(field(form, "person_id", 60))
    if person_id is None:
        raise NotFound("Not found")
    try:
        chosen = await access.may_act_for(uow, me.account.id, person_id)  # outside: 404
    except DomainError:
        raise
    me.session.acting_person_id = chosen.person_id
    audit.subject("person", [chosen.person_id])
    return redirect(request, f"{portal_base(practice)}/", "Switched.")


@router.post("/sign-out", name="portal.sign_out")
async def sign_out(request: Request, uow: Uow, practice: PortalPractice, audit: Audit) -> Response:
    await read_form(request)
    me = await portal_me(request, uow, practice, audit)
    if me is not None:
        await sessions.end(uow, me.session, now_of(request))
    response = redirect(request, f"{portal_base(practice)}/sign-in", "You are signed out.")
    clear_cookie(response, request, cookie_name(request))
    return response
