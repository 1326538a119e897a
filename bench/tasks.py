"""The Needs-attention dashboard and the AttentionSweep over 10,000 tasks.

- `pages/tasks-everyone`, `pages/tasks-mine`, `api/tasks-list`: the dashboard page (owner,
  everyone; a provider, their own) and the JSON list, first page, with 10,000 open tasks
  in the practice (half overdue, a tenth undated) and 2,000 closed ones. Baseline: the
  authenticated, audited no-op page in the same run. Target p95 ≤ 50 ms.
- `attention/sweep`: one AttentionSweep run (the workflow on a dev server, real worker and
  activities) over 10,000 overdue tasks: a reminder row per task, escalations past the
  delay, one email per recipient. `attention/sweep-steady`: the next run, with nothing new
  to send (what every 15-minute tick costs). Baseline: one SQL statement selecting the
  same due tasks, in the same run.

Tasks are seeded with one INSERT … SELECT as the owner role (seeding bypasses workflows).
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import text
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import CurrentStaff
from api.routing import AppRoute
from api.templating import templates
from bench.harness import DATABASE, OWNER, BenchDatabase, Latency, measure, ratio_line
from core.db import SessionMaker, make_engine, make_sessionmaker, open_unit, set_practice
from core.settings import PLACEHOLDER_PAYLOAD_KEYS, Environment, Settings, parse_payload_keys
from core.temporal import make_data_converter
from models.contracts.attention import AttentionSweepInput, AttentionSweepState
from models.contracts.common import TaskQueue
from models.orm.staff import StaffRole, StaffStatus
from services.auth.passwords import HashingProfile, Passwords
from services.outbox.relay import CASE_KEY, PRACTICE_KEY, OutboxRelay
from services.practices import PracticeCreate, create_practice
from services.staff import add_staff_member
from worker import Deps, build_registrations, build_workers

TASKS = 10_000
PASSWORD = "bench passphrase with enough words"
TARGET_P95_MS = 50.0

SEED = """
INSERT INTO tasks (practice_id, kind, title, assignee_id, due_at, status, opened_by_staff_id,
                   resolved_at, created_at, updated_at)
SELECT %(p)s, (ARRAY['follow_up', 'billing', 'inquiry'])[1 + g %% 3], 'Bench task ' || g,
       (%(staff)s::uuid[])[1 + g %% array_length(%(staff)s::uuid[], 1)],
       CASE WHEN g %% 10 = 0 THEN NULL
            ELSE now() + ((g %% 200) - %(shift)s) * interval '1 hour' END,
       CASE WHEN g > %(open)s THEN 'done' ELSE 'open' END, %(owner)s,
       CASE WHEN g > %(open)s THEN now() END, now(), now()
FROM generate_series(1, %(total)s) g
"""

DUE = text(
    "SELECT id, assignee_id, due_at FROM tasks WHERE practice_id = :p AND status = 'open'"
    " AND opened_by_workflow_id IS NULL AND due_at IS NOT NULL AND due_at <= :until"
)


async def _practice(sessionmaker: SessionMaker, link: str) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A practice with an owner and four clinicians (all sign in with PASSWORD)."""
    hashed = await Passwords(HashingProfile.fast_for_tests).hash(PASSWORD)
    uow = await open_unit(sessionmaker)
    practice = await create_practice(
        uow, PracticeCreate(name=f"Bench {link}", link_name=link, timezone="America/Chicago")
    )
    staff = []
    for n, role in enumerate([StaffRole.owner] + [StaffRole.provider] * 4):
        member = await add_staff_member(
            uow, email=f"s{n}@{link}.example", display_name=f"Staff {n}", role=role,
            status=StaffStatus.active,
        )  # fmt: skip
        member.password_hash = hashed
        staff.append(member.id)
    await uow.commit()
    await uow.close()
    return practice.id, staff


def _seed(database: BenchDatabase, practice_id: uuid.UUID, staff: list[uuid.UUID], *,
          open_tasks: int, closed: int, shift: int) -> None:  # fmt: skip
    with database.pg.connect(database=DATABASE, role=OWNER) as conn:
        conn.execute(
            SEED,
            {"p": practice_id, "staff": staff, "owner": staff[0], "open": open_tasks,
             "total": open_tasks + closed, "shift": shift},
        )  # fmt: skip
        conn.execute("ANALYZE tasks")


