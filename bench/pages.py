"""The audited no-op page: the floor every later page benchmark compares to.

What it pays: a unit of work scoped to the practice (row-level security set at the start
of its transaction), one read (the practice), the audit event written in that same
transaction and its commit, and a rendered template. Baseline: a bare FastAPI route on
the same app stack returning the same bytes with none of that.
Both are driven in-process over ASGI, sequentially, so the ratio is our per-request cost
(middleware, unit of work, audit and template included).
"""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from api.app import create_app
from api.deps import Uow
from api.routing import AppRoute
from api.templating import templates
from bench.harness import WARMUP, BenchDatabase, measure, ratio_line
from core.db import make_engine, make_sessionmaker, open_unit
from core.settings import Environment, Settings
from models.orm.audit import AuditEvent
from services.practices import PracticeCreate, create_practice, get_practice


async def run(database: BenchDatabase, n: int) -> list[str]:
    engine = make_engine(database.app_url, pool_size=5)
    sessionmaker = make_sessionmaker(engine)
    uow = await open_unit(sessionmaker)
    practice = await create_practice(
        uow, PracticeCreate(name="Bench Practice", link_name="bench", timezone="America/Chicago")
    )
    await uow.commit()
    await uow.close()

    settings = Settings(
        _env_file=None,
        ENVIRONMENT=Environment.test,
        DATABASE_URL=database.app_url,
        DATABASE_OWNER_URL=database.owner_url,
    )
    app: FastAPI = create_app(settings, engine=engine)
    router = APIRouter(route_class=AppRoute)

    @router.get("/bench/audited-noop", name="bench.noop")
    async def audited_noop(request: Request, uow: Uow) -> Response:
        await uow.set_practice(practice.id)
        current = await get_practice(uow)
        return templates.TemplateResponse(request, "error.html", {
            "status": 200, "title": current.name, "detail": "", "field_errors": {},
            "request_id": "bench",
        })  # fmt: skip

    rendered = (await _render_once(app, router)).encode()
    bare_app = FastAPI()  # no middleware, no dependencies: the floor of FastAPI itself

    @bare_app.get("/bench/bare")
    async def bare() -> Response:
        return HTMLResponse(rendered)

    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as ours,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=bare_app), base_url="http://b"
        ) as floor,
    ):

        async def hit_noop() -> None:
            (await ours.get("/bench/audited-noop")).raise_for_status()

        async def hit_bare() -> None:
            (await floor.get("/bench/bare")).raise_for_status()

        baseline = await measure(n, hit_bare)
        result = await measure(n, hit_noop)

    check = await open_unit(sessionmaker, practice.id)
    events = await check.session.scalar(select(func.count()).select_from(AuditEvent))
    await check.close()
    await engine.dispose()
    expected = 1 + WARMUP + n  # the first render and the warm-up are audited too
    if events != expected:
        raise SystemExit(f"pages: expected {expected} audit events, found {events}")
    return [ratio_line("pages/audited-noop", result, "bare route", baseline)]


async def _render_once(app: FastAPI, router: APIRouter) -> str:
    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        response = await client.get("/bench/audited-noop")
        response.raise_for_status()
        return response.text
