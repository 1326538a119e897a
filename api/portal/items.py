"""Portal intake items (issue 8 §6): complete a form — save as draft and resume, submit
(required questions checked; a refused submit keeps what was typed) — acknowledge or sign
a document, and read back what was signed. Only items of the account's grants for the
person it acts for; anything else is a 404."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import now_of
from api.context import client_ip
from api.deps import Audit, Uow
from api.pages import redirect
from api.portal.pages import PortalPractice, portal_base, portal_me, portal_page
from api.routing import AppRoute
from api.staff.forms import field, read_form
from core.errors import DomainError, NotFound
from models.orm.library import ItemKind
from services.intake import items as intake_items

router = APIRouter(route_class=AppRoute, prefix="/portal/{link_name}", include_in_schema=False)


def _fields(form: object) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():  # type: ignore[attr-defined]
        if isinstance(value, str) and key != "csrf_token":
            out.setdefault(key[:100], []).append(value.replace("\x00", "")[:20000])
    return out


async def _entry(
    request: Request, uow: Uow, practice: PortalPractice, audit: Audit, item_id: uuid.UUID
) -> tuple[object, intake_items.OpenItem] | None:
    me = await portal_me(request, uow, practice, audit)
    if me is None:
        return None
    if me.acting is None:
        raise NotFound("Not found")
    entry = await intake_items.load(uow, me.account.id, me.acting.person_id, item_id)
    audit.subject("intake_item", [item_id])
    return me, entry


def _render(
    request: Request,
    practice: PortalPractice,
    me: object,
    entry: intake_items.OpenItem,
    status: int = 200,
    **extra: object,
) -> Response:
    template = (
        "portal/item_form.html"
        if entry.library_item.kind == ItemKind.form
        else "portal/item_document.html"
    )
    return portal_page(
        request,
        template,
        practice,
        status=status,
        me=None,
        portal=me,
        entry=entry,
        definition=entry.definition,
        answers=extra.pop("answers", entry.item.answers),
        errors=extra.pop("errors", {}),
        **extra,
    )


@router.get("/items/{item_id}", name="portal.item")
async def item(
    request: Request, item_id: uuid.UUID, uow: Uow, practice: PortalPractice, audit: Audit
) -> Response:
    found = await _entry(request, uow, practice, audit, item_id)
    if found is None:
        return redirect(request, f"{portal_base(practice)}/sign-in")
    me, entry = found
    return _render(request, practice, me, entry)


@router.post("/items/{item_id}/form", name="portal.item_form")
async def save_form(
    request: Request, item_id: uuid.UUID, uow: Uow, practice: PortalPractice, audit: Audit
) -> Response:
    form = await read_form(request)
    found = await _entry(request, uow, practice, audit, item_id)
    if found is None:
        return redirect(request, f"{portal_base(practice)}/sign-in")
    me, entry = found
    submit = field(form, "action", 10) == "submit"
    now = now_of(request)
    try:
        answers, problems = await intake_items.save_form(
            uow, entry, _fields(form), submit=submit, now=now
        )
    except DomainError as exc:
        return _render(
            request,
            practice,
            me,
            entry,
            status=exc.status,
            errors=exc.field_errors,
            message=exc.message,
        )
    if problems:
        request.state.keep_refusal = True  # what was typed stays, as a draft
        return _render(
            request,
            practice,
            me,
            entry,
            status=422,
            answers=answers,
            errors=problems,
            message="Some answers need attention. Your answers are saved.",
        )
    if submit:
        return redirect(
            request,
            f"{portal_base(practice)}/",
            f"“{entry.library_item.client_title}” is done. Thank you.",
        )
    return redirect(
        request, f"{portal_base(practice)}/items/{item_id}", "Saved. You can finish later."
    )


@router.post("/items/{item_id}/document", name="portal.item_document")
async def complete_document(
    request: Request, item_id: uuid.UUID, uow: Uow, practice: PortalPractice, audit: Audit
) -> Response:
    form = await read_form(request)
    found = await _entry(request, uow, practice, audit, item_id)
    if found is None:
        return redirect(request, f"{portal_base(practice)}/sign-in")
    me, entry = found
    try:
        await intake_items.complete_document(
            uow,
            entry,
            typed_name=field(form, "signed_name", 300),
            agreed=bool(field(form, "agreed", 5)),
            ip=client_ip(request),
            now=now_of(request),
        )
    except DomainError as exc:
        return _render(
            request,
            practice,
            me,
            entry,
            status=exc.status,
            errors=exc.field_errors,
            message=exc.message,
        )
    return redirect(
        request,
        f"{portal_base(practice)}/",
        f"“{entry.library_item.client_title}” is done. Thank you.",
    )
