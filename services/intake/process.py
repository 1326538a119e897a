"""The steps of the IntakeOnboarding workflow (issue 8 §5), each one transaction that
re-reads the rows and is safe to run twice:

- `check` — the request as it stands; an open one whose case closed, or one of whose
  recipients left the case, is ended here (the row change the workflow then reports).
- `send_invitations` — a generic invitation (no name, nothing clinical) to every
  outstanding recipient whose invitation is due: the send, a staff resend, or an added
  item for someone who had finished. Each sends a new 7-day link (the older one is
  revoked); `invited_at` makes a retried step send none twice.
- `send_reminder` — reminder *n* to each outstanding recipient who has had fewer: a fresh
  30-minute sign-in link, since the invitation may be used already.
- `open_overdue` — past the deadline: an "Intake overdue" task for the practice's intake
  contact (one per request, by business key); the workflow keeps waiting.
- `finish` — completed: each recipient's participant is onboarded (`complete`), a person
  still *Intake pending* becomes *Active*, the overdue task is resolved and a review task
  opens for the case's provider. Cancelled or ended: the overdue task is resolved and
  onboarding that had not finished goes back to *not started*.

Times are the workflow's (`at`), so links, tasks and rows agree with its timers.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.db import UnitOfWork
from models.contracts.intake import IntakeView, intake_workflow_id
from models.orm.case import Case, CaseStatus, OnboardingState, Participant
from models.orm.intake import EndReason, IntakeRecipient, IntakeRequest, IntakeStatus
from models.orm.person import Lifecycle, Person
from models.orm.portal import PortalAccount, PortalLinkPurpose
from services.mail.outbox import queue_mail
from services.portal import links
from services.portal.invitations import invitation_url
from services.practice_settings import settings_of
from services.practices import get_practice
from services.tasks.commands import Opener, TaskOpen, open_task, resolve_by_key
from services.tasks.kinds import SubjectType, TaskKind


def _day(at: datetime, tz: str) -> str:
    """`December 8`, in the practice's time zone (an evening send in Chicago is not the
    next day)."""
    return f"{at.astimezone(ZoneInfo(tz)):%B %-d}"


def overdue_key(request_id: uuid.UUID) -> str:
    return f"intake-overdue:{request_id}"


def review_key(request_id: uuid.UUID) -> str:
    return f"intake-review:{request_id}"


async def _request(uow: UnitOfWork, request_id: uuid.UUID) -> IntakeRequest | None:
    found: IntakeRequest | None = await uow.session.scalar(
        select(IntakeRequest)
        .where(IntakeRequest.practice_id == uow.practice_id, IntakeRequest.id == request_id)
        .with_for_update()
    )
    return found


async def _recipients(uow: UnitOfWork, request_id: uuid.UUID) -> list[IntakeRecipient]:
    return list(
        await uow.session.scalars(
            select(IntakeRecipient)
            .where(
                IntakeRecipient.practice_id == uow.practice_id,
                IntakeRecipient.request_id == request_id,
            )
            .order_by(IntakeRecipient.created_at, IntakeRecipient.id)
        )
    )


def end(request: IntakeRequest, reason: EndReason, now: datetime) -> None:
    status = IntakeStatus.cancelled if reason == EndReason.cancelled else IntakeStatus.ended
    request.status, request.end_reason, request.closed_at = status, reason, now


async def ending_reason(
    uow: UnitOfWork, request: IntakeRequest, recipients: list[IntakeRecipient] | None = None
) -> EndReason | None:
    """Why an open request can no longer complete: its case closed, a recipient is no
    longer a participant (staff send a new intake to those who remain), or staff turned a
    recipient's portal access off in the case (their items are out of reach)."""
    case = await uow.session.scalar(
        select(Case).where(Case.practice_id == uow.practice_id, Case.id == request.case_id)
    )
    if case is None or case.status != CaseStatus.open:
        return EndReason.case_closed
    if recipients is None:
        recipients = await _recipients(uow, request.id)
    wanted = {r.person_id for r in recipients}
    rows = await uow.session.execute(
        select(Participant.person_id, Participant.portal_access).where(
            Participant.practice_id == uow.practice_id,
            Participant.case_id == request.case_id,
            Participant.person_id.in_(wanted),
            Participant.left_on.is_(None),
        )
    )
    current: dict[uuid.UUID, bool] = {row.person_id: row.portal_access for row in rows}
    if wanted - set(current):
        return EndReason.participant_left
    if not all(current.values()):  # their items are out of reach in the portal now
        return EndReason.portal_access_off
    return None


