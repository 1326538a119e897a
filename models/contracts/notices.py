"""NoticeDispatch: the per-practice pass that sends due appointment notices.

Ids, times and counts only: a notice's recipient, appointment and text stay in Postgres.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from models.contracts.common import TimingProfile

NOTICE_DISPATCH_WORKFLOW = "NoticeDispatch"


class NoticeDispatchInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    practice_id: UUID
    # The instant the pass looks at: a scheduled (or triggered) run takes its
    # TemporalScheduledStartTime; a run started by hand without one, its own start time.
    as_of: datetime | None = None
    # Batches per run: a backlog larger than this waits for the next tick (or nudge).
    max_batches: int = 20
    timing: TimingProfile = TimingProfile()


class NoticeStep(StrEnum):
    sending = "sending"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


class NoticeBatchInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    practice_id: UUID
    run_key: str  # the workflow_runs key: the schedule id for scheduled runs
    # The run's instant. Change notices are due at once; the reminders issue's rows are
    # due by it (rows are stamped sent at the activity's own clock).
    as_of: datetime


class NoticeBatch(BaseModel):
    model_config = ConfigDict(frozen=True)
    sent: int = 0
    stale: int = 0
    more: bool = False  # a full batch: there may be more due right now
    # False when the practice is not in this database: the run ends writing nothing.
    practice_found: bool = True


class NoticeDispatchFinish(BaseModel):
    model_config = ConfigDict(frozen=True)
    practice_id: UUID
    run_key: str
    as_of: datetime
    sent: int
    stale: int


class NoticeDispatchState(BaseModel):
    """What the operators' console shows for a run (the `state` query)."""

    step: NoticeStep = NoticeStep.sending
    as_of: datetime | None = None
    batches: int = 0
    sent: int = 0
    stale: int = 0
