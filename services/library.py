"""The practice library of forms and documents (FORM-1…2, DOCED-*), versioned.

- Every practice starts with the shipped set (`install_starter`, at practice creation):
  the demographics intake, consent to treatment, release of information, PHQ-9 and GAD-7
  forms (`models/data/forms`), the notice of privacy practices and practice policies
  (acknowledged), and the Good Faith Estimate (generated per case from its services and
  fees, DOCED-6/7). The intake packet by default: demographics, consent, PHQ-9, GAD-7,
  privacy notice and policies.
- Content lives in versions. Version 1 of a shipped item is published at once; editing
  works on a draft (one per item, a copy of the latest published version), checked at
  every save — a bad form definition is refused with the validator's messages, so a
  draft is always a form that could be published — and published as the next version.
  A published version never changes (a trigger refuses it): responses keep the version
  they answered and a signature the SHA-256 of the exact content (`content_hash`).
- Who keeps the library: owners and admins the owner allows (`Action.manage_library`);
  everyone reads it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on, insert

from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from models.orm.blob import Blob
from models.orm.library import ItemKind, LibraryItem, LibraryVersion, Requires
from services.forms.editor import slug
from services.forms.schema import DefinitionError, FormDefinition, parse_definition

DATA = Path(__file__).resolve().parent.parent / "models" / "data"


@dataclass(frozen=True)
class Starter:
    key: str
    kind: ItemKind
    staff_name: str
    client_title: str
    category: str
    include_in_intake: bool
    requires: Requires = Requires.none
    generator: str | None = None


STARTERS = (
    Starter("demographics", ItemKind.form, "Demographics intake", "About you", "Intake", True),
    Starter("consent_to_treatment", ItemKind.form, "Consent to treatment", "Consent to treatment",
            "Consent", True),
    Starter("release_of_information", ItemKind.form, "Release of information (ROI)",
            "Authorization to release information", "Consent", False),
    Starter("phq9", ItemKind.form, "PHQ-9 (depression)", "How you have been feeling",
            "Assessments", True),
    Starter("gad7", ItemKind.form, "GAD-7 (anxiety)", "Worry and anxiety", "Assessments", True),
    Starter("privacy_notice", ItemKind.document, "Notice of privacy practices",
            "Notice of privacy practices", "Policies", True, Requires.acknowledgement),
    Starter("practice_policies", ItemKind.document, "Practice policies", "Practice policies",
            "Policies", True, Requires.acknowledgement),
    Starter("good_faith_estimate", ItemKind.document, "Good Faith Estimate (self-pay)",
            "Good Faith Estimate", "Billing", False, Requires.acknowledgement,
            "good_faith_estimate"),
)  # fmt: skip


@cache
def _file(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def starter_content(s: Starter) -> tuple[dict[str, Any] | None, str]:
    """A fresh copy of the shipped definition (or Markdown) of a starter item."""
    if s.kind is ItemKind.form:
        return json.loads(_file(DATA / "forms" / f"{s.key}.json")), ""
    return None, _file(DATA / "documents" / f"{s.key}.md")


def content_hash(
    kind: str, definition: dict[str, Any] | None, body: str, requires: str,
    pdf_sha256: bytes | None,
) -> bytes:  # fmt: skip
    """SHA-256 of exactly what a person sees and agrees to: the form's definition (keys
    sorted), or the document's Markdown, what it requires, and the PDF's own hash."""
    if kind == ItemKind.form:
        canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"))
        payload = f"form\x00{canonical}"
    else:
        pdf = pdf_sha256.hex() if pdf_sha256 else ""
        payload = f"document\x00{requires}\x00{pdf}\x00{body}"
    return hashlib.sha256(payload.encode("utf-8")).digest()


async def install_starter(uow: UnitOfWork, now: datetime) -> int:
    """The shipped items the practice does not have yet (by key); returns how many."""
    assert uow.practice_id is not None
    have = set(
        await uow.session.scalars(
            select(LibraryItem.key).where(LibraryItem.practice_id == uow.practice_id)
        )
    )
    added = 0
    for s in STARTERS:
        if s.key in have:
            continue  # (one read instead of an insert per starter on every call)
        item_id = await uow.session.scalar(
            insert(LibraryItem)
            .values(id=uuid.uuid4(), practice_id=uow.practice_id, kind=s.kind, key=s.key,
                    staff_name=s.staff_name, client_title=s.client_title, category=s.category,
                    include_in_intake=s.include_in_intake, generator=s.generator)
            .on_conflict_do_nothing(index_elements=["practice_id", "key"])
            .returning(LibraryItem.id)
        )  # fmt: skip
        if item_id is None:
            continue
        definition, body = starter_content(s)
        uow.session.add(LibraryVersion(
            id=uuid.uuid4(), practice_id=uow.practice_id, item_id=item_id, version=1,
            definition=definition, body_markdown=body, requires=s.requires,
            content_sha256=content_hash(s.kind, definition, body, s.requires, None),
            published_at=now,
        ))  # fmt: skip
        added += 1
    await uow.session.flush()
    return added


async def items(uow: UnitOfWork) -> list[LibraryItem]:
    rows = await uow.session.scalars(
        select(LibraryItem)
        .where(LibraryItem.practice_id == uow.practice_id)
        .order_by(LibraryItem.category, LibraryItem.staff_name)
    )
    return list(rows)


async def listing(uow: UnitOfWork) -> list[tuple[LibraryItem, int | None, int | None]]:
    """Every item with its latest published version number and its draft's, in one query."""
    published = func.max(LibraryVersion.version).filter(LibraryVersion.published_at.is_not(None))
    draft = func.max(LibraryVersion.version).filter(LibraryVersion.published_at.is_(None))
    rows = await uow.session.execute(
        select(LibraryItem, published, draft)
        .outerjoin(
            LibraryVersion,
            (LibraryVersion.practice_id == LibraryItem.practice_id)
            & (LibraryVersion.item_id == LibraryItem.id),
        )
        .where(LibraryItem.practice_id == uow.practice_id)
        .group_by(LibraryItem.id)
        .order_by(LibraryItem.category, LibraryItem.staff_name)
    )
    return [(item, pub, dra) for item, pub, dra in rows]


