"""Cancelling from the console while a workflow is inside an activity: the SDK reports an
ActivityError caused by the cancellation, and the workflow must still close its run as
*cancelled* (not failed). Fake activities under the real names stand in for the slow
step (STYLE B10), so the cancel lands mid-activity every time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.contracts.attention import (
    AttentionCheckInput,
    AttentionSweepInput,
    CheckCounts,
    SweepFinish,
    SweepPlan,
    SweepPlanInput,
)
from models.contracts.common import CloseRun, TimingProfile
from models.contracts.mail import DrainResult, MailDispatchInput, MailQueued
from workflows.attention_sweep import AttentionSweepWorkflow
from workflows.mail_dispatch import MailDispatchWorkflow

FAST = TimingProfile(activity_timeout=timedelta(seconds=5), retry_initial=timedelta(seconds=1))


def blocking(started: asyncio.Event) -> Callable[[], Awaitable[None]]:
    async def forever() -> None:
        started.set()
        while True:  # until the cancellation arrives with a heartbeat's answer
            activity.heartbeat()
            await asyncio.sleep(0.05)

    return forever


async def cancel_mid_activity(
    env: WorkflowEnvironment, workflow: type, activities: list[Callable[..., object]],
    name: str, arg: object, started: asyncio.Event,
) -> None:  # fmt: skip
    queue = f"cancel-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[workflow], activities=activities):
        handle = await env.client.start_workflow(
            name, arg, id=f"cancel-{uuid.uuid4()}", task_queue=queue
        )
        await asyncio.wait_for(started.wait(), 10)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError):
            await handle.result()


async def test_a_sweep_cancelled_during_a_check_says_cancelled(ts_env: WorkflowEnvironment) -> None:
    closed: list[CloseRun] = []
    started = asyncio.Event()
    wait = blocking(started)

    @activity.defn(name="plan_attention_sweep")
    async def plan(inp: SweepPlanInput) -> SweepPlan:
        return SweepPlan(checks=["overdue_tasks"])

    @activity.defn(name="run_attention_check")
    async def check(inp: AttentionCheckInput) -> CheckCounts:
        await wait()
        return CheckCounts(check=inp.check)

    @activity.defn(name="finish_attention_sweep")
    async def finish(inp: SweepFinish) -> None:
        raise AssertionError("a cancelled sweep does not finish")

    @activity.defn(name="close_run")
    async def close_run(inp: CloseRun) -> None:
        closed.append(inp)

    as_of = datetime(2026, 12, 1, 15, tzinfo=UTC)
    sweep = AttentionSweepInput(practice_id=uuid.uuid4(), as_of=as_of, timing=FAST)
    await cancel_mid_activity(ts_env, AttentionSweepWorkflow, [plan, check, finish, close_run],
                              "AttentionSweep", sweep, started)  # fmt: skip
    assert [(c.status, c.step) for c in closed] == [("cancelled", "cancelled")]


async def test_a_dispatch_cancelled_during_a_drain_says_cancelled(
    ts_env: WorkflowEnvironment,
) -> None:
    closed: list[CloseRun] = []
    started = asyncio.Event()
    wait = blocking(started)

    @activity.defn(name="drain_mail")
    async def drain(inp: MailQueued) -> DrainResult:
        await wait()
        return DrainResult(delivering=True)

    @activity.defn(name="close_run")
    async def close_run(inp: CloseRun) -> None:
        closed.append(inp)

    dispatch = MailDispatchInput(practice_id=uuid.uuid4(), timing=FAST)
    await cancel_mid_activity(ts_env, MailDispatchWorkflow, [drain, close_run], "MailDispatch",
                              dispatch, started)  # fmt: skip
    assert [(c.status, c.step) for c in closed] == [("cancelled", "cancelled")]