async def _signed_in(app: FastAPI, email: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b.example")
    page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    done = await client.post("/login", data={"email": email, "password": PASSWORD,
                                             "csrf_token": token})  # fmt: skip
    if done.status_code != 303:
        raise SystemExit(f"tasks bench: sign-in failed ({done.status_code})")
    return client


def _verdict(result: Latency) -> str:
    ok = "ok" if result.p95_ms <= TARGET_P95_MS else "MISSED"
    return f" | target p95 ≤ {TARGET_P95_MS:.0f} ms: {ok}"


async def _pages(database: BenchDatabase, n: int) -> list[str]:
    engine = make_engine(database.app_url, pool_size=5)
    sessionmaker = make_sessionmaker(engine)
    practice_id, staff = await _practice(sessionmaker, "bench-tasks")
    _seed(database, practice_id, staff, open_tasks=TASKS, closed=2_000, shift=100)
    settings = Settings(
        _env_file=None, ENVIRONMENT=Environment.test, DATABASE_URL=database.app_url,
        DATABASE_OWNER_URL=database.owner_url, APP_BASE_URL="http://b.example",
    )  # fmt: skip
    app = create_app(settings, engine=engine)
    router = APIRouter(route_class=AppRoute)

    @router.get("/bench/session-noop", name="bench.session_noop")
    async def noop(request: Request, me: CurrentStaff) -> Response:
        return templates.TemplateResponse(request, "system/health.html", {
            "components": [], "overall": "ok", "environment": me.practice_name,
        })  # fmt: skip

    app.include_router(router)
    lines = []
    owner = await _signed_in(app, "s0@bench-tasks.example")
    provider = await _signed_in(app, "s1@bench-tasks.example")
    try:

        def hit(client: httpx.AsyncClient, url: str, expect: str) -> Any:
            async def call() -> None:
                response = await client.get(url)
                if response.status_code != 200 or expect not in response.text:
                    raise SystemExit(f"tasks bench: {url} answered {response.status_code}")

            return call

        baseline = await measure(n, hit(owner, "/bench/session-noop", "ok"))
        for name, client, url, expect in (
            ("pages/tasks-everyone", owner, "/tasks?who=everyone", "Bench task"),
            ("pages/tasks-mine", provider, "/tasks?who=mine&overdue=1", "Bench task"),
            ("api/tasks-list", owner, "/api/v1/tasks?who=everyone", '"items"'),
        ):
            result = await measure(n, hit(client, url, expect))
            lines.append(
                ratio_line(name, result, "session no-op page", baseline) + _verdict(result)
            )
    finally:
        await owner.aclose()
        await provider.aclose()
        await engine.dispose()
    return lines


class _Fixed:
    def __init__(self, client: Client) -> None:
        self.client = client

    async def get(self, connect_timeout: float = 3.0) -> Client:
        return self.client


async def _sweep(database: BenchDatabase, runs: int) -> list[str]:
    engine = make_engine(database.app_url, pool_size=10)
    sessionmaker = make_sessionmaker(engine)
    practice_id, staff = await _practice(sessionmaker, "bench-sweep")
    # every task overdue (1–200 hours), none undated: the worst case a sweep can meet
    _seed(database, practice_id, staff, open_tasks=TASKS, closed=0, shift=201)
    with database.pg.connect(database=DATABASE, role=OWNER) as conn:
        conn.execute("UPDATE tasks SET due_at = now() - interval '1 hour' WHERE due_at IS NULL")
    env = await WorkflowEnvironment.start_local(
        data_converter=make_data_converter(parse_payload_keys(PLACEHOLDER_PAYLOAD_KEYS)),
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        dev_server_log_level="error",
        search_attributes=[PRACTICE_KEY, CASE_KEY],
    )
    relay = OutboxRelay(_Fixed(env.client), sessionmaker)
    deps = Deps(sessionmaker, relay.relay, None, "http://b.example")
    [worker] = [w for w in build_workers(env.client, build_registrations(deps))
                if w.task_queue == TaskQueue.default]  # fmt: skip
    as_of = datetime.now(UTC)

    async def sweep() -> AttentionSweepState:
        result: AttentionSweepState = await env.client.execute_workflow(
            "AttentionSweep", AttentionSweepInput(practice_id=practice_id, as_of=as_of),
            id=f"bench-sweep-{uuid.uuid4()}", task_queue=TaskQueue.default,
            result_type=AttentionSweepState,
        )  # fmt: skip
        return result

    def forget() -> None:  # the next run finds everything to do again
        with database.pg.connect(database=DATABASE, role=OWNER) as conn:
            conn.execute("DELETE FROM task_alerts")
            conn.execute("DELETE FROM mail_outbox")

    async def select_due() -> None:
        async with sessionmaker() as session, session.begin():
            await set_practice(session, practice_id)
            rows = (await session.execute(DUE, {"p": practice_id, "until": as_of})).all()
            if len(rows) != TASKS:
                raise SystemExit(f"sweep bench: {len(rows)} due tasks, not {TASKS}")

    lines = []
    try:
        async with worker:
            await sweep()  # warm-up (imports, sandbox, connections)
            full: list[float] = []
            for _ in range(runs):
                forget()
                started = time.perf_counter()
                state = await sweep()
                full.append((time.perf_counter() - started) * 1000)
                reminded = state.checks[0].counts["reminded"]
                if reminded != TASKS:
                    raise SystemExit(f"sweep bench: {reminded} reminded, not {TASKS}")
            steady = await measure(runs, lambda: _steady(sweep), warmup=1)
            floor = await measure(runs, select_due, warmup=1)
        result = Latency(runs, sorted(full)[len(full) // 2], max(full), sum(full) / len(full))
        lines.append(ratio_line("attention/sweep", result, "one SQL select of the due", floor))
        lines.append(
            ratio_line("attention/sweep-steady", steady, "one SQL select of the due", floor)
        )
    finally:
        await env.shutdown()
        await engine.dispose()
    return lines


async def _steady(sweep: Any) -> None:
    state: AttentionSweepState = await sweep()
    if state.checks[0].counts["reminded"] != 0:
        raise SystemExit("sweep bench: a steady run reminded again")


async def run(database: BenchDatabase, n: int) -> list[str]:
    return [*await _pages(database, n), *await _sweep(database, max(3, n // 100))]