async def get_item(uow: UnitOfWork, item_id: uuid.UUID) -> LibraryItem:
    item = await uow.session.scalar(
        select(LibraryItem).where(
            LibraryItem.practice_id == uow.practice_id, LibraryItem.id == item_id
        )
    )
    if item is None:
        raise NotFound("No such library item")
    return item


async def versions_of(uow: UnitOfWork, item: LibraryItem) -> list[LibraryVersion]:
    rows = await uow.session.scalars(
        select(LibraryVersion)
        .where(LibraryVersion.practice_id == uow.practice_id, LibraryVersion.item_id == item.id)
        .order_by(LibraryVersion.version.desc())
    )
    return list(rows)


async def latest_published(uow: UnitOfWork, item: LibraryItem) -> LibraryVersion | None:
    row: LibraryVersion | None = await uow.session.scalar(
        select(LibraryVersion)
        .where(
            LibraryVersion.practice_id == uow.practice_id,
            LibraryVersion.item_id == item.id,
            LibraryVersion.published_at.is_not(None),
        )
        .order_by(LibraryVersion.version.desc())
        .limit(1)
    )
    return row


async def latest_published_of(
    uow: UnitOfWork, item_ids: list[uuid.UUID]
) -> dict[uuid.UUID, LibraryVersion]:
    """`latest_published` for several items in one query."""
    rows = await uow.session.scalars(
        select(LibraryVersion)
        .where(
            LibraryVersion.practice_id == uow.practice_id,
            LibraryVersion.item_id.in_(item_ids),
            LibraryVersion.published_at.is_not(None),
        )
        .ext(distinct_on(LibraryVersion.item_id))
        .order_by(LibraryVersion.item_id, LibraryVersion.version.desc())
    )
    return {v.item_id: v for v in rows}


