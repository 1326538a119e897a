"""Settings → Documents & forms: the practice library (FORM-1…2, FORM-11, DOCED-*).

The list groups items by category; an item's page holds its settings, its content as
clients see it (the latest published version, or the draft being edited), the editor —
sections and questions for a form (add, remove, move, or edit the whole definition as
JSON), Markdown, what it requires and an optional PDF for a document — and Publish /
Discard for the draft. Every change is checked (the form validator, the document rules)
and a refusal re-renders the page with the message beside the field, changing nothing.
Owners and admins the owner allows (`Action.manage_library`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.auth import Authenticated, CurrentStaff, now_of
from api.deps import Audit, Uow
from api.pages import redirect, render
from api.routing import AppRoute
from api.staff.case_record import savepoint
from api.staff.forms import field, read_form
from api.staff.settings import page
from core.db import UnitOfWork
from core.errors import DomainError, InvalidInput
from models.orm.library import ItemKind, LibraryItem, LibraryVersion, Requires
from services import library
from services.access import Action, require
from services.blobs import BlobStore
from services.forms import editor
from services.forms.schema import TYPE_LABELS, FormDefinition

router = APIRouter(route_class=AppRoute, prefix="/settings/library", include_in_schema=False)

REQUIRES_LABELS = {
    Requires.none: "Nothing (read only)",
    Requires.acknowledgement: "An acknowledgement",
    Requires.signature: "A signature (typed name)",
}


@router.get("", name="library.list")
async def list_items(request: Request, uow: Uow, me: CurrentStaff) -> Response:
    require(me.actor, Action.manage_library)
    return await _list_page(request, uow, me)


async def _list_page(request: Request, uow: UnitOfWork, me: Authenticated, *,
                     status: int = 200, **extra: Any) -> Response:  # fmt: skip
    await library.install_starter(uow, now_of(request))
    rows = await library.listing(uow)
    return render(request, "settings/library_list.html", page(
        me, "library", rows=rows, values=extra.pop("values", {"kind": "form"}),
        errors=extra.pop("errors", {}), **extra,
    ), status=status)  # fmt: skip


@router.post("", name="library.create")
async def create(request: Request, uow: Uow, me: CurrentStaff, audit: Audit) -> Response:
    require(me.actor, Action.manage_library)
    form = await read_form(request)
    values = {n: field(form, n, 300) for n in ("kind", "staff_name", "client_title", "category")}
    try:
        async with savepoint(uow):
            item = await library.create_item(uow, **values, staff_id=me.member.id)
    except DomainError as exc:
        return await _list_page(request, uow, me, status=exc.status, values=values,
                                errors=exc.field_errors, message=exc.message)  # fmt: skip
    audit.subject("library_item", [item.id])
    return redirect(request, f"/settings/library/{item.id}", f"“{item.staff_name}” added.")


async def _item_page(request: Request, uow: UnitOfWork, me: Authenticated, item_id: uuid.UUID,
                     *, status: int = 200, **extra: Any) -> Response:  # fmt: skip
    item = await library.get_item(uow, item_id)
    versions = await library.versions_of(uow, item)
    published = next((v for v in versions if v.published_at is not None), None)
    draft = next((v for v in versions if v.published_at is None), None)
    shown = draft or published
    definition = None
    if item.kind == ItemKind.form and shown is not None and shown.definition is not None:
        definition = FormDefinition.model_validate(shown.definition)
    pdf = None
    if shown is not None and shown.pdf_blob_id is not None:
        store: BlobStore = request.app.state.blobs
        pdf = await store.get(uow, shown.pdf_blob_id)
    return render(request, "settings/library_item.html", page(
        me, "library", item=item, published=published, draft=draft, shown=shown,
        definition=definition, pdf=pdf, versions=versions, type_labels=TYPE_LABELS,
        requires_labels=REQUIRES_LABELS,
        definition_json=json.dumps(shown.definition, indent=1, ensure_ascii=False)
        if shown is not None and shown.definition is not None else "",
        errors=extra.pop("errors", {}), form=extra.pop("form", None),
        values=extra.pop("values", {}), **extra,
    ), status=status)  # fmt: skip


@router.get("/{item_id}", name="library.item")
async def item_view(request: Request, item_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                    audit: Audit) -> Response:  # fmt: skip
    require(me.actor, Action.manage_library)
    audit.subject("library_item", [item_id])
    return await _item_page(request, uow, me, item_id)


async def _change(
    request: Request, uow: UnitOfWork, me: Authenticated, audit: Audit, item_id: uuid.UUID,
    form_name: str, values: dict[str, Any], change: Any, done: str, *, open_new: bool = True,
) -> Response:  # fmt: skip
    """Run one editor change on the item's draft (opened if needed) in a savepoint."""
    require(me.actor, Action.manage_library)
    audit.subject("library_item", [item_id])
    item = await library.get_item(uow, item_id)
    try:
        async with savepoint(uow):
            draft = (
                await library.open_draft(uow, item, me.member.id)
                if open_new
                else await library.draft_of(uow, item)
            )
            if draft is None:
                raise InvalidInput("Nothing to publish", field_errors={"draft": "No draft."})
            await change(item, draft)
    except DomainError as exc:
        return await _item_page(request, uow, me, item_id, status=exc.status,
                                errors=exc.field_errors, message=exc.message, form=form_name,
                                values=values)  # fmt: skip
    return redirect(request, f"/settings/library/{item_id}", done)


