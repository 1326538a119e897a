"""Sending an intake packet (issue 8 §4): staff choose participants of a case and library
items (by default the practice's intake packet — none for a workshop group, FORM-9); each
participant becomes a recipient whose portal account completes their items — their own,
or their verified representative's for a minor (services.portal.access.invite) — and the
IntakeOnboarding workflow is started through the outbox (it emails the invitations).
Items pin the version published when they were sent. One open
packet per case at a time. The checklist is these rows: staff pages and the portal read
them; the workflow waits on them (services.intake.process).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import Conflict, InvalidInput
from models.orm.case import Case, CaseKind, CaseStatus, OnboardingState
from models.orm.intake import IntakeItem, IntakeRecipient, IntakeRequest, IntakeStatus, ItemStatus
from models.orm.library import LibraryItem, LibraryVersion
from models.orm.person import Lifecycle, Person
from services import library
from services.documents import estimate
from services.intake import signal
from services.portal import access
from services.practice_settings import PracticeSettings


@dataclass(frozen=True)
class Packet:
    person_ids: tuple[uuid.UUID, ...]
    item_ids: tuple[uuid.UUID, ...] = ()  # none: the practice's intake packet


async def default_items(uow: UnitOfWork, case: Case) -> list[LibraryItem]:
    if case.kind == CaseKind.workshop_group:
        return []  # FORM-9: no psychotherapy intake packet for workshops by default
    await library.install_starter(uow, datetime.now(UTC))  # practices older than the library
    return [i for i in await library.items(uow) if i.include_in_intake and i.active]


async def open_request(uow: UnitOfWork, case_id: uuid.UUID) -> IntakeRequest | None:
    found: IntakeRequest | None = await uow.session.scalar(
        select(IntakeRequest).where(
            IntakeRequest.practice_id == uow.practice_id,
            IntakeRequest.case_id == case_id,
            IntakeRequest.status == IntakeStatus.open,
        )
    )
    return found


async def send_packet(
    uow: UnitOfWork,
    case: Case,
    packet: Packet,
    *,
    staff_id: uuid.UUID,
    now: datetime,
    today: date,
    settings: PracticeSettings,
) -> IntakeRequest:
    assert uow.practice_id is not None
    if case.status != CaseStatus.open:
        raise InvalidInput("The case is closed", field_errors={"intake": "Reopen the case first."})
    if await open_request(uow, case.id) is not None:
        raise Conflict(
            "An intake is already open",
            field_errors={"intake": "This case has an open intake: change that one."},
        )
    if not packet.person_ids:
        raise InvalidInput("Nobody chosen", field_errors={"intake": "Choose who completes it."})
    chosen = await _items(uow, case, packet.item_ids)
    request = IntakeRequest(
        id=uuid.uuid4(),
        practice_id=uow.practice_id,
        case_id=case.id,
        deadline_at=now + timedelta(days=settings.intake_deadline_days),
        reminder_days=sorted(set(settings.intake_reminder_days)),
        created_by_staff_id=staff_id,
        created_at=now,
    )
    uow.session.add(request)
    await uow.session.flush()
    for person_id in dict.fromkeys(packet.person_ids):
        participant = await access.current_participant(uow, case.id, person_id)
        recipients = await access.invite(
            uow,
            participant,
            today=today,
            age_of_consent=settings.minor_age_of_consent,
            staff_id=staff_id,
        )
        first = recipients[0]  # the person, or their (first) verified representative
        recipient = IntakeRecipient(
            id=uuid.uuid4(),
            practice_id=uow.practice_id,
            request_id=request.id,
            person_id=person_id,
            account_id=first.account.id,
            scope=first.scope,
            invite_requested_at=now,
        )
        uow.session.add(recipient)
        await uow.session.flush()
        bodies = await generated_bodies(uow, case, chosen, today, person_id)
        for n, (item, version_id) in enumerate(chosen):
            uow.session.add(
                new_item(request, recipient, item.id, version_id, n, bodies.get(item.id))
            )
        participant.onboarding_state = OnboardingState.invited
        person = await uow.session.get(Person, person_id)
        if person is not None and person.lifecycle == Lifecycle.prospect:
            person.lifecycle = Lifecycle.intake_pending  # FORM-6, WFS-3
    await uow.session.flush()
    await signal.start(uow, request)  # the workflow emails the invitations
    return request


async def _items(
    uow: UnitOfWork, case: Case, item_ids: tuple[uuid.UUID, ...]
) -> list[tuple[LibraryItem, uuid.UUID]]:
    items = (
        [await library.get_item(uow, i) for i in dict.fromkeys(item_ids)]
        if item_ids
        else await default_items(uow, case)
    )
    out = []
    published = await library.latest_published_of(uow, [i.id for i in items])
    for item in items:
        version = published.get(item.id)
        if version is None or not item.shareable or not item.active:
            raise InvalidInput(
                "Not ready to send",
                field_errors={
                    "intake": f"“{item.staff_name}” is not published or not shared with clients."
                },
            )
        out.append((item, version.id))
    if not out:
        raise InvalidInput("Nothing to send", field_errors={"intake": "Choose forms or documents."})
    return out


async def generated_bodies(
    uow: UnitOfWork,
    case: Case,
    chosen: list[tuple[LibraryItem, uuid.UUID]],
    today: date,
    person_id: uuid.UUID,
) -> dict[uuid.UUID, str]:
    """The text of generated documents (the Good Faith Estimate) for this case and the
    person it is sent for, by item."""
    out = {}
    for item, version_id in chosen:
        if item.generator == estimate.GENERATOR:
            version = await uow.session.get(LibraryVersion, version_id)
            assert version is not None
            out[item.id] = await estimate.good_faith_estimate(
                uow, case, version.body_markdown, today, person_id
            )
    return out


def new_item(
    request: IntakeRequest,
    recipient: IntakeRecipient,
    item_id: uuid.UUID,
    version_id: uuid.UUID,
    position: int,
    body: str | None,
) -> IntakeItem:
    """A pending checklist row; a generated document keeps its text and that text's
    SHA-256 (what the client reads is what is hashed)."""
    return IntakeItem(
        id=uuid.uuid4(),
        practice_id=request.practice_id,
        request_id=request.id,
        recipient_id=recipient.id,
        library_item_id=item_id,
        version_id=version_id,
        position=position,
        status=ItemStatus.pending,
        body_markdown=body,
        body_sha256=None if body is None else hashlib.sha256(body.encode()).digest(),
    )


@dataclass(frozen=True)
class ChecklistLine:
    item_id: uuid.UUID
    title: str
    status: str
    done_at: datetime | None
    score: str | None  # "PHQ-9 total 9 of 27 · Mild" (clinical: shown to clinicians only)


@dataclass(frozen=True)
class ChecklistPerson:
    recipient: IntakeRecipient
    lines: list[ChecklistLine]

    @property
    def person_id(self) -> uuid.UUID:
        return self.recipient.person_id

    @property
    def scope(self) -> str:
        return self.recipient.scope

    @property
    def completed_at(self) -> datetime | None:
        return self.recipient.completed_at


@dataclass(frozen=True)
class Checklist:
    request: IntakeRequest
    people: list[ChecklistPerson]
    addable: list[LibraryItem]  # what staff may add to an open intake


async def addable_items(uow: UnitOfWork) -> list[LibraryItem]:
    """Active items shared with clients that have a published version (one query)."""
    return [
        item
        for item, published, _draft in await library.listing(uow)
        if item.active and item.shareable and published is not None
    ]


async def checklist(uow: UnitOfWork, case_id: uuid.UUID) -> Checklist | None:
    """The case's latest intake, read from its rows (one query per table, not per item)."""
    request = await uow.session.scalar(
        select(IntakeRequest)
        .where(IntakeRequest.practice_id == uow.practice_id, IntakeRequest.case_id == case_id)
        .order_by(IntakeRequest.created_at.desc())
        .limit(1)
    )
    if request is None:
        return None
    recipients = list(
        await uow.session.scalars(
            select(IntakeRecipient)
            .where(
                IntakeRecipient.practice_id == uow.practice_id,
                IntakeRecipient.request_id == request.id,
            )
            .order_by(IntakeRecipient.created_at)
        )
    )
    rows = (
        await uow.session.execute(
            select(IntakeItem, LibraryItem.client_title)
            .join(
                LibraryItem,
                (LibraryItem.practice_id == IntakeItem.practice_id)
                & (LibraryItem.id == IntakeItem.library_item_id),
            )
            .where(
                IntakeItem.practice_id == uow.practice_id,
                IntakeItem.request_id == request.id,
                IntakeItem.status != ItemStatus.removed,
            )
            .order_by(IntakeItem.position)
        )
    ).all()
    by_recipient: dict[uuid.UUID, list[ChecklistLine]] = {}
    for item, title in rows:
        score = None
        for s in item.scores or []:
            band = f" · {s['band']}" if s.get("band") else ""
            flags = f" · {'; '.join(s['flags'])}" if s.get("flags") else ""
            score = f"total {s['total']} of {s['highest']}{band}{flags}"
        done_at = item.signed_at or item.acknowledged_at or item.submitted_at
        by_recipient.setdefault(item.recipient_id, []).append(
            ChecklistLine(item.id, title, item.status, done_at, score)
        )
    people = [ChecklistPerson(r, by_recipient.get(r.id, [])) for r in recipients]
    addable = await addable_items(uow) if request.status == IntakeStatus.open else []
    return Checklist(request, people, addable)