async def draft_of(uow: UnitOfWork, item: LibraryItem) -> LibraryVersion | None:
    row: LibraryVersion | None = await uow.session.scalar(
        select(LibraryVersion).where(
            LibraryVersion.practice_id == uow.practice_id,
            LibraryVersion.item_id == item.id,
            LibraryVersion.published_at.is_(None),
        )
    )
    return row


async def open_draft(uow: UnitOfWork, item: LibraryItem, staff_id: uuid.UUID) -> LibraryVersion:
    """The item's draft, made from the latest published version when there is none."""
    existing = await draft_of(uow, item)
    if existing is not None:
        return existing
    base = await latest_published(uow, item)
    number = await uow.session.scalar(
        select(func.coalesce(func.max(LibraryVersion.version), 0)).where(
            LibraryVersion.practice_id == uow.practice_id, LibraryVersion.item_id == item.id
        )
    )
    assert uow.practice_id is not None
    draft = LibraryVersion(
        id=uuid.uuid4(), practice_id=uow.practice_id, item_id=item.id,
        version=int(number or 0) + 1, definition=base.definition if base else None,
        body_markdown=base.body_markdown if base else "",
        pdf_blob_id=base.pdf_blob_id if base else None,
        requires=base.requires if base else Requires.none, created_by_staff_id=staff_id,
    )  # fmt: skip
    uow.session.add(draft)
    await uow.session.flush()
    return draft


def checked_definition(data: Any, key: str) -> FormDefinition:
    """A form definition the draft may hold, or InvalidInput with every problem."""
    try:
        definition = parse_definition(data)
    except DefinitionError as exc:
        raise InvalidInput(
            "The form was not saved",
            field_errors=dict(exc.problems),
        ) from None
    if definition.key != key:
        raise InvalidInput("The form was not saved",
                           field_errors={"key": f"This form's key is {key}."})  # fmt: skip
    return definition


async def save_form(uow: UnitOfWork, item: LibraryItem, draft: LibraryVersion, data: Any) -> None:
    if item.kind != ItemKind.form:
        raise InvalidInput("Not a form", field_errors={"kind": "This item is a document."})
    definition = checked_definition(data, item.key)
    draft.definition = definition.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    await uow.session.flush()


async def save_document(
    uow: UnitOfWork, item: LibraryItem, draft: LibraryVersion, *, body: str, requires: str
) -> None:
    errors: dict[str, str] = {}
    if item.kind != ItemKind.document:
        errors["kind"] = "This item is a form."
    if requires not in Requires.__members__:
        errors["requires"] = "Nothing, an acknowledgement or a signature."
    if len(body) > 100_000:
        errors["body_markdown"] = "At most 100,000 characters."
    if not body.strip() and draft.pdf_blob_id is None:
        errors["body_markdown"] = "Write the document, or attach a PDF."
    if errors:
        raise InvalidInput("The document was not saved", field_errors=errors)
    draft.body_markdown = body.replace("\x00", "")
    draft.requires = requires
    await uow.session.flush()


async def publish(uow: UnitOfWork, item: LibraryItem, draft: LibraryVersion, now: datetime) -> int:
    pdf_sha = None
    if draft.pdf_blob_id is not None:
        pdf_sha = await uow.session.scalar(
            select(Blob.sha256).where(
                Blob.practice_id == uow.practice_id, Blob.id == draft.pdf_blob_id
            )
        )
    if item.kind == ItemKind.form:
        definition = checked_definition(draft.definition, item.key)
        if not definition.questions():
            raise InvalidInput("Not published", field_errors={"sections": "Add a question first."})
    elif not draft.body_markdown.strip() and draft.pdf_blob_id is None:
        raise InvalidInput(
            "Not published", field_errors={"body_markdown": "Write the document, or attach a PDF."}
        )
    draft.content_sha256 = content_hash(
        item.kind, draft.definition, draft.body_markdown, draft.requires, pdf_sha
    )
    draft.published_at = now
    item.updated_at = now
    await uow.session.flush()
    return draft.version


