"""The console's readable history, from recorded histories of our own workflows and from
hand-made failures: activities with attempts and outcomes, timers, signals, cancellation,
and failures shown by code, never by message."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from temporalio import workflow
from temporalio.api.enums.v1 import TimeoutType
from temporalio.api.failure.v1 import (
    ActivityFailureInfo,
    ApplicationFailureInfo,
    Failure,
    TimeoutFailureInfo,
)
from temporalio.client import WorkflowHistory

from api.staff.workflow_history import duration, failure_code, readable
from api.staff.workflows import WORKFLOW_TYPES
from worker import WORKFLOWS

HISTORIES = Path(__file__).parents[1] / "replay" / "histories"


def history(name: str) -> WorkflowHistory:
    return WorkflowHistory.from_json("h", json.loads((HISTORIES / f"{name}.json").read_text()))


def test_a_retried_dispatch_reads_as_steps() -> None:
    steps, cut = readable(history("mail_dispatch/retries_and_is_woken").events)
    assert not cut
    kinds = [(s.kind, s.title) for s in steps]
    assert kinds[0] == ("workflow", "Started")
    assert ("signal", "Signal mail_queued") in kinds
    drains = [s for s in steps if s.title == "drain_mail"]
    assert drains and all(s.outcome == "completed" and s.attempts >= 1 for s in drains)
    assert any(s.kind == "timer" for s in steps)
    assert steps[-1].title == "Completed"


def test_a_cancelled_run_says_so() -> None:
    steps, _ = readable(history("mail_dispatch/cancelled").events)
    titles = [s.title for s in steps]
    assert "Cancellation requested" in titles
    assert titles[-1] == "Cancelled"
    [timer] = [s for s in steps if s.kind == "timer"]
    assert timer.outcome == "cancelled"
    close = [s for s in steps if s.title == "close_run"]
    assert close and close[0].outcome == "completed"  # the run wrote its end first


def test_the_sweep_history_lists_its_three_activities() -> None:
    steps, _ = readable(history("attention_sweep/reminds").events)
    names = [s.title for s in steps if s.kind == "activity"]
    assert names == ["plan_attention_sweep", "run_attention_check", "finish_attention_sweep"]


def test_failures_show_their_code_not_their_message() -> None:
    app = Failure(
        message="patient Jane Doe not found",
        application_failure_info=ApplicationFailureInfo(type="NotFound", non_retryable=True),
    )
    assert failure_code(app) == "NotFound (not retried)"
    wrapped = Failure(message="activity failed", activity_failure_info=ActivityFailureInfo(),
                      cause=app)  # fmt: skip
    assert failure_code(wrapped) == "NotFound (not retried)"
    timeout = Failure(
        timeout_failure_info=TimeoutFailureInfo(
            timeout_type=TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE
        )
    )
    assert failure_code(timeout) == "timeout start-to-close"
    assert "Jane" not in failure_code(app) + failure_code(wrapped)


def test_durations_read_like_people_say_them() -> None:
    assert duration(timedelta(days=3)) == "3 days"
    assert duration(timedelta(hours=1)) == "1 hour"
    assert duration(timedelta(minutes=15)) == "15 minutes"
    assert duration(timedelta(milliseconds=66)) == "66 ms"
    assert duration(timedelta(seconds=2.5)) == "2.5 s"


def test_the_console_filters_by_every_practice_workflow_type() -> None:
    registered = {
        workflow._Definition.must_from_class(cls).name
        for classes in WORKFLOWS.values()
        for cls in classes
    }
    assert set(WORKFLOW_TYPES) == registered - {"SystemCheck"}  # SystemCheck has no practice
