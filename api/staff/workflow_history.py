"""A Temporal history as operators read it: one step per activity (with its attempts and
outcome), timer, signal, update, child workflow and lifecycle event.

Failures are shown by code only — the ApplicationError type our activity interceptor set,
the timeout type, "cancelled" — never by message: messages are encrypted (encoded
failure attributes) and could carry data. Payloads (inputs, results, signal arguments)
are not shown at all; the `state` query is the readable view of a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import EventType, TimeoutType, WorkflowTaskFailedCause
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflow.v1 import PendingActivityInfo

MAX_STEPS = 1000
E = EventType


@dataclass
class Step:
    event_id: int
    at: datetime
    kind: str  # activity, timer, signal, update, child, workflow, problem, marker
    title: str
    outcome: str = ""
    detail: str = ""
    state: str = "neutral"  # ok, running, failed, neutral (a CSS hook)
    attempts: int = 0
    extra: dict[str, str] = field(default_factory=dict)


def failure_code(failure: Failure) -> str:
    which = failure.WhichOneof("failure_info")
    if which == "application_failure_info":
        info = failure.application_failure_info
        code = info.type or "ApplicationError"
        return f"{code} (not retried)" if info.non_retryable else code
    if which == "timeout_failure_info":
        kind = TimeoutType.Name(failure.timeout_failure_info.timeout_type)
        return "timeout " + kind.removeprefix("TIMEOUT_TYPE_").lower().replace("_", "-")
    if which in ("activity_failure_info", "child_workflow_execution_failure_info"):
        return failure_code(failure.cause) if failure.HasField("cause") else "failure"
    return {
        "canceled_failure_info": "cancelled",
        "terminated_failure_info": "terminated",
        "server_failure_info": "server error",
    }.get(which or "", "failure")


def duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}" + ("s" if n != 1 else "")
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60} s"
    if value < timedelta(seconds=1):
        return f"{round(value.total_seconds() * 1000)} ms"
    return f"{value.total_seconds():.1f} s"


def _time(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime().replace(tzinfo=UTC)


class _Reader:
    def __init__(self, pending: Iterable[PendingActivityInfo]) -> None:
        self.steps: list[Step] = []
        self.activities: dict[int, Step] = {}
        self.timers: dict[str, Step] = {}
        self.children: dict[int, Step] = {}
        self.updates: dict[str, Step] = {}
        self.pending = {p.activity_id: p for p in pending}

    def add(self, step: Step) -> Step:
        self.steps.append(step)
        return step

    def read(self, e: HistoryEvent) -> None:
        handler = _HANDLERS.get(e.event_type)
        if handler is not None:
            handler(self, e, _time(e))

    def _started(self, e: HistoryEvent, at: datetime) -> None:
        a = e.workflow_execution_started_event_attributes
        detail = f"task queue {a.task_queue.name}"
        if a.attempt > 1:
            detail += f", attempt {a.attempt}"
        if a.continued_execution_run_id:
            detail += ", continued from an earlier run"
        self.add(Step(e.event_id, at, "workflow", "Started", detail=detail, state="ok"))

    def _activity_scheduled(self, e: HistoryEvent, at: datetime) -> None:
        a = e.activity_task_scheduled_event_attributes
        step = Step(e.event_id, at, "activity", a.activity_type.name, "scheduled", state="running")
        pending = self.pending.get(a.activity_id)
        if pending is not None:
            step.attempts = pending.attempt
            step.outcome = "running" if pending.attempt <= 1 else "retrying"
            if pending.HasField("last_failure"):
                step.detail = f"last failure: {failure_code(pending.last_failure)}"
        self.activities[e.event_id] = self.add(step)

    def _activity_started(self, e: HistoryEvent, at: datetime) -> None:
        a = e.activity_task_started_event_attributes
        step = self.activities.get(a.scheduled_event_id)
        if step is not None:
            step.attempts = a.attempt
            if a.HasField("last_failure") and a.attempt > 1:
                step.detail = f"earlier attempts failed: {failure_code(a.last_failure)}"

    def _timer_started(self, e: HistoryEvent, at: datetime) -> None:
        a = e.timer_started_event_attributes
        wait = a.start_to_fire_timeout.ToTimedelta()
        step = Step(e.event_id, at, "timer", f"Timer {duration(wait)}", "waiting", state="running")
        step.extra["until"] = (at + wait).isoformat()
        self.timers[a.timer_id] = self.add(step)

    def _timer_fired(self, e: HistoryEvent, at: datetime) -> None:
        step = self.timers.get(e.timer_fired_event_attributes.timer_id)
        if step is not None:
            step.outcome, step.state = "fired", "ok"

    def _timer_cancelled(self, e: HistoryEvent, at: datetime) -> None:
        step = self.timers.get(e.timer_canceled_event_attributes.timer_id)
        if step is not None:
            step.outcome, step.state = "cancelled", "neutral"

    def _signalled(self, e: HistoryEvent, at: datetime) -> None:
        name = e.workflow_execution_signaled_event_attributes.signal_name
        self.add(Step(e.event_id, at, "signal", f"Signal {name}", "received", state="ok"))

    def _update_accepted(self, e: HistoryEvent, at: datetime) -> None:
        a = e.workflow_execution_update_accepted_event_attributes
        step = Step(e.event_id, at, "update", f"Update {a.accepted_request.input.name}",
                    "accepted", state="running")  # fmt: skip
        self.updates[a.protocol_instance_id] = self.add(step)

    def _update_completed(self, e: HistoryEvent, at: datetime) -> None:
        a = e.workflow_execution_update_completed_event_attributes
        step = self.updates.get(a.meta.update_id)
        if step is None:
            return
        if a.outcome.HasField("failure"):
            step.outcome, step.state = f"failed: {failure_code(a.outcome.failure)}", "failed"
        else:
            step.outcome, step.state = "completed", "ok"

    def _child_initiated(self, e: HistoryEvent, at: datetime) -> None:
        a = e.start_child_workflow_execution_initiated_event_attributes
        step = Step(e.event_id, at, "child", f"Child {a.workflow_type.name}", "starting",
                    detail=a.workflow_id, state="running")  # fmt: skip
        self.children[e.event_id] = self.add(step)

    def _marker(self, e: HistoryEvent, at: datetime) -> None:
        name = e.marker_recorded_event_attributes.marker_name
        self.add(Step(e.event_id, at, "marker", f"Marker {name}", "recorded"))

    def _task_failed(self, e: HistoryEvent, at: datetime) -> None:
        a = e.workflow_task_failed_event_attributes
        cause = WorkflowTaskFailedCause.Name(a.cause).removeprefix("WORKFLOW_TASK_FAILED_CAUSE_")
        code = failure_code(a.failure) if a.HasField("failure") else ""
        self.add(Step(e.event_id, at, "problem", "Workflow task failed",
                      cause.lower().replace("_", " "), detail=code, state="failed"))  # fmt: skip

    def _task_timed_out(self, e: HistoryEvent, at: datetime) -> None:
        self.add(Step(e.event_id, at, "problem", "Workflow task timed out", "retried",
                      state="failed"))  # fmt: skip

    def _cancel_requested(self, e: HistoryEvent, at: datetime) -> None:
        self.add(Step(e.event_id, at, "workflow", "Cancellation requested", state="running"))

    def _activity_outcome(self, e: HistoryEvent, at: datetime) -> None:
        t = e.event_type
        outcome: str
        state: str
        if t == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            sid = e.activity_task_completed_event_attributes.scheduled_event_id
            outcome, state = "completed", "ok"
        elif t == E.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            a = e.activity_task_failed_event_attributes
            sid, outcome, state = (
                a.scheduled_event_id,
                f"failed: {failure_code(a.failure)}",
                "failed",
            )
        elif t == E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            a2 = e.activity_task_timed_out_event_attributes
            sid, outcome, state = (
                a2.scheduled_event_id,
                f"failed: {failure_code(a2.failure)}",
                "failed",
            )
        else:
            sid = e.activity_task_canceled_event_attributes.scheduled_event_id
            outcome, state = "cancelled", "neutral"
        step = self.activities.get(sid)
        if step is not None:
            step.outcome, step.state = outcome, state
            step.extra["took"] = duration(at - step.at)

    def _child_outcome(self, e: HistoryEvent, at: datetime) -> None:
        names = {
            E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: ("completed", "ok"),
            E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: ("failed", "failed"),
            E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: ("cancelled", "neutral"),
            E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: ("timed out", "failed"),
            E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: ("terminated", "failed"),
        }
        outcome, state = names[e.event_type]
        attribute = e.WhichOneof("attributes")
        initiated = getattr(e, attribute or "").initiated_event_id if attribute else 0
        step = self.children.get(initiated)
        if step is not None:
            step.outcome, step.state = outcome, state

    def _closed(self, e: HistoryEvent, at: datetime) -> None:
        t, eid = e.event_type, e.event_id
        if t == E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            code = failure_code(e.workflow_execution_failed_event_attributes.failure)
            self.add(Step(eid, at, "workflow", "Failed", code, state="failed"))
        elif t == E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            run = e.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            self.add(Step(eid, at, "workflow", "Continued as a new run", detail=run, state="ok"))
        else:
            # a termination's reason is free text typed by whoever terminated it: not shown
            title, state = {
                E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: ("Completed", "ok"),
                E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: ("Cancelled", "neutral"),
                E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: ("Terminated", "failed"),
                E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: ("Timed out", "failed"),
                E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: (
                    "Search attributes updated",
                    "neutral",
                ),
            }[t]
            self.add(Step(eid, at, "workflow", title, state=state))


Handler = Callable[[_Reader, HistoryEvent, datetime], None]
# Workflow task scheduled/started/completed and the rest are bookkeeping: not shown.
_HANDLERS: dict[int, Handler] = {
    E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: _Reader._started,
    E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: _Reader._activity_scheduled,
    E.EVENT_TYPE_ACTIVITY_TASK_STARTED: _Reader._activity_started,
    E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: _Reader._activity_outcome,
    E.EVENT_TYPE_ACTIVITY_TASK_FAILED: _Reader._activity_outcome,
    E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: _Reader._activity_outcome,
    E.EVENT_TYPE_ACTIVITY_TASK_CANCELED: _Reader._activity_outcome,
    E.EVENT_TYPE_TIMER_STARTED: _Reader._timer_started,
    E.EVENT_TYPE_TIMER_FIRED: _Reader._timer_fired,
    E.EVENT_TYPE_TIMER_CANCELED: _Reader._timer_cancelled,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: _Reader._signalled,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: _Reader._update_accepted,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: _Reader._update_completed,
    E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: _Reader._child_initiated,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: _Reader._child_outcome,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: _Reader._child_outcome,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: _Reader._child_outcome,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: _Reader._child_outcome,
    E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: _Reader._child_outcome,
    E.EVENT_TYPE_MARKER_RECORDED: _Reader._marker,
    E.EVENT_TYPE_WORKFLOW_TASK_FAILED: _Reader._task_failed,
    E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: _Reader._task_timed_out,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED: _Reader._cancel_requested,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: _Reader._closed,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: _Reader._closed,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: _Reader._closed,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: _Reader._closed,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: _Reader._closed,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: _Reader._closed,
    E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: _Reader._closed,
}


def readable(
    events: Iterable[HistoryEvent], pending: Iterable[PendingActivityInfo] = ()
) -> tuple[list[Step], bool]:
    """The steps (oldest first) and whether the list was cut at MAX_STEPS."""
    reader = _Reader(pending)
    for event in events:
        reader.read(event)
        if len(reader.steps) > MAX_STEPS:
            return reader.steps[:MAX_STEPS], True
    return reader.steps, False