async def create_item(
    uow: UnitOfWork, *, kind: str, staff_name: str, client_title: str, category: str,
    staff_id: uuid.UUID,
) -> LibraryItem:  # fmt: skip
    """A new form or document with an empty first draft; its key comes from its name."""
    assert uow.practice_id is not None
    errors: dict[str, str] = {}
    if kind not in ItemKind.__members__:
        errors["kind"] = "A form or a document."
    names = {"staff_name": staff_name.strip(), "client_title": client_title.strip(),
             "category": category.strip() or "Intake"}  # fmt: skip
    for name, value in names.items():
        if not value and name != "category":
            errors[name] = "Give it a name." if name == "staff_name" else "What do clients see?"
        elif len(value) > 200 or not value.isprintable():
            errors[name] = "One line, up to 200 characters."
    if errors:
        raise InvalidInput("Nothing was added", field_errors=errors)
    taken = set(await uow.session.scalars(
        select(LibraryItem.key).where(LibraryItem.practice_id == uow.practice_id)
    ))  # fmt: skip
    base = slug(names["staff_name"], 36)
    key = next(k for k in (base, *(f"{base}_{n}" for n in range(2, 1000))) if k not in taken)
    item = LibraryItem(id=uuid.uuid4(), practice_id=uow.practice_id, kind=kind, key=key,
                       staff_name=names["staff_name"], client_title=names["client_title"],
                       category=names["category"])  # fmt: skip
    uow.session.add(item)
    await uow.session.flush()
    definition = (
        {"key": key, "title": names["client_title"],
         "sections": [{"title": "Questions", "questions": []}]}
        if kind == ItemKind.form else None
    )  # fmt: skip
    uow.session.add(LibraryVersion(
        id=uuid.uuid4(), practice_id=uow.practice_id, item_id=item.id, version=1,
        definition=definition, created_by_staff_id=staff_id,
    ))  # fmt: skip
    await uow.session.flush()
    return item


@dataclass(frozen=True)
class ItemSettings:
    staff_name: str
    client_title: str
    category: str
    include_in_intake: bool
    shareable: bool
    active: bool


async def update_settings(
    uow: UnitOfWork, item: LibraryItem, data: ItemSettings, now: datetime
) -> None:
    errors: dict[str, str] = {}
    values = {"staff_name": data.staff_name.strip(), "client_title": data.client_title.strip(),
              "category": data.category.strip() or "Intake"}  # fmt: skip
    for name, value in values.items():
        if not value:
            errors[name] = "This needs a name."
        elif len(value) > 200 or not value.isprintable():
            errors[name] = "One line, up to 200 characters."
    if errors:
        raise InvalidInput("The settings were not saved", field_errors=errors)
    for name, value in values.items():
        setattr(item, name, value)
    item.include_in_intake = data.include_in_intake
    item.shareable = data.shareable
    item.active = data.active
    item.updated_at = now
    await uow.session.flush()


async def attach_pdf(uow: UnitOfWork, draft: LibraryVersion, blob: Blob | None) -> None:
    """PDF mode (DOCED-4): the PDF is the document, the Markdown its preamble; None goes
    back to Markdown mode."""
    if blob is not None and blob.content_type != "application/pdf":
        raise InvalidInput("Not a PDF", field_errors={"file": "Attach a PDF file."})
    draft.pdf_blob_id = blob.id if blob else None
    await uow.session.flush()


async def discard_draft(uow: UnitOfWork, item: LibraryItem) -> None:
    if await latest_published(uow, item) is None:
        raise InvalidInput(
            "Nothing to go back to",
            field_errors={
                "draft": "This item has never been published: its draft is all there is."
            },
        )
    draft = await draft_of(uow, item)
    if draft is not None:
        await uow.session.delete(draft)
        await uow.session.flush()
