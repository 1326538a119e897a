"""Shared vocabulary of the API, the worker, the workflows and the tests.

Task queues, workflow-id builders and search-attribute names live here so every side
agrees on them. Identifiers only: nothing in this package may carry PHI.
"""

from __future__ import annotations

from enum import StrEnum


class TaskQueue(StrEnum):
    default = "default"
    stripe = "stripe"  # rate-limited: max_task_queue_activities_per_second
    bulk = "bulk"  # imports, PDF batches


# Search attributes registered on the dev server (devstack) and on real clusters (README).
SEARCH_ATTRIBUTE_PRACTICE_ID = "PracticeId"
SEARCH_ATTRIBUTE_CASE_ID = "CaseId"

SYSTEM_CHECK_WORKFLOW_ID = "system-check"
