"""Starting intakes through the API: `POST /cases/{id}/intake` for n individual cases, each
writing the request, its recipient and checklist rows, the portal account and grant, and
an outbox start command in one transaction; the relay starts `IntakeOnboarding` on the
Temporal dev server after commit and a worker with the production registrations runs its
first steps (re-read the rows, email the invitation into the mail outbox).

- `pages/intake-send`: p50/p95 of those requests, signed in as the provider. Baseline:
  the authenticated, audited no-op page in the same run.
- `outbox/intake-start`: intakes started per second (from the first request until every
  start command is relayed) and invited per second (until every invitation is in the mail
  outbox — the workflow has run). Baseline: the same dev server starting empty workflows
  straight from a client, in the same run (this server's floor on this machine).

Seeding goes through the services (`open_case`), so each case has its person, its
participant and its practice library exactly as the product makes them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI
from sqlalchemy import func, select
from temporalio.worker import Worker

from api.app import create_app
from api.routing import AppRoute
from bench.cases import PASSWORD, _signed_in
from bench.empty_workflow import BenchEmptyWorkflow
from bench.harness import BenchDatabase, measure, ratio_line
from bench.outbox import QUEUE, _Fixed, add_noop, bench_settings, dev_server, floor_rate
from core.db import SessionMaker, make_engine, make_sessionmaker, open_unit, set_practice
from models.contracts.common import TaskQueue
from models.contracts.intake import INTAKE_WORKFLOW
from models.orm.intake import IntakeRecipient
from models.orm.staff import StaffRole, StaffStatus
from models.orm.workflow import CommandStatus, OutboxCommand
from models.schemas.person import PersonIn
from services.access import Actor
from services.auth.passwords import HashingProfile, Passwords
from services.cases import commands as case_commands
from services.outbox.relay import OutboxRelay
from services.practices import PracticeCreate, create_practice
from services.staff import add_staff_member
from worker import Deps, build_registrations, build_workers

EMAIL = "provider@intake-bench.example"


async def _seed(
    sessionmaker: SessionMaker, n: int
) -> tuple[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID]]]:
    """A practice with an owner and a provider, and n individual cases (case, person)."""
    uow = await open_unit(sessionmaker)
    practice = await create_practice(
        uow, PracticeCreate(name="Bench Intake", link_name="bench-intake", timezone="UTC")
    )
    await add_staff_member(uow, email="owner@intake-bench.example", display_name="O",
                           role=StaffRole.owner, status=StaffStatus.active)  # fmt: skip
    provider = await add_staff_member(
        uow, email=EMAIL, display_name="P", role=StaffRole.provider, status=StaffStatus.active
    )
    provider.password_hash = await Passwords(HashingProfile.fast_for_tests).hash(PASSWORD)
    actor = Actor(staff_id=provider.id, practice_id=practice.id, role=StaffRole.provider,
                  display_name="P")  # fmt: skip
    cases = []
    opened = datetime.now(UTC).date()
    for i in range(n):
        case = await case_commands.open_case(
            uow, actor,
            case_commands.CaseOpen(kind="individual", primary_provider_id=provider.id,
                                   participants=[case_commands.Joiner(person=PersonIn(
                                       first_name=f"Client{i}", last_name="Bench",
                                       email=f"client{i}@intake-bench.example",
                                       date_of_birth="1990-01-01"))]),
            opened,
        )  # fmt: skip
        [part] = await case_commands.participants_of(uow, case.id)
        cases.append((case.id, part.person_id))
    await uow.commit()
    await uow.close()
    return practice.id, cases


async def _count(sessionmaker: SessionMaker, practice_id: uuid.UUID) -> tuple[int, int]:
    """(start commands relayed, recipients invited)."""
    async with sessionmaker() as s, s.begin():
        await set_practice(s, practice_id)
        sent = await s.scalar(
            select(func.count())
            .select_from(OutboxCommand)
            .where(
                OutboxCommand.workflow_type == INTAKE_WORKFLOW,
                OutboxCommand.status == CommandStatus.sent,
            )
        )
        invited = await s.scalar(
            select(func.count())
            .select_from(IntakeRecipient)
            .where(IntakeRecipient.invited_at.is_not(None))
        )
    return int(sent or 0), int(invited or 0)


async def run(database: BenchDatabase, n: int) -> list[str]:
    env = await dev_server()
    engine = make_engine(database.app_url, pool_size=10)
    sessionmaker = make_sessionmaker(engine)
    lines: list[str] = []
    try:
        relay = OutboxRelay(_Fixed(env), sessionmaker)
        deps = Deps(sessionmaker, relay.relay, None, "http://bench.example")
        [worker] = [
            w for w in build_workers(env.client, build_registrations(deps))
            if w.task_queue == TaskQueue.default
        ]  # fmt: skip
        async with worker, Worker(env.client, task_queue=QUEUE, workflows=[BenchEmptyWorkflow]):
            floor = await floor_rate(env, n)
            practice_id, cases = await _seed(sessionmaker, n)
            settings = bench_settings(database)
            app: FastAPI = create_app(settings, engine=engine)
            app.state.relay = OutboxRelay(_Fixed(env), sessionmaker)
            router = APIRouter(route_class=AppRoute)

            add_noop(router)
            app.include_router(router)
            client, csrf = await _signed_in(app, EMAIL)
            try:

                async def hit_noop() -> None:
                    (await client.get("/bench/noop")).raise_for_status()

                pending = iter(cases)

                async def send() -> None:
                    case_id, person_id = next(pending)
                    r = await client.post(
                        f"/cases/{case_id}/intake",
                        data={"person_id": str(person_id), "csrf_token": csrf},
                    )
                    if r.status_code != 303:
                        raise SystemExit(f"intake bench: send answered {r.status_code}")

                baseline = await measure(n, hit_noop, warmup=5)
                first = time.perf_counter()
                latency = await measure(n, send, warmup=0)
                relayed_at = invited_at = None
                while relayed_at is None or invited_at is None:
                    sent, invited = await _count(sessionmaker, practice_id)
                    now = time.perf_counter()
                    if relayed_at is None and sent >= n:
                        relayed_at = now
                    if invited_at is None and invited >= n:
                        invited_at = now
                    if now - first > 600:
                        raise SystemExit(
                            f"intake bench: {sent} started, {invited} invited in 600 s"
                        )
                    await asyncio.sleep(0.05)
                await app.state.relay.settle()
            finally:
                await client.aclose()
            start_rate = n / (relayed_at - first)
            invite_rate = n / (invited_at - first)
            lines.append(ratio_line("pages/intake-send", latency, "session no-op page", baseline))
            lines.append(
                f"bench {'outbox/intake-start':<22} n={n:<5} {start_rate:7.1f} intakes started/s,"
                f" {invite_rate:7.1f} invited/s | baseline direct empty-workflow starts:"
                f" {floor:7.1f} /s | ×{start_rate / floor:.2f} started,"
                f" ×{invite_rate / floor:.2f} invited"
            )
    finally:
        await engine.dispose()
        await env.shutdown()
    return lines
