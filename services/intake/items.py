"""What the portal does with an intake item (issue 8 §4, §6): only the account the item's
recipient names may open it (anything else is a 404); a form's answers are saved as
typed — a draft on every "Save", so nothing is lost — and checked on submit (required
questions, types, ranges), with the scores kept; a document is acknowledged or signed,
the signature keeping the typed name, the time, the IP and the SHA-256 of the exact
version signed. When every item of a recipient is done the recipient is complete; when
every recipient is, so is the request; each completion signals the workflow through the
outbox (drafts do not: they change nothing it waits on), which then finishes onboarding.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from models.orm.case import OnboardingState, Participant
from models.orm.intake import IntakeItem, IntakeRecipient, IntakeRequest, IntakeStatus, ItemStatus
from models.orm.library import ItemKind, LibraryItem, LibraryVersion, Requires
from services.forms.answers import answer_errors, from_fields, scores
from services.forms.schema import FormDefinition
from services.intake import signal


@dataclass(frozen=True)
class OpenItem:
    item: IntakeItem
    recipient: IntakeRecipient
    request: IntakeRequest
    library_item: LibraryItem
    version: LibraryVersion

    @property
    def body(self) -> str:
        """The document's text: generated for this case, or the version's own."""
        return self.item.body_markdown or self.version.body_markdown

    @property
    def fingerprint(self) -> bytes | None:
        """The SHA-256 a signature keeps: of the generated text, or of the version."""
        return self.item.body_sha256 or self.version.content_sha256

    @property
    def definition(self) -> FormDefinition | None:
        if self.version.definition is None:
            return None
        return FormDefinition.model_validate(self.version.definition)


def _query() -> Any:
    return (
        select(IntakeItem, IntakeRecipient, IntakeRequest, LibraryItem, LibraryVersion)
        .join(
            IntakeRecipient,
            (IntakeRecipient.practice_id == IntakeItem.practice_id)
            & (IntakeRecipient.id == IntakeItem.recipient_id),
        )
        .join(
            IntakeRequest,
            (IntakeRequest.practice_id == IntakeItem.practice_id)
            & (IntakeRequest.id == IntakeItem.request_id),
        )
        .join(
            LibraryItem,
            (LibraryItem.practice_id == IntakeItem.practice_id)
            & (LibraryItem.id == IntakeItem.library_item_id),
        )
        .join(
            LibraryVersion,
            (LibraryVersion.practice_id == IntakeItem.practice_id)
            & (LibraryVersion.id == IntakeItem.version_id),
        )
    )


async def items_for(uow: UnitOfWork, account_id: uuid.UUID, person_id: uuid.UUID) -> list[OpenItem]:
    """The account's items for the person it acts for, in open requests (not removed)."""
    rows = (
        await uow.session.execute(
            _query()
            .where(
                IntakeItem.practice_id == uow.practice_id,
                IntakeRecipient.account_id == account_id,
                IntakeRecipient.person_id == person_id,
                IntakeItem.status != ItemStatus.removed,
                IntakeRequest.status.in_([IntakeStatus.open, IntakeStatus.completed]),
            )
            .order_by(IntakeRequest.created_at.desc(), IntakeItem.position)
        )
    ).all()
    return [OpenItem(*row) for row in rows]


async def load(
    uow: UnitOfWork, account_id: uuid.UUID, person_id: uuid.UUID, item_id: uuid.UUID
) -> OpenItem:
    for entry in await items_for(uow, account_id, person_id):
        if entry.item.id == item_id:
            return entry
    raise NotFound("Not found")


async def _lock(uow: UnitOfWork, entry: OpenItem) -> None:
    """Lock the request, then the item — the order staff changes and the workflow use —
    and re-check on the locked rows (a cancel or a removal may have just committed)."""
    await uow.session.refresh(entry.request, with_for_update=True)
    await uow.session.refresh(entry.item, with_for_update=True)
    _changeable(entry)


def _changeable(entry: OpenItem) -> None:
    if entry.item.status == ItemStatus.removed:
        raise NotFound("Not found")
    if entry.request.status != IntakeStatus.open:
        raise InvalidInput(
            "This intake is closed", field_errors={"item": "The practice closed this intake."}
        )
    if entry.item.status == ItemStatus.done:
        raise InvalidInput("Already done", field_errors={"item": "This is already done."})