async def check(uow: UnitOfWork, request_id: uuid.UUID, at: datetime) -> IntakeView:
    request = await _request(uow, request_id)
    if request is None:
        return IntakeView(status="missing")
    recipients = await _recipients(uow, request_id)
    if request.status == IntakeStatus.open:
        reason = await ending_reason(uow, request, recipients)
        if reason is not None:
            end(request, reason, at)
            await uow.session.flush()
    outstanding = [r for r in recipients if r.completed_at is None]
    return IntakeView(
        status=request.status,
        sent_at=request.created_at,
        recipients=len(recipients),
        outstanding=len(outstanding),
        invitations_due=sum(1 for r in outstanding if r.invitation_due),
        reminders_sent=min((r.reminders_sent for r in outstanding), default=0),
        reminder_offsets=[timedelta(days=d) for d in sorted(set(request.reminder_days)) if d > 0],
        deadline_offset=request.deadline_at - request.created_at,
        overdue=request.overdue_at is not None,
    )


async def _accounts(
    uow: UnitOfWork, recipients: list[IntakeRecipient]
) -> dict[uuid.UUID, PortalAccount]:
    ids = {r.account_id for r in recipients}
    rows = await uow.session.scalars(
        select(PortalAccount).where(
            PortalAccount.practice_id == uow.practice_id, PortalAccount.id.in_(ids)
        )
    )
    return {a.id: a for a in rows}


async def send_invitations(
    uow: UnitOfWork, request_id: uuid.UUID, at: datetime, base_url: str
) -> int:
    request = await _request(uow, request_id)
    if request is None or request.status != IntakeStatus.open:
        return 0
    due = [
        r for r in await _recipients(uow, request_id) if r.completed_at is None and r.invitation_due
    ]
    if not due:
        return 0
    practice = await get_practice(uow)
    accounts = await _accounts(uow, due)
    sent = 0
    mailed: set[uuid.UUID] = set()  # one email per account (a parent for two children)
    for recipient in due:
        account = accounts.get(recipient.account_id)
        # The time the request was made, not ours: a later resend is due again.
        recipient.invited_at = max(at, recipient.invite_requested_at)
        if account is None or account.disabled_at is not None or account.id in mailed:
            continue  # a disabled account gets nothing; staff see "not invited"
        mailed.add(account.id)
        token = await links.issue(
            uow,
            account_id=account.id,
            purpose=PortalLinkPurpose.invitation,
            now=at,
            confirm_person_id=account.person_id,
        )
        stamp = int(recipient.invite_requested_at.timestamp() * 1_000_000)
        await queue_mail(
            uow,
            recipient=account.email,
            template="intake_invitation",
            context={
                "practice_name": practice.name,
                "link": invitation_url(base_url, practice.link_name, token),
                "deadline": _day(request.deadline_at, practice.timezone),
            },
            idempotency_key=f"intake-invitation:{recipient.id}:{stamp}",
        )
        sent += 1
    await uow.session.flush()
    return sent


async def send_reminder(
    uow: UnitOfWork, request_id: uuid.UUID, number: int, at: datetime, base_url: str
) -> int:
    request = await _request(uow, request_id)
    if request is None or request.status != IntakeStatus.open:
        return 0
    due = [
        r
        for r in await _recipients(uow, request_id)
        if r.completed_at is None and r.reminders_sent < number
    ]
    if not due:
        return 0
    practice = await get_practice(uow)
    accounts = await _accounts(uow, due)
    sent = 0
    mailed: set[uuid.UUID] = set()
    for recipient in due:
        recipient.reminders_sent, recipient.reminded_at = number, at
        account = accounts.get(recipient.account_id)
        if account is None or account.disabled_at is not None or account.id in mailed:
            continue
        mailed.add(account.id)
        token = await links.issue(
            uow, account_id=account.id, purpose=PortalLinkPurpose.sign_in, now=at
        )
        await queue_mail(
            uow,
            recipient=account.email,
            template="intake_reminder",
            context={
                "practice_name": practice.name,
                "link": f"{base_url.rstrip('/')}/portal/{practice.link_name}/sign-in/{token}",
                "deadline": _day(request.deadline_at, practice.timezone),
                "overdue": at >= request.deadline_at,
            },
            idempotency_key=f"intake-reminder:{recipient.id}:{number}",
        )
        sent += 1
    await uow.session.flush()
    return sent


