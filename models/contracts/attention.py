"""AttentionSweep: the per-practice scheduled pass over what needs attention.

Ids, times and counts only. Checks are named plug-ins (services.attention): the workflow
asks which checks to run, runs each in its own activity, and reports their counts.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from models.contracts.common import TimingProfile

ATTENTION_SWEEP_WORKFLOW = "AttentionSweep"
# Search attributes Temporal sets on every workflow a Schedule starts.
SCHEDULED_START_TIME = "TemporalScheduledStartTime"
SCHEDULED_BY_ID = "TemporalScheduledById"


class AttentionSweepInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    practice_id: UUID
    # The instant the pass looks at. A scheduled run takes its scheduled time
    # (TemporalScheduledStartTime) instead; a run started by hand without one takes its own
    # start time. Never workflow.now(): a delayed or backfilled run still covers its tick.
    as_of: datetime | None = None
    timing: TimingProfile = TimingProfile()


class SweepStep(StrEnum):
    planning = "planning"
    checking = "checking"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


class SweepPlanInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    practice_id: UUID
    run_key: str  # the workflow_runs key: the schedule id for scheduled runs


class SweepPlan(BaseModel):
    model_config = ConfigDict(frozen=True)
    checks: list[str] = Field(default_factory=list)
    # False when the practice is not in this database (deleted, or a schedule left behind
    # by another installation): the run ends without writing anything.
    practice_found: bool = True


class AttentionCheckInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    practice_id: UUID
    check: str
    as_of: datetime


class CheckCounts(BaseModel):
    model_config = ConfigDict(frozen=True)
    check: str
    counts: dict[str, int] = Field(default_factory=dict)


class SweepFinish(BaseModel):
    model_config = ConfigDict(frozen=True)
    practice_id: UUID
    run_key: str
    as_of: datetime
    checks: list[CheckCounts] = Field(default_factory=list)


class AttentionSweepState(BaseModel):
    """What the operators' console shows for a run (the `state` query)."""

    step: SweepStep = SweepStep.planning
    as_of: datetime | None = None
    checks: list[CheckCounts] = Field(default_factory=list)

    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.checks:
            for k, v in c.counts.items():
                out[f"{c.check}.{k}"] = out.get(f"{c.check}.{k}", 0) + v
        return out
