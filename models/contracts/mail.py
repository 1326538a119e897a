"""Mail delivery across the Temporal boundary: ids and counts only."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from models.contracts.common import TimingProfile

MAIL_DISPATCH_WORKFLOW = "MailDispatch"
MAIL_QUEUED_SIGNAL = "mail_queued"


def mail_dispatch_id(practice_id: UUID) -> str:
    return f"mail-dispatch-{practice_id}"


class MailDispatchInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    practice_id: UUID
    idle: timedelta = timedelta(minutes=10)  # wait this long for more mail, then finish
    rounds_before_new_run: int = 100
    timing: TimingProfile = Field(default_factory=TimingProfile)


class MailQueued(BaseModel):
    model_config = ConfigDict(frozen=True)
    practice_id: UUID


class DrainResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    delivering: bool  # False: no SMTP_URL, mail stays in the outbox (development)
    sent: int = 0
    failed: int = 0
    remaining_now: int = 0  # pending and due: drain again at once
    # Until the earliest waiting message may be retried — a duration, not a time: the
    # worker's and the database's clocks are not the workflow's.
    retry_in: timedelta | None = None


class MailDispatchState(BaseModel):
    model_config = ConfigDict(frozen=True)
    rounds: int = 0
    sent: int = 0
    failed: int = 0
    waiting: str = "starting"
