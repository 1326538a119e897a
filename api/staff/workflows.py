"""The operators' workflow console: `/app/workflows` (decisions.md "Who sees what":
owners, and admins the owner allows).

It reads Temporal — the one staff-facing page that does (STYLE B6): the list comes from
visibility filtered by this practice's `PracticeId` search attribute; a detail page shows
the run's `state` query, pending activities and a readable history, and checks the run's
`PracticeId` before showing anything (another practice's run, or none, is a 404). Cancel
is a domain command (services.workflow_console). Filters are allow-listed values, never
pasted into the visibility query as typed. Links into the Temporal Web UI — which shows
every practice — appear only for accounts listed in OPERATOR_EMAILS.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionAsyncIterator,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
)
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

from api.auth import Authenticated, CurrentStaff, now_of
from api.deps import AppSettings, Audit, Uow
from api.pages import redirect, render
from api.routing import AppRoute
from api.staff.forms import field, read_form
from api.staff.workflow_history import readable
from core.errors import Conflict, DomainError, NotFound
from core.security import keyed_hmac, same
from models.contracts.attention import ATTENTION_SWEEP_WORKFLOW, SCHEDULED_BY_ID
from models.contracts.common import SEARCH_ATTRIBUTE_PRACTICE_ID
from models.contracts.intake import INTAKE_WORKFLOW
from models.contracts.mail import MAIL_DISPATCH_WORKFLOW
from models.contracts.notices import NOTICE_DISPATCH_WORKFLOW
from models.contracts.welcome import PRACTICE_WELCOME_WORKFLOW
from services import schedules, workflow_console
from services.access import Action, require

router = APIRouter(route_class=AppRoute, prefix="/app/workflows", include_in_schema=False)

PRACTICE_KEY = SearchAttributeKey.for_keyword(SEARCH_ATTRIBUTE_PRACTICE_ID)
SCHEDULED_BY = SearchAttributeKey.for_keyword(SCHEDULED_BY_ID)
# Every workflow type that runs for a practice (SystemCheck belongs to none).
WORKFLOW_TYPES = sorted(
    [
        PRACTICE_WELCOME_WORKFLOW,
        MAIL_DISPATCH_WORKFLOW,
        ATTENTION_SWEEP_WORKFLOW,
        NOTICE_DISPATCH_WORKFLOW,
        INTAKE_WORKFLOW,
    ]
)
STATUSES = {
    "Running": "running",
    "Completed": "completed",
    "Failed": "failed",
    "Canceled": "cancelled",
    "Terminated": "terminated",
    "ContinuedAsNew": "continued as new",
    "TimedOut": "timed out",
}
PAGE_SIZE = 50
RPC = timedelta(seconds=5)


class TemporalAway(DomainError):
    status = 503
    code = "temporal_unavailable"
    title = "Temporal is not reachable"


async def _client(request: Request) -> Client:
    try:
        client: Client = await request.app.state.temporal.get()
    except Exception:
        raise TemporalAway(
            "The console reads Temporal, which is not reachable right now. Staff pages keep "
            "working from Postgres, and commands wait in the outbox until it is back."
        ) from None
    return client


def _status_name(status: WorkflowExecutionStatus | None) -> str:
    if status is None:
        return "unknown"
    return {
        WorkflowExecutionStatus.RUNNING: "Running",
        WorkflowExecutionStatus.COMPLETED: "Completed",
        WorkflowExecutionStatus.FAILED: "Failed",
        WorkflowExecutionStatus.CANCELED: "Canceled",
        WorkflowExecutionStatus.TERMINATED: "Terminated",
        WorkflowExecutionStatus.CONTINUED_AS_NEW: "ContinuedAsNew",
        WorkflowExecutionStatus.TIMED_OUT: "TimedOut",
    }.get(status, "unknown")


def _operator_link(
    me: Authenticated, settings: AppSettings, workflow_id: str, run_id: str
) -> str | None:
    if me.member.email.lower() not in settings.OPERATOR_EMAILS:
        return None
    ns = quote(settings.TEMPORAL_NAMESPACE, safe="")
    wid = quote(workflow_id, safe="")
    return f"{settings.TEMPORAL_UI_URL}/namespaces/{ns}/workflows/{wid}/{run_id}/history"


def _sign_page(settings: AppSettings, token: bytes | None) -> str | None:
    """Temporal's page token, with an HMAC so that only tokens we handed out go back to
    Temporal (an edited one would make the server retry and fail instead of answering)."""
    if not token:
        return None
    raw = base64.urlsafe_b64encode(token).decode().rstrip("=")
    return f"{keyed_hmac(settings.SECRET_KEY.get_secret_value(), 'console-page', raw)}.{raw}"


def _page_token(settings: AppSettings, value: str) -> bytes | None:
    mac, _, raw = value.partition(".")
    if not raw or not same(
        mac, keyed_hmac(settings.SECRET_KEY.get_secret_value(), "console-page", raw)
    ):
        return None  # none, or not ours: the first page
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        return None


@router.get("", name="workflows.list")
async def list_page(
    request: Request, uow: Uow, me: CurrentStaff, audit: Audit, settings: AppSettings
) -> Response:
    require(me.actor, Action.use_workflow_console)
    audit.subject("practice", [me.practice.id])
    q = request.query_params
    wtype = q.get("type", "") if q.get("type", "") in WORKFLOW_TYPES else ""
    status = q.get("status", "") if q.get("status", "") in STATUSES else ""
    query = f"{SEARCH_ATTRIBUTE_PRACTICE_ID} = '{me.practice.id}'"
    if wtype:
        query += f" AND WorkflowType = '{wtype}'"
    if status:
        query += f" AND ExecutionStatus = '{status}'"
    context: dict[str, Any] = {
        "active": "workflows",
        "types": WORKFLOW_TYPES,
        "statuses": STATUSES,
        "filt": {"type": wtype, "status": status},
        "tz": me.practice.timezone,
        "schedules": await _schedules(uow, me),
    }
    try:
        client = await _client(request)
        listing = await _page(client, query, _page_token(settings, q.get("page", "")))
    except (TemporalAway, RPCError) as exc:
        message = exc.message if isinstance(exc, TemporalAway) else "Temporal did not answer."
        context["away"] = message
        return render(request, "staff/workflows/list.html", context, status=503)
    executions = list(listing.current_page or [])
    token = listing.next_page_token
    described = [await _schedule_info(client, s) for s in context["schedules"]]
    return render(
        request,
        "staff/workflows/list.html",
        {
            **context,
            "schedules": described,
            "rows": [_row(w) for w in executions],
            "next_page": _sign_page(settings, token),
        },
    )


async def _page(client: Client, query: str, token: bytes | None) -> WorkflowExecutionAsyncIterator:
    listing = client.list_workflows(
        query, page_size=PAGE_SIZE, next_page_token=token, rpc_timeout=RPC
    )
    await listing.fetch_next_page()
    return listing


def _row(w: WorkflowExecution) -> dict[str, Any]:
    return {
        "id": w.id,
        "run_id": w.run_id,
        "type": w.workflow_type,
        "status": _status_name(w.status),
        "started": w.start_time,
        "closed": w.close_time,
        "href": f"/app/workflows/{quote(w.id, safe='')}?run_id={w.run_id}",
    }


async def _schedules(uow: Uow, me: Authenticated) -> list[dict[str, Any]]:
    out = []
    for row in await schedules.practice_schedules(uow):
        d = schedules.definition(row.key)
        what = d.describe(row.time_zone or me.practice.timezone) if d else row.key
        out.append({"row": row, "what": what, "next": [], "paused": False, "found": None})
    return out


async def _schedule_info(client: Client, entry: dict[str, Any]) -> dict[str, Any]:
    try:
        described = await client.get_schedule_handle(entry["row"].schedule_id).describe(
            rpc_timeout=RPC
        )
    except RPCError as exc:  # missing only when Temporal says so; else we do not know
        return {**entry, "found": False if exc.status == RPCStatusCode.NOT_FOUND else None}
    next_times = list(described.info.next_action_times[:3])
    return {**entry, "found": True, "paused": described.schedule.state.paused, "next": next_times}


async def _described(
    request: Request, me: Authenticated, workflow_id: str, run_id: str
) -> tuple[Client, WorkflowExecutionDescription]:
    """The run, if it is this practice's; anything else — unknown, malformed, another
    practice's — is the same 404."""
    client = await _client(request)
    handle = client.get_workflow_handle(workflow_id, run_id=run_id or None)
    try:
        described = await handle.describe(rpc_timeout=RPC)
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise NotFound("No such workflow run") from None
        raise TemporalAway("Temporal did not answer. Try again in a moment.") from None
    if described.typed_search_attributes.get(PRACTICE_KEY) != str(me.practice.id):
        raise NotFound("No such workflow run")
    return client, described