async def _case(uow: UnitOfWork, request: IntakeRequest) -> Case:
    case = await uow.session.scalar(
        select(Case).where(Case.practice_id == uow.practice_id, Case.id == request.case_id)
    )
    assert case is not None  # a foreign key holds it
    return case


async def open_overdue(uow: UnitOfWork, request_id: uuid.UUID, at: datetime) -> bool:
    """True when the task is open (now or before) for an intake still open."""
    request = await _request(uow, request_id)
    if request is None or request.status != IntakeStatus.open:
        return False
    case = await _case(uow, request)
    await open_task(
        uow,
        TaskOpen(
            kind=TaskKind.intake_overdue,
            title="Intake past its deadline: follow up with the client",
            opener=Opener(workflow_id=intake_workflow_id(request.id)),
            clinician_id=case.primary_provider_id,
            subject=(SubjectType.case, case.id),
            due_at=at + timedelta(days=1),
            business_key=overdue_key(request.id),
        ),
        settings_of(await get_practice(uow)),
        at,
    )
    if request.overdue_at is None:
        request.overdue_at = at
    await uow.session.flush()
    return True


async def cancel(uow: UnitOfWork, request_id: uuid.UUID, at: datetime) -> str:
    """The run was cancelled from the workflow console (a domain command): an intake still
    open is cancelled — with nothing left to remind or to notice completion, an open
    request would wait forever on the case record — and finished like a staff cancel.
    One that reached its outcome meanwhile keeps it. Returns the status."""
    request = await _request(uow, request_id)
    if request is None:
        return "missing"
    if request.status == IntakeStatus.open:
        end(request, EndReason.cancelled, at)
        await uow.session.flush()
    return await finish(uow, request_id, at)


async def finish(uow: UnitOfWork, request_id: uuid.UUID, at: datetime) -> str:
    """The request's outcome, applied (idempotent); returns its status."""
    request = await _request(uow, request_id)
    if request is None:
        return "missing"
    if request.status == IntakeStatus.open:
        return request.status  # nothing to finish yet
    workflow_id = intake_workflow_id(request.id)
    note = {
        IntakeStatus.completed: "The intake was completed.",
        IntakeStatus.cancelled: "The intake was cancelled.",
    }.get(IntakeStatus(request.status), "The intake ended.")
    await resolve_by_key(uow, overdue_key(request.id), workflow_id=workflow_id, now=at, note=note)
    recipients = await _recipients(uow, request_id)
    participants = {
        p.person_id: p
        for p in await uow.session.scalars(
            select(Participant).where(
                Participant.practice_id == uow.practice_id,
                Participant.case_id == request.case_id,
                Participant.person_id.in_([r.person_id for r in recipients]),
            )
        )
    }
    if request.status != IntakeStatus.completed:
        for p in participants.values():
            if p.onboarding_state in (OnboardingState.invited, OnboardingState.in_progress):
                p.onboarding_state = OnboardingState.not_started
        await uow.session.flush()
        return request.status
    for p in participants.values():
        p.onboarding_state = OnboardingState.complete
    people = await uow.session.scalars(
        select(Person).where(
            Person.practice_id == uow.practice_id,
            Person.id.in_(list(participants)),
            Person.lifecycle == Lifecycle.intake_pending,
        )
    )
    for person in people:
        person.lifecycle = Lifecycle.active
    case = await _case(uow, request)
    await open_task(
        uow,
        TaskOpen(
            kind=TaskKind.intake_review,
            title="Review the completed intake",
            opener=Opener(workflow_id=workflow_id),
            clinician_id=case.primary_provider_id,
            subject=(SubjectType.case, case.id),
            due_at=at + timedelta(days=2),
            business_key=review_key(request.id),
        ),
        settings_of(await get_practice(uow)),
        at,
    )
    await uow.session.flush()
    return request.status
