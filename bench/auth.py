"""Sign-in and the authenticated, audited no-op page.

- `auth/login`: POST /login through the whole app with production argon2id parameters
  (RFC 9106 low-memory: t=3, m=64 MiB, p=4). Baseline: argon2-cffi verifying the same
  hash directly, in the same run — the floor any login pays.
- `pages/session-noop`: a page behind the session cookie (cross-practice lookup by token
  hash, session + staff + practice load, actor reach, audit event in the request's
  transaction, template). Baseline: a bare FastAPI route returning the same bytes.
  Later page benchmarks compare themselves to this one.
"""

from __future__ import annotations

import httpx
from argon2 import PasswordHasher
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from api.app import create_app
from api.auth import CurrentStaff
from api.routing import AppRoute
from api.templating import templates
from bench.harness import BenchDatabase, Latency, measure, ratio_line
from core.db import make_engine, make_sessionmaker, open_unit
from core.settings import Environment, Settings
from models.orm.staff import StaffRole, StaffStatus
from services.practices import PracticeCreate, create_practice
from services.staff import add_staff_member

PASSWORD = "bench passphrase with enough words"


async def run(database: BenchDatabase, n: int) -> list[str]:
    engine = make_engine(database.app_url, pool_size=5)
    sessionmaker = make_sessionmaker(engine)
    hasher = PasswordHasher()  # the production profile
    stored = hasher.hash(PASSWORD)
    uow = await open_unit(sessionmaker)
    await create_practice(
        uow, PracticeCreate(name="Bench Auth", link_name="bench-auth", timezone="UTC")
    )
    member = await add_staff_member(
        uow, email="bench@auth.example", display_name="Bench", role=StaffRole.owner,
        status=StaffStatus.active,
    )  # fmt: skip
    member.password_hash = stored
    await uow.commit()
    await uow.close()

    settings = Settings(
        _env_file=None, ENVIRONMENT=Environment.test, DATABASE_URL=database.app_url,
        DATABASE_OWNER_URL=database.owner_url, APP_BASE_URL="http://bench.example",
    )  # fmt: skip
    app: FastAPI = create_app(settings, engine=engine)
    router = APIRouter(route_class=AppRoute)

    @router.get("/bench/session-noop", name="bench.session_noop")
    async def session_noop(request: Request, me: CurrentStaff) -> Response:
        return templates.TemplateResponse(request, "system/health.html", {
            "components": [], "overall": "ok", "environment": me.practice_name,
        })  # fmt: skip

    app.include_router(router)
    bare_app = FastAPI()
    lines: list[str] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench.example"
    ) as client:
        page = await client.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]

        async def login() -> None:
            client.cookies.delete("pr_session")  # a fresh visitor each time (CSRF seed kept)
            response = await client.post("/login", data={
                "email": "bench@auth.example", "password": PASSWORD, "csrf_token": token,
            })  # fmt: skip
            if response.status_code != 303:
                raise SystemExit(f"login failed: {response.status_code} {response.text[-800:]}")

        async def verify() -> None:
            hasher.verify(stored, PASSWORD)

        logins = max(10, n // 10)  # each costs ~100 ms by design
        floor = await measure(logins, verify, warmup=2)
        result = await measure(logins, login, warmup=2)
        lines.append(ratio_line("auth/login", result, "argon2 verify", floor))
        lines.append(
            f"bench {'auth/argon2-rate':<22} {1000 / floor.p50_ms:.1f} verifies/s on one core (p50)"
        )

        await login()
        rendered = (await client.get("/bench/session-noop")).content

        @bare_app.get("/bench/bare")
        async def bare() -> Response:
            return HTMLResponse(rendered)

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=bare_app), base_url="http://bench.example"
        ) as floor_client:

            async def hit_page() -> None:
                response = await client.get("/bench/session-noop")
                if response.status_code != 200:
                    raise SystemExit(f"session page: {response.status_code}")

            async def hit_bare() -> None:
                (await floor_client.get("/bench/bare")).raise_for_status()

            baseline = await measure(n, hit_bare)
            page_latency: Latency = await measure(n, hit_page)
        lines.append(ratio_line("pages/session-noop", page_latency, "bare route", baseline))
    await engine.dispose()
    return lines