@router.post("/{item_id}/settings", name="library.settings")
async def save_settings(request: Request, item_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                        audit: Audit) -> Response:  # fmt: skip
    require(me.actor, Action.manage_library)
    audit.subject("library_item", [item_id])
    form = await read_form(request)
    values = {n: field(form, n, 300) for n in ("staff_name", "client_title", "category")}
    flags = {n: bool(field(form, n, 5)) for n in ("include_in_intake", "shareable", "active")}
    item = await library.get_item(uow, item_id)
    try:
        async with savepoint(uow):
            await library.update_settings(
                uow,
                item,
                library.ItemSettings(
                    staff_name=values["staff_name"],
                    client_title=values["client_title"],
                    category=values["category"],
                    include_in_intake=flags["include_in_intake"],
                    shareable=flags["shareable"],
                    active=flags["active"],
                ),
                now_of(request),
            )
    except DomainError as exc:
        return await _item_page(request, uow, me, item_id, status=exc.status,
                                errors=exc.field_errors, message=exc.message, form="settings",
                                values={**values, **flags})  # fmt: skip
    return redirect(request, f"/settings/library/{item_id}", "Settings saved.")


@router.post("/{item_id}/sections", name="library.add_section")
async def add_section(request: Request, item_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                      audit: Audit) -> Response:  # fmt: skip
    form = await read_form(request)
    values = {"title": field(form, "title", 200)}

    async def change(item: LibraryItem, draft: LibraryVersion) -> None:
        changed = editor.add_section(draft.definition or {}, values["title"])
        await library.save_form(uow, item, draft, changed)

    return await _change(request, uow, me, audit, item_id, "section", values, change,
                         "Section added to the draft.")  # fmt: skip


@router.post("/{item_id}/questions", name="library.add_question")
async def add_question(request: Request, item_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                       audit: Audit) -> Response:  # fmt: skip
    form = await read_form(request)
    names = ("section", "type", "key", "label", "help", "options", "rows", "min", "max", "text")
    values: dict[str, Any] = {n: field(form, n, 20000 if n in ("options", "rows", "text") else 1000)
                              for n in names}  # fmt: skip
    values["required"] = bool(field(form, "required", 5))
    raw = values["section"]
    section = int(raw) if raw.isascii() and raw.isdecimal() and len(raw) < 4 else -1

    async def change(item: LibraryItem, draft: LibraryVersion) -> None:
        spec = editor.QuestionIn(**{**values, "section": section})
        try:
            await library.save_form(
                uow, item, draft, editor.add_question(draft.definition or {}, spec)
            )
        except InvalidInput as exc:  # the rest of the draft was valid: the new question's
            fields = {k.rsplit(".", 1)[-1].replace("scoring", "options"): v
                      for k, v in exc.field_errors.items()}  # fmt: skip
            raise InvalidInput(exc.message, field_errors=fields) from None

    return await _change(request, uow, me, audit, item_id, "question", values, change,
                         "Question added to the draft.")  # fmt: skip


@router.post("/{item_id}/questions/{key}/{operation}", name="library.question_op")
async def question_op(request: Request, item_id: uuid.UUID, key: str, operation: str,
                      uow: Uow, me: CurrentStaff, audit: Audit) -> Response:  # fmt: skip
    await read_form(request)  # the CSRF check

    async def change(item: LibraryItem, draft: LibraryVersion) -> None:
        d = draft.definition or {}
        if operation == "remove":
            changed = editor.remove_question(d, key)
        elif operation in ("up", "down"):
            changed = editor.move_question(d, key, -1 if operation == "up" else 1)
        else:
            raise InvalidInput("Unknown change", field_errors={"key": "Remove, up or down."})
        await library.save_form(uow, item, draft, changed)

    return await _change(request, uow, me, audit, item_id, "questions", {}, change,
                         "The draft was changed.")  # fmt: skip


