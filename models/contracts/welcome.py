"""PracticeWelcome: the first real process (ids only across the boundary)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from models.contracts.common import TimingProfile

PRACTICE_WELCOME_WORKFLOW = "PracticeWelcome"


def practice_welcome_id(practice_id: UUID) -> str:
    return f"practice-welcome-{practice_id}"


class PracticeWelcomeInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    practice_id: UUID
    nudge_after: timedelta = timedelta(days=3)
    timing: TimingProfile = Field(default_factory=TimingProfile)


class WelcomeStep(StrEnum):
    welcoming = "welcoming"
    waiting_to_nudge = "waiting_to_nudge"
    nudged = "nudged"
    checklist_done = "checklist_done"  # no nudge needed


class WelcomeState(BaseModel):
    model_config = ConfigDict(frozen=True)
    step: WelcomeStep = WelcomeStep.welcoming
    nudge_due_at: str | None = None  # ISO time, for the operators' console


class NudgeOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)
    nudged: bool