@router.get("/{workflow_id}", name="workflows.detail")
async def detail(
    request: Request,
    workflow_id: str,
    uow: Uow,
    me: CurrentStaff,
    audit: Audit,
    settings: AppSettings,
) -> Response:
    require(me.actor, Action.use_workflow_console)
    audit.subject("practice", [me.practice.id])
    client, described = await _described(
        request, me, workflow_id, request.query_params.get("run_id", "")
    )
    handle = client.get_workflow_handle(described.id, run_id=described.run_id)
    state, state_error = None, None
    try:
        state = await handle.query("state", rpc_timeout=timedelta(seconds=3))
    except Exception as exc:  # no worker, a failed task, an old run past retention
        state_error = _query_problem(exc)
    try:
        history = await handle.fetch_history(rpc_timeout=RPC)
    except RPCError:
        raise TemporalAway("Temporal did not send the history. Try again in a moment.") from None
    steps, cut = readable(history.events, described.raw_description.pending_activities)
    run_key = described.typed_search_attributes.get(SCHEDULED_BY) or described.id
    row = await workflow_console.run_row(uow, run_key)
    status = _status_name(described.status)
    return render(
        request,
        "staff/workflows/detail.html",
        {
            "active": "workflows",
            "wf": described,
            "status": status,
            "status_label": STATUSES.get(status, status),
            "tz": me.practice.timezone,
            "state": None if state is None else json.dumps(state, indent=2, sort_keys=True),
            "state_error": state_error,
            "steps": steps,
            "cut": cut,
            "run_row": row,
            "scheduled_by": described.typed_search_attributes.get(SCHEDULED_BY),
            "operator_link": _operator_link(me, settings, described.id, described.run_id),
            "quoted_id": quote(described.id, safe=""),
        },
    )


def _query_problem(exc: Exception) -> str:
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.DEADLINE_EXCEEDED:
        return "No worker answered in time (is the worker running?)."
    return f"The query did not answer ({type(exc).__name__})."


@router.post("/{workflow_id}/cancel", name="workflows.cancel")
async def cancel(
    request: Request, workflow_id: str, uow: Uow, me: CurrentStaff, audit: Audit
) -> Response:
    require(me.actor, Action.use_workflow_console)
    audit.subject("practice", [me.practice.id])
    form = await read_form(request)
    _, described = await _described(request, me, workflow_id, field(form, "run_id", 100))
    if described.status != WorkflowExecutionStatus.RUNNING:
        raise Conflict("This run is not running any more.")
    await workflow_console.request_cancel(
        uow,
        workflow_id=described.id,
        run_id=described.run_id,
        workflow_type=described.workflow_type,
        run_key=described.typed_search_attributes.get(SCHEDULED_BY) or described.id,
        now=now_of(request),
    )
    return redirect(
        request,
        f"/app/workflows/{quote(described.id, safe='')}?run_id={described.run_id}",
        "Cancellation requested. The workflow finishes its current step and closes as cancelled.",
    )
