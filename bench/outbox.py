"""1,000 domain changes that each start a workflow through the outbox.

- `outbox/relay`: each request writes a domain row and an outbox start command in one
  transaction and answers; the relay sends the command after commit (in the background).
  Figure: commands relayed per second, from the first request to the last command sent.
  Baseline: the same dev server starting empty workflows directly from a client, in the
  same run (the floor of this Temporal server on this machine).
- `pages/outbox-change`: p50/p95 of those requests. Baseline: the authenticated, audited
  no-op page (session, audit, template) measured in the same run.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import func, select, update
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from api.auth import CurrentStaff
from api.deps import Uow
from api.routing import AppRoute
from api.templating import templates
from bench.empty_workflow import BenchEmptyWorkflow
from bench.harness import BenchDatabase, measure, ratio_line
from core.db import SessionMaker, make_engine, make_sessionmaker, open_unit, set_practice
from core.settings import PLACEHOLDER_PAYLOAD_KEYS, Environment, Settings, parse_payload_keys
from core.temporal import make_data_converter
from models.orm.practice import Practice
from models.orm.staff import StaffRole, StaffStatus
from models.orm.workflow import CommandStatus, OutboxCommand
from services.auth.passwords import HashingProfile, Passwords
from services.outbox import commands
from services.outbox.relay import CASE_KEY, PRACTICE_KEY, OutboxRelay
from services.practices import PracticeCreate, create_practice
from services.staff import add_staff_member

QUEUE = "bench-empty"
PASSWORD = "bench passphrase with enough words"


BASE = "http://bench.example"


async def _practice(sessionmaker: SessionMaker) -> uuid.UUID:
    uow = await open_unit(sessionmaker)
    practice = await create_practice(
        uow, PracticeCreate(name="Bench Outbox", link_name="bench-outbox", timezone="UTC")
    )
    member = await add_staff_member(
        uow, email="bench@outbox.example", display_name="B", role=StaffRole.owner,
        status=StaffStatus.active,
    )  # fmt: skip
    member.password_hash = await Passwords(HashingProfile.fast_for_tests).hash(PASSWORD)
    await uow.commit()
    await uow.close()
    return practice.id


class _Fixed:
    def __init__(self, env: WorkflowEnvironment) -> None:
        self.client = env.client

    async def get(self, connect_timeout: float = 3.0) -> Client:
        return self.client


async def dev_server() -> WorkflowEnvironment:
    """The Temporal dev server from the pinned wheel, with the product's converter."""
    return await WorkflowEnvironment.start_local(
        data_converter=make_data_converter(parse_payload_keys(PLACEHOLDER_PAYLOAD_KEYS)),
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        dev_server_log_level="error",
        search_attributes=[PRACTICE_KEY, CASE_KEY],
    )


async def floor_rate(env: WorkflowEnvironment, n: int) -> float:
    """Empty workflows started straight from a client, per second (the server's floor);
    a worker for BenchEmpty must be running on QUEUE."""
    started = time.perf_counter()
    handles = [
        await env.client.start_workflow(
            BenchEmptyWorkflow.run, {}, id=f"floor-{uuid.uuid4()}", task_queue=QUEUE
        )
        for _ in range(n)
    ]
    rate = n / (time.perf_counter() - started)
    await asyncio.gather(*(h.result() for h in handles))
    return rate


def bench_settings(database: BenchDatabase) -> Settings:
    return Settings(
        _env_file=None, ENVIRONMENT=Environment.test, DATABASE_URL=database.app_url,
        DATABASE_OWNER_URL=database.owner_url, APP_BASE_URL=BASE, PASSWORD_HASHING="fast-for-tests",
    )  # fmt: skip


def add_noop(router: APIRouter) -> None:
    """The authenticated, audited no-op page the request latencies compare to."""

    @router.get("/bench/noop", name="bench.noop")
    async def noop(request: Request, me: CurrentStaff) -> Response:
        return templates.TemplateResponse(request, "system/health.html", {
            "components": [], "overall": "ok", "environment": me.practice_name,
        })  # fmt: skip


async def run(database: BenchDatabase, n: int) -> list[str]:
    env = await dev_server()
    engine = make_engine(database.app_url, pool_size=10)
    sessionmaker = make_sessionmaker(engine)
    lines: list[str] = []
    try:
        async with Worker(env.client, task_queue=QUEUE, workflows=[BenchEmptyWorkflow]):
            # the floor: empty workflows started straight from a client
            floor = await floor_rate(env, n)

            practice_id = await _practice(sessionmaker)

            settings = bench_settings(database)
            app: FastAPI = create_app(settings, engine=engine)
            app.state.relay = OutboxRelay(_Fixed(env), sessionmaker)
            router = APIRouter(route_class=AppRoute)

            @router.post("/bench/change", name="bench.change")
            async def change(uow: Uow, me: CurrentStaff) -> Response:
                await uow.session.execute(
                    update(Practice)
                    .where(Practice.id == me.practice.id)
                    .values(updated_at=func.now())
                )
                await commands.start_workflow(
                    uow, workflow_type="BenchEmpty", workflow_id=f"bench-{uuid.uuid4()}",
                    task_queue=QUEUE, args={},
                )  # fmt: skip
                return Response(status_code=204)

            add_noop(router)
            app.include_router(router)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench.example"
            ) as client:
                page = await client.get("/login")
                token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
                await client.post(
                    "/login",
                    data={
                        "email": "bench@outbox.example",
                        "password": PASSWORD,
                        "csrf_token": token,
                    },
                )
                from api.cookies import cookie_names
                from core.security import keyed_hmac

                session = client.cookies[cookie_names(settings).session]
                csrf = keyed_hmac(settings.SECRET_KEY.get_secret_value(), "csrf-session", session)

                async def hit_change() -> None:
                    r = await client.post("/bench/change", headers={"x-csrf-token": csrf})
                    if r.status_code != 204:
                        raise SystemExit(f"change: {r.status_code}")

                async def hit_noop() -> None:
                    (await client.get("/bench/noop")).raise_for_status()

                baseline = await measure(n, hit_noop, warmup=5)
                first = time.perf_counter()
                latency = await measure(n, hit_change, warmup=0)
                total = n
                while True:
                    async with sessionmaker() as s, s.begin():
                        await set_practice(s, practice_id)
                        sent = await s.scalar(
                            select(func.count())
                            .select_from(OutboxCommand)
                            .where(
                                OutboxCommand.workflow_type == "BenchEmpty",
                                OutboxCommand.status == CommandStatus.sent,
                            )
                        )
                    if (sent or 0) >= total:
                        break
                    if time.perf_counter() - first > 300:
                        raise SystemExit(f"only {sent} of {total} relayed in 300 s")
                    await asyncio.sleep(0.05)
                relay_rate = total / (time.perf_counter() - first)
                await app.state.relay.settle()
            lines.append(
                f"bench {'outbox/relay':<22} n={n:<5} {relay_rate:7.1f} commands/s | baseline "
                f"direct empty-workflow starts: {floor:7.1f} /s | "
                f"×{relay_rate / floor:.2f}"
            )
            lines.append(ratio_line("pages/outbox-change", latency, "session no-op page", baseline))
    finally:
        await engine.dispose()
        await env.shutdown()
    return lines