@router.post("/{item_id}/json", name="library.json")
async def save_json(request: Request, item_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                    audit: Audit) -> Response:  # fmt: skip
    form = await read_form(request)
    raw = field(form, "definition", 500_000)
    values = {"definition": raw}

    async def change(item: LibraryItem, draft: LibraryVersion) -> None:
        def refuse(constant: str) -> None:
            raise ValueError(f"{constant} is not a number here")

        try:
            data = json.loads(raw, parse_constant=refuse)
        except (ValueError, RecursionError) as exc:
            problem = {"definition": f"Not JSON: {exc}."}
            raise InvalidInput("The form was not saved", field_errors=problem) from None
        await library.save_form(uow, item, draft, data)

    return await _change(request, uow, me, audit, item_id, "json", values, change,
                         "The draft was saved.")  # fmt: skip


@router.post("/{item_id}/document", name="library.document")
async def save_document(request: Request, item_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                        audit: Audit) -> Response:  # fmt: skip
    form = await read_form(request)
    values = {"body_markdown": field(form, "body_markdown", 100_001),
              "requires": field(form, "requires", 30)}  # fmt: skip

    async def change(item: LibraryItem, draft: LibraryVersion) -> None:
        await library.save_document(uow, item, draft, body=values["body_markdown"],
                                    requires=values["requires"])  # fmt: skip

    return await _change(request, uow, me, audit, item_id, "document", values, change,
                         "The draft was saved.")  # fmt: skip


async def _pieces(upload: UploadFile) -> AsyncIterator[bytes]:
    """The upload in pieces: the store counts them and stops at its size cap."""
    while piece := await upload.read(256 * 1024):
        yield piece


@router.post("/{item_id}/pdf", name="library.pdf")
async def attach_pdf(request: Request, item_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                     audit: Audit) -> Response:  # fmt: skip
    form = await read_form(request)
    upload = form.get("file")
    remove = bool(field(form, "remove", 5))
    store: BlobStore = request.app.state.blobs

    async def change(item: LibraryItem, draft: LibraryVersion) -> None:
        if item.kind != ItemKind.document:
            raise InvalidInput("Not a document", field_errors={"file": "Forms have no PDF."})
        if remove:
            await library.attach_pdf(uow, draft, None)
            return
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise InvalidInput("No file", field_errors={"file": "Choose a PDF file."})
        blob = await store.put(uow, filename=upload.filename, data=_pieces(upload),
                               created_by=me.member.id)  # fmt: skip
        await library.attach_pdf(uow, draft, blob)

    done = "Back to a Markdown document." if remove else "PDF attached to the draft."
    return await _change(request, uow, me, audit, item_id, "pdf", {}, change, done)


@router.post("/{item_id}/publish", name="library.publish")
async def publish(request: Request, item_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                  audit: Audit) -> Response:  # fmt: skip
    await read_form(request)
    now: datetime = now_of(request)
    published: list[int] = []

    async def change(item: LibraryItem, draft: LibraryVersion) -> None:
        published.append(await library.publish(uow, item, draft, now))

    response = await _change(request, uow, me, audit, item_id, "publish", {}, change, "",
                             open_new=False)  # fmt: skip
    if published:
        done = f"Version {published[0]} published: new intake packets use it."
        return redirect(request, f"/settings/library/{item_id}", done)
    return response


@router.post("/{item_id}/discard", name="library.discard")
async def discard(request: Request, item_id: uuid.UUID, uow: Uow, me: CurrentStaff,
                  audit: Audit) -> Response:  # fmt: skip
    require(me.actor, Action.manage_library)
    await read_form(request)
    audit.subject("library_item", [item_id])
    item = await library.get_item(uow, item_id)
    try:
        async with savepoint(uow):
            await library.discard_draft(uow, item)
    except DomainError as exc:
        return await _item_page(
            request,
            uow,
            me,
            item_id,
            status=exc.status,
            errors=exc.field_errors,
            message=exc.message,
            form="publish",
        )
    return redirect(request, f"/settings/library/{item_id}", "The draft was discarded.")
