"""A one-activity workflow for interceptor tests (its own module: the workflow sandbox
imports it, so it must import nothing but temporalio)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy


@workflow.defn(name="InterceptorProbe")
class ProbeWorkflow:
    @workflow.run
    async def run(self, which: str) -> str:
        return str(
            await workflow.execute_activity(
                "probe",
                which,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        )
