"""Health: `/healthz` (liveness, no I/O), `/health` (page) and `/api/v1/health` (JSON).

The report says whether each part answers: Postgres (as the app role, with the tenancy
self-check), Temporal (and whether a worker polls the default queue), Stripe and mail
configuration. Postgres down → 503; Temporal down → degraded but 200, because the API
keeps working and the outbox holds its commands until Temporal is back.
In production the report names no roles or hosts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue as TaskQueueRef
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from api.deps import AppSettings, Uow
from api.routing import PlainRoute
from api.templating import templates
from core.settings import PLACEHOLDER_STRIPE_KEY, PROJECT_ROOT, Settings
from core.temporal import LazyClient
from models.contracts.common import TaskQueue
from services.system_check import check_database

router = APIRouter(route_class=PlainRoute)

Status = Literal["ok", "degraded", "down"]


@dataclass
class Component:
    name: str
    status: Status
    summary: str
    details: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def schema_head() -> str | None:
    script = ScriptDirectory.from_config(Config(str(PROJECT_ROOT / "alembic.ini")))
    return script.get_current_head()


async def _database(session: AsyncSession, settings: Settings) -> Component:
    try:
        check = await check_database(session)
    except Exception as exc:
        return Component("Database", "down", f"Postgres does not answer ({type(exc).__name__})")
    head = schema_head()
    details = [
        f"schema revision {check.schema_revision or 'none'} (code expects {head})",
    ]
    status: Status = "ok"
    summary = "answers; tenancy enforced by row-level security"
    if not check.tenancy_enforced:
        status = "degraded"
        summary = "answers, but the app role could bypass tenancy"
        if check.superuser or check.bypasses_rls:
            details.append("the app connects as a superuser or a role with BYPASSRLS")
        if check.owns_tables:
            details.append("the app role owns tables (RLS does not apply to owners)")
        if check.tables_without_rls:
            details.append("tables without RLS: " + ", ".join(check.tables_without_rls))
    if check.schema_revision != head:
        status = "degraded" if status == "ok" else status
        summary = "answers, but migrations are not at head: run `make migrate`"
    if not settings.is_production:
        details.insert(0, f"connected as role {check.role}")
    return Component("Database", status, summary, details)


async def _temporal(client: LazyClient, settings: Settings) -> Component:
    where = [] if settings.is_production else [f"{client.address}, namespace {client.namespace}"]
    try:
        conn = await client.get(connect_timeout=2.0)
        response = await asyncio.wait_for(
            conn.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueueRef(name=TaskQueue.default),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                )
            ),
            timeout=2.0,
        )
    except Exception as exc:
        return Component(
            "Temporal",
            "degraded",
            f"does not answer ({type(exc).__name__}); commands wait in the outbox",
            where,
        )
    pollers = len(response.pollers)
    if pollers == 0:
        return Component(
            "Temporal", "degraded", "answers, but no worker polls the default queue", where
        )
    return Component("Temporal", "ok", f"answers; {pollers} worker(s) polling", where)


def _stripe(settings: Settings) -> Component:
    base = settings.STRIPE_API_BASE
    if settings.STRIPE_API_KEY.get_secret_value() == PLACEHOLDER_STRIPE_KEY:
        return Component(
            "Stripe",
            "ok",
            "development: localstripe",
            [] if settings.is_production else [str(base)],
        )
    mode = "test" if settings.STRIPE_API_KEY.get_secret_value().startswith("sk_test_") else "live"
    return Component("Stripe", "ok", f"configured ({mode} key)")


def _mail(settings: Settings) -> Component:
    if settings.SMTP_URL is None:
        summary = "no SMTP_URL: messages stay in the outbox"
        return Component("Mail", "ok" if not settings.is_production else "degraded", summary)
    host = urlsplit(settings.SMTP_URL.get_secret_value()).hostname
    return Component(
        "Mail", "ok", "delivered by SMTP", [] if settings.is_production else [f"host {host}"]
    )


async def build_report(
    request: Request, session: AsyncSession, settings: Settings
) -> tuple[int, list[Component]]:
    components = [
        await _database(session, settings),
        await _temporal(request.app.state.temporal, settings),
        _stripe(settings),
        _mail(settings),
    ]
    http_status = 503 if components[0].status == "down" else 200
    if settings.is_production:  # a public page: states only, no roles, hosts or tables
        for c in components:
            c.details = []
    return http_status, components


def overall(components: list[Component]) -> Status:
    if any(c.status == "down" for c in components):
        return "down"
    if any(c.status == "degraded" for c in components):
        return "degraded"
    return "ok"


@router.get("/healthz", include_in_schema=False)
async def healthz() -> Response:
    return PlainTextResponse("ok")


@router.get("/health", name="system.health", include_in_schema=False)
async def health_page(request: Request, uow: Uow, settings: AppSettings) -> Response:
    status, components = await build_report(request, uow.session, settings)
    return templates.TemplateResponse(
        request,
        "system/health.html",
        {
            "components": components,
            "overall": overall(components),
            "environment": settings.ENVIRONMENT.value,
        },
        status_code=status,
    )


@router.get("/api/v1/health", name="system.health_json", tags=["system"])
async def health_json(request: Request, uow: Uow, settings: AppSettings) -> Response:
    status, components = await build_report(request, uow.session, settings)
    return JSONResponse(
        {
            "status": overall(components),
            "environment": settings.ENVIRONMENT.value,
            "components": [
                {"name": c.name, "status": c.status, "summary": c.summary, "details": c.details}
                for c in components
            ],
        },
        status_code=status,
    )