async def save_form(
    uow: UnitOfWork,
    entry: OpenItem,
    fields: Mapping[str, list[str]],
    *,
    submit: bool,
    now: datetime,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Save what was typed (always: a refused submit keeps it as a draft — the route
    commits the refusal, `keep_refusal`) and, on submit, check it. Returns the answers and
    the problems ({}: submitted, the item is done)."""
    await _lock(uow, entry)
    definition = entry.definition
    if definition is None:
        raise NotFound("Not a form")
    answers = from_fields(definition, fields)
    problems = answer_errors(definition, answers, final=submit)
    entry.item.answers = answers
    entry.item.updated_at = now
    entry.item.status = ItemStatus.draft
    if submit and problems:
        await uow.session.flush()
        return answers, problems
    if submit:
        entry.item.status = ItemStatus.done
        entry.item.submitted_at = now
        entry.item.scores = [
            s.as_json() | {"question": s.question} for s in scores(definition, answers)
        ]
        await _progress(uow, entry, now)
    await uow.session.flush()
    return answers, {}


async def complete_document(
    uow: UnitOfWork,
    entry: OpenItem,
    *,
    typed_name: str,
    agreed: bool,
    ip: str | None,
    now: datetime,
) -> None:
    await _lock(uow, entry)
    if entry.library_item.kind != ItemKind.document:
        raise NotFound("Not a document")
    requires = entry.version.requires
    if requires == Requires.signature:
        name = " ".join(typed_name.split())[:200]
        if len(name) < 2:
            raise InvalidInput(
                "Not signed", field_errors={"signed_name": "Type your full name to sign."}
            )
        entry.item.signed_name = name
        entry.item.signed_at = now
        entry.item.signed_ip = ip
        entry.item.signed_sha256 = entry.fingerprint
    elif requires == Requires.acknowledgement:
        if not agreed:
            raise InvalidInput(
                "Not acknowledged", field_errors={"agreed": "Tick the box to confirm you read it."}
            )
        entry.item.acknowledged_at = now
    entry.item.status = ItemStatus.done
    entry.item.updated_at = now
    await _progress(uow, entry, now)
    await uow.session.flush()


async def _progress(uow: UnitOfWork, entry: OpenItem, now: datetime) -> None:
    """An item is done: the participant's onboarding is under way, the recipient and the
    request may be complete now, and the workflow is told (through the outbox)."""
    participant = await uow.session.scalar(
        select(Participant).where(
            Participant.practice_id == uow.practice_id,
            Participant.case_id == entry.request.case_id,
            Participant.person_id == entry.recipient.person_id,
        )
    )
    if participant is not None and participant.onboarding_state == OnboardingState.invited:
        participant.onboarding_state = OnboardingState.in_progress
    await settle(uow, entry.request, entry.recipient, now)
    await signal.rows_changed(uow, entry.request)


async def settle(
    uow: UnitOfWork, request: IntakeRequest, recipient: IntakeRecipient, now: datetime
) -> None:
    """Completes the recipient when none of their items is outstanding (and re-opens them
    when one is again, an added item), and the request when every recipient is complete.
    The request row is locked first: a staff cancel racing the last submission is decided
    by whoever holds it, never overwritten."""
    await uow.session.flush()
    await uow.session.refresh(request, with_for_update=True)
    if request.status != IntakeStatus.open:
        return
    left = await uow.session.scalar(
        select(IntakeItem.id)
        .where(
            IntakeItem.practice_id == uow.practice_id,
            IntakeItem.recipient_id == recipient.id,
            IntakeItem.status.in_([ItemStatus.pending, ItemStatus.draft]),
        )
        .limit(1)
    )
    if left is not None:
        recipient.completed_at = None
        await uow.session.flush()
        return
    if recipient.completed_at is None:
        recipient.completed_at = now
    await uow.session.flush()
    open_recipient = await uow.session.scalar(
        select(IntakeRecipient.id)
        .where(
            IntakeRecipient.practice_id == uow.practice_id,
            IntakeRecipient.request_id == request.id,
            IntakeRecipient.completed_at.is_(None),
        )
        .limit(1)
    )
    if open_recipient is None:
        request.status = IntakeStatus.completed
        request.completed_at = now
    await uow.session.flush()
