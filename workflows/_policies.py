"""Timeouts and retry policies, chosen once per kind of call (stdlib + temporalio only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy

DB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
)


def activity_options(timing: Any) -> dict[str, Any]:
    """start_to_close and retry from a workflow input's TimingProfile."""
    return {
        "start_to_close_timeout": timing.activity_timeout,
        "heartbeat_timeout": timing.activity_timeout,
        "retry_policy": RetryPolicy(
            initial_interval=timing.retry_initial,
            backoff_coefficient=2.0,
            maximum_interval=timing.retry_max_interval,
            maximum_attempts=timing.retry_max_attempts,
        ),
    }
