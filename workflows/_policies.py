"""Timeouts and retry policies, chosen once per kind of call (stdlib + temporalio only)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

DB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
)
