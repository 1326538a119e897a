"""IntakeOnboarding (`intake-{intake_request_id}`): ids, times and counts only — who the
recipients are, what they answered and what the items are stay in Postgres."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from models.contracts.common import TimingProfile

INTAKE_WORKFLOW = "IntakeOnboarding"
# Every change to an intake's rows (a portal submission, a staff resend, an added or
# removed item, a cancel, the case closing) is followed by this signal, through the
# outbox: a hint to re-read the rows, never the change itself.
INTAKE_CHANGED_SIGNAL = "rows_changed"


def intake_workflow_id(request_id: UUID) -> str:
    return f"intake-{request_id}"


class IntakeInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    practice_id: UUID
    request_id: UUID
    timing: TimingProfile = Field(default_factory=TimingProfile)


class IntakeStep(StrEnum):
    inviting = "inviting"
    waiting = "waiting"  # for the recipients; reminders and the deadline ahead
    overdue = "overdue"  # past the deadline: the task is open, still waiting
    completed = "completed"
    cancelled = "cancelled"  # by staff
    ended = "ended"  # the case closed or a participant left
    failed = "failed"


class IntakeView(BaseModel):
    """The request as its rows stand (re-read after every signal and timer)."""

    model_config = ConfigDict(frozen=True)
    status: str  # IntakeStatus: open, completed, cancelled, ended; "missing" if no row
    # When staff sent it: reminders and the deadline count from here, whatever the
    # worker's downtime or a new run (None in histories recorded before it was added).
    sent_at: datetime | None = None
    recipients: int = 0
    outstanding: int = 0  # recipients not complete
    invitations_due: int = 0  # recipients whose (re)invitation has not gone yet
    reminders_sent: int = 0  # the fewest any outstanding recipient has had
    reminder_offsets: list[timedelta] = []  # after the invitation, ascending
    deadline_offset: timedelta = timedelta(days=7)
    overdue: bool = False  # the overdue task is open already


class IntakeStepInput(BaseModel):
    """An activity's input: the request and the workflow's instant (deterministic: links,
    tasks and rows are stamped at the workflow's time, which time skipping moves)."""

    model_config = ConfigDict(frozen=True)
    practice_id: UUID
    request_id: UUID
    at: datetime
    reminder: int = 0  # for send_reminder: which one (1-based)


class IntakeState(BaseModel):
    """The `state` query, for the operators' console (no PHI)."""

    model_config = ConfigDict(frozen=True)
    step: IntakeStep = IntakeStep.inviting
    recipients: int = 0
    outstanding: int = 0
    invitations_sent: int = 0
    reminders_sent: int = 0
    next_reminder_at: str | None = None  # ISO
    deadline_at: str | None = None  # ISO
    overdue: bool = False
    checks: int = 0  # how many times the rows were re-read
