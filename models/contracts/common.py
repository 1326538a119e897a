"""Shared vocabulary of the API, the worker, the workflows and the tests.

Task queues, workflow-id builders and search-attribute names live here so every side
agrees on them. Identifiers only: nothing in this package may carry PHI.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class TaskQueue(StrEnum):
    default = "default"
    stripe = "stripe"  # rate-limited: max_task_queue_activities_per_second
    bulk = "bulk"  # imports, PDF batches


# Search attributes registered on the dev server (devstack) and on real clusters (README).
SEARCH_ATTRIBUTE_PRACTICE_ID = "PracticeId"
SEARCH_ATTRIBUTE_CASE_ID = "CaseId"

SYSTEM_CHECK_WORKFLOW_ID = "system-check"


class TimingProfile(BaseModel):
    """Timeouts and retry caps a workflow uses for its activities and waits.

    Production defaults; end-to-end tests pass a fast profile in the workflow input so
    a dev-server run (where nothing skips time) finishes in seconds.
    """

    model_config = ConfigDict(frozen=True)
    activity_timeout: timedelta = timedelta(seconds=60)
    retry_initial: timedelta = timedelta(seconds=1)
    retry_max_interval: timedelta = timedelta(minutes=5)
    retry_max_attempts: int = 0  # 0: keep retrying (transient failures heal)


class CloseRun(BaseModel):
    """The last word of a workflow about itself, for `workflow_runs` (ids and codes only)."""

    model_config = ConfigDict(frozen=True)
    practice_id: UUID
    status: str  # completed, failed or cancelled
    step: str
    # The workflow_runs key when it is not the workflow id: scheduled runs keep one row per
    # schedule (their workflow ids carry each tick's time).
    run_key: str | None = None
