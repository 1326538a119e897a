"""The calendar with 200,000 appointments across 50 providers over about two years.

- `pages/calendar-week`: a provider's week (`GET /calendar?provider=<id>&date=…`), signed
  in as that provider.
- `pages/calendar-day`: the same provider's day (`view=day`).
- `pages/calendar-all`: the practice-wide week grouped by provider
  (`provider=all`), signed in as the owner (every provider's row).

Each request asks for another date from a rotation spread over the seeded range (past and
future weeks, so the week read is a small slice of years of data) and must answer 200 and
show at least one case name seeded into that week or day. Baseline: the authenticated,
audited no-op page (`pages/session-noop`) in the same run, signed in as the same person.
Targets: p95 ≤ 50 ms for the provider's week and day, ≤ 200 ms for the practice week.
Smoke size (`make test`) seeds 10 providers and 5,000 appointments over 20 weeks.

Seeding bypasses the services: one INSERT … SELECT per table as the owner role, in one
transaction. Each provider holds `per_day` weekly standing slots on every weekday; a slot
belongs to one individual case (one person, one current participant, so the deferred
`case_shape` trigger passes at commit) for a block of weeks, then to the next client. A
provider's slots on a day are distinct hours between 08:00 and 17:00 practice time (45- to
60-minute sessions, so the partial exclusion constraint holds); past sessions are mostly
attended with some cancelled, late-cancelled and no-shows, future ones scheduled with a
few cancelled. A fifth of the cases meet at a location in another time zone. Cases whose
block ended are closed. `case_access` is filled by the triggers. The tables are analyzed
before the commit (the shape trigger needs the statistics) and vacuumed after it.
"""

from __future__ import annotations

import gc
import html
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from api.app import create_app
from api.auth import CurrentStaff
from api.routing import AppRoute
from api.templating import templates
from bench.cases import FIRST_NAMES, LAST_NAMES
from bench.harness import DATABASE, OWNER, BenchDatabase, Latency, measure, ratio_line
from core.db import SessionMaker, make_engine, make_sessionmaker, open_unit
from core.settings import Environment, Settings
from models.orm.staff import StaffRole, StaffStatus
from services.auth.passwords import HashingProfile, Passwords
from services.practices import PracticeCreate, create_practice
from services.staff import add_staff_member

PASSWORD = "bench passphrase with enough words"
PROVIDER_TARGET_MS = 50.0
PRACTICE_TARGET_MS = 200.0
LINK = "bench-calendar"
BASE_URL = "http://b.example"
TZ = "America/Chicago"
SAMPLE_WEEKS = 9  # the rotation of measured weeks, spread over the seeded range
EXPECT_NAMES = 5  # names of the week (or day) looked for in each answer


@dataclass(frozen=True)
class Scale:
    providers: int
    weeks: int  # half before the current week, half from it on
    per_day: int  # standing slots per provider per weekday (at most 10: 08:00-17:00)
    block: int  # weeks a standing slot stays with one client

    @property
    def appointments(self) -> int:
        return self.providers * self.weeks * 5 * self.per_day

    @property
    def blocks(self) -> int:
        return -(-self.weeks // self.block)

    @property
    def cases(self) -> int:
        return self.providers * 5 * self.per_day * self.blocks


FULL = Scale(providers=50, weeks=100, per_day=8, block=20)  # 200,000 appointments
SMOKE = Scale(providers=10, weeks=20, per_day=5, block=10)  # 5,000 appointments


def scale_for(n: int) -> Scale:
    """`n` is the sample count bench/__main__ passes: 100 at smoke size, 1,000 at full."""
    return FULL if n >= 1000 else SMOKE


CATALOG = """
INSERT INTO practice_services (id, practice_id, name, cpt_code, kind, duration_minutes,
                               fee_cents)
VALUES (md5(%(p)s::text || '/service/1')::uuid, %(p)s, 'Intake assessment', '90791',
        'therapy', 60, 22000),
       (md5(%(p)s::text || '/service/2')::uuid, %(p)s, 'Psychotherapy', '90834',
        'therapy', 45, 15000),
       (md5(%(p)s::text || '/service/3')::uuid, %(p)s, 'Psychotherapy, extended', '90837',
        'therapy', 60, 19000);
INSERT INTO locations (id, practice_id, name, city, region, timezone, formats)
VALUES (md5(%(p)s::text || '/location/1')::uuid, %(p)s, 'Main office', 'Chicago', 'IL',
        'America/Chicago', ARRAY['in_person', 'video', 'phone']),
       (md5(%(p)s::text || '/location/2')::uuid, %(p)s, 'Mountain office', 'Denver', 'CO',
        'America/Denver', ARRAY['in_person', 'video'])
"""

# One row per case: provider number, weekday, standing slot and block of weeks; its first
# and last appointment days (closed when the last is past; a future client opens today).
PLAN = """
CREATE TEMP TABLE bench_cal_cases ON COMMIT DROP AS
SELECT x.c, pn, d, s, b, md5(%(p)s::text || '/case/' || x.c)::uuid AS id,
       md5(%(p)s::text || '/person/' || x.c)::uuid AS person_id,
       least(%(first)s::date + b * %(block)s * 7 + d, %(today)s::date) AS opened_on,
       CASE WHEN x.last_day < %(today)s::date THEN x.last_day END AS closed_on,
       (hashint4extended(x.c, 31) & 2147483647) %% 10 < 7 AS short_sessions,
       (hashint4extended(x.c, 32) & 2147483647) %% 5 = 0 AS far_away,
       (hashint4extended(x.c, 33) & 2147483647) %% 5 < 2 AS video,
       (%(firsts)s::text[])[1 + (hashint4extended(x.c, 11) & 2147483647)
                                 %% cardinality(%(firsts)s::text[])] AS first_name,
       (%(lasts)s::text[])[1 + (hashint4extended(x.c, 12) & 2147483647)
                                %% cardinality(%(lasts)s::text[])] AS last_name
FROM generate_series(1, %(providers)s) pn CROSS JOIN generate_series(0, 4) d
CROSS JOIN generate_series(0, %(per_day)s - 1) s CROSS JOIN generate_series(0, %(blocks)s - 1) b
CROSS JOIN LATERAL (SELECT (((pn - 1) * 5 + d) * %(per_day)s + s) * %(blocks)s + b + 1 AS c,
  %(first)s::date + (least((b + 1) * %(block)s, %(weeks)s) - 1) * 7 + d AS last_day) x
"""

PEOPLE = """
INSERT INTO people (id, practice_id, first_name, last_name, email, contact_type, lifecycle)
SELECT person_id, %(p)s, first_name, last_name,
       lower(first_name || '.' || last_name || c) || '@mail.example', 'therapy_client',
       CASE WHEN closed_on IS NULL THEN 'active' ELSE 'inactive' END
FROM bench_cal_cases ORDER BY c
"""

CASES = """
INSERT INTO cases (id, practice_id, kind, name, status, opened_on, closed_on,
                   primary_provider_id, cap_diagnoses, cap_treatment_plans, cap_superbills,
                   cap_claims)
SELECT id, %(p)s, 'individual', first_name || ' ' || last_name,
       CASE WHEN closed_on IS NULL THEN 'open' ELSE 'closed' END, opened_on, closed_on,
       (%(staff)s::uuid[])[1 + pn], true, true, true, true
FROM bench_cal_cases ORDER BY c
"""

PARTICIPANTS = """
INSERT INTO case_participants (practice_id, case_id, person_id, role, joined_on, left_on)
SELECT %(p)s, id, person_id, 'client', opened_on, closed_on FROM bench_cal_cases ORDER BY c
"""

# Every week of a case's block: its standing slot at the hour the provider's day gives it
# (the slots of one provider-day share an offset, so their hours are distinct).
APPOINTMENTS = """
INSERT INTO appointments (practice_id, case_id, provider_id, service_id, location_id, format,
                          starts_at, ends_at, status, fee_cents, cancelled_at)
SELECT %(p)s, c.id, (%(staff)s::uuid[])[1 + c.pn],
       md5(%(p)s::text || '/service/' || v.service)::uuid,
       md5(%(p)s::text || '/location/' || CASE WHEN c.far_away THEN 2 ELSE 1 END)::uuid,
       CASE WHEN c.video THEN 'video' ELSE 'in_person' END,
       t.starts_at, t.starts_at + v.minutes * interval '1 minute', st.status, v.fee,
       CASE WHEN st.status LIKE '%%cancel%%' THEN t.starts_at - interval '1 day' END
FROM bench_cal_cases c
CROSS JOIN LATERAL generate_series(c.b * %(block)s,
                                   least((c.b + 1) * %(block)s, %(weeks)s) - 1) w
CROSS JOIN LATERAL (SELECT %(first)s::date + w * 7 + c.d AS day,
  8 + (c.s + (hashint4extended((c.pn * 5 + c.d) * %(blocks)s + c.b, 21) & 2147483647) %% 10)
    %% 10 AS hour) h
CROSS JOIN LATERAL (SELECT (h.day + make_time(h.hour::int, 0, 0)) AT TIME ZONE %(tz)s
                    AS starts_at) t
CROSS JOIN LATERAL (SELECT CASE WHEN w = c.b * %(block)s THEN 1
                                WHEN c.short_sessions THEN 2 ELSE 3 END AS service) k
CROSS JOIN LATERAL (SELECT k.service,
  (ARRAY[60, 45, 60])[k.service] AS minutes, (ARRAY[22000, 15000, 19000])[k.service] AS fee) v
CROSS JOIN LATERAL (SELECT (hashint4extended(c.c * 128 + w - c.b * %(block)s, 41)
                            & 2147483647) %% 100 AS r) q
CROSS JOIN LATERAL (SELECT CASE
  WHEN h.day >= %(today)s::date THEN
    CASE WHEN q.r < 95 THEN 'scheduled' ELSE 'cancelled_by_client' END
  WHEN q.r < 85 THEN 'attended' WHEN q.r < 91 THEN 'cancelled_by_client'
  WHEN q.r < 93 THEN 'cancelled_by_practice' WHEN q.r < 96 THEN 'late_cancelled'
  ELSE 'no_show' END AS status) st
ORDER BY t.starts_at
"""

TABLES = ("people", "cases", "case_participants", "case_access", "appointments")

# What the checks need, as the owner (no row security): case names in a range of days.
NAMES = """
SELECT DISTINCT x.name FROM appointments a
JOIN cases x ON x.practice_id = a.practice_id AND x.id = a.case_id
WHERE a.practice_id = %(p)s AND (%(provider)s::uuid IS NULL OR a.provider_id = %(provider)s)
  AND a.starts_at >= %(begin)s AND a.starts_at < %(end)s
ORDER BY x.name LIMIT %(limit)s
"""


@dataclass(frozen=True)
class Seeded:
    practice_id: uuid.UUID
    staff: list[uuid.UUID]  # [owner, measured provider, other providers …]
    seconds: float
    first_monday: date
    appointments: int
    cases: int
    week_rows: int  # the practice's appointments in the current week


async def _practice(sessionmaker: SessionMaker, scale: Scale) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """An owner and `scale.providers` providers (all sign in with PASSWORD)."""
    hashed = await Passwords(HashingProfile.fast_for_tests).hash(PASSWORD)
    uow = await open_unit(sessionmaker)
    practice = await create_practice(
        uow, PracticeCreate(name="Bench Calendar", link_name=LINK, timezone=TZ)
    )
    staff = []
    for n, role in enumerate([StaffRole.owner] + [StaffRole.provider] * scale.providers):
        member = await add_staff_member(
            uow, email=f"s{n}@{LINK}.example", display_name=f"Clinician {n:02d}", role=role,
            status=StaffStatus.active,
        )  # fmt: skip
        member.password_hash = hashed
        staff.append(member.id)
    await uow.commit()
    await uow.close()
    return practice.id, staff


def _today() -> date:
    return datetime.now(ZoneInfo(TZ)).date()


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _seed(database: BenchDatabase, practice_id: uuid.UUID, staff: list[uuid.UUID],
          scale: Scale) -> Seeded:  # fmt: skip
    if not 1 <= scale.per_day <= 10:
        raise SystemExit("calendar bench: a provider has ten hourly slots a day at most")
    today = _today()
    first = _monday(today) - timedelta(weeks=scale.weeks // 2)
    params: dict[str, Any] = {
        "p": practice_id, "staff": staff, "providers": scale.providers, "weeks": scale.weeks,
        "per_day": scale.per_day, "block": scale.block, "blocks": scale.blocks, "first": first,
        "today": today, "tz": TZ, "firsts": FIRST_NAMES, "lasts": LAST_NAMES,
    }  # fmt: skip
    started = time.perf_counter()
    with database.pg.connect(database=DATABASE, role=OWNER) as conn:
        with conn.transaction():  # the case_shape trigger checks every case at this commit
            for statement in (*CATALOG.split(";\n"), PLAN, PEOPLE, CASES, PARTICIPANTS):
                conn.execute(statement, params)
            conn.execute(APPOINTMENTS, params)
            # Statistics before the commit: the deferred case_shape trigger looks participants
            # up by case id, a sequential scan per case without them.
            for table in TABLES:
                conn.execute(f"ANALYZE {table}")
        for table in TABLES:  # what autovacuum would have done by the time anyone looks
            conn.execute(f"VACUUM (ANALYZE) {table}")
        seconds = time.perf_counter() - started
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM appointments WHERE practice_id = %(p)s),"
            " (SELECT count(*) FROM cases WHERE practice_id = %(p)s),"
            " (SELECT count(*) FROM appointments WHERE practice_id = %(p)s"
            "   AND starts_at >= %(b)s AND starts_at < %(e)s)",
            {"p": practice_id, **_bounds(_monday(today), 7)},
        ).fetchone()
    assert counts is not None
    if int(counts[0]) != scale.appointments:
        raise SystemExit(f"calendar bench: seeded {counts[0]} appointments, "
                         f"not {scale.appointments}")  # fmt: skip
    return Seeded(practice_id, staff, seconds, first, int(counts[0]), int(counts[1]),
                  int(counts[2]))  # fmt: skip


def _bounds(start: date, days: int) -> dict[str, datetime]:
    zone = ZoneInfo(TZ)
    begin = datetime(start.year, start.month, start.day, tzinfo=zone)
    end_day = start + timedelta(days=days)
    return {"b": begin, "e": datetime(end_day.year, end_day.month, end_day.day, tzinfo=zone)}


@dataclass(frozen=True)
class Target:
    url: str
    expect: set[str]  # html-escaped case names of that week or day (one must show)


def _targets(database: BenchDatabase, seeded: Seeded, scale: Scale, *,
             provider: uuid.UUID | None, day_view: bool) -> list[Target]:  # fmt: skip
    """The rotation of dates for one page: weeks spread from the first seeded week to the
    last (with the current one), and for the day view a different weekday of each."""
    weeks = sorted({round(i * (scale.weeks - 1) / (SAMPLE_WEEKS - 1))
                    for i in range(SAMPLE_WEEKS)} | {scale.weeks // 2})  # fmt: skip
    who = str(provider) if provider else "all"
    targets = []
    with database.pg.connect(database=DATABASE, role=OWNER) as conn:
        for i, w in enumerate(weeks):
            monday = seeded.first_monday + timedelta(weeks=w)
            day = monday + timedelta(days=i % 5) if day_view else monday + timedelta(days=2)
            start, length = (day, 1) if day_view else (monday, 7)
            bounds = _bounds(start, length)
            rows = conn.execute(NAMES, {
                "p": seeded.practice_id, "provider": provider, "begin": bounds["b"],
                "end": bounds["e"], "limit": EXPECT_NAMES,
            }).fetchall()  # fmt: skip
            if not rows:
                raise SystemExit(f"calendar bench: nothing seeded for {who} on {start}")
            view = "&view=day" if day_view else ""
            targets.append(Target(f"/calendar?provider={who}{view}&date={day.isoformat()}",
                                  {html.escape(r[0]) for r in rows}))  # fmt: skip
    return targets


async def _signed_in(app: FastAPI, email: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
    page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    done = await client.post("/login", data={"email": email, "password": PASSWORD,
                                             "csrf_token": token})  # fmt: skip
    if done.status_code != 303:
        raise SystemExit(f"calendar bench: sign-in failed ({done.status_code})")
    return client


Call = Callable[[], Awaitable[None]]


def _rotation(client: httpx.AsyncClient, label: str, targets: list[Target]) -> Call:
    """Each call asks for the next date; it must answer 200 and show one of its names."""
    ring = itertools.cycle(targets)

    async def call() -> None:
        target = next(ring)
        response = await client.get(target.url)
        if response.status_code != 200:
            raise SystemExit(f"calendar bench: {label} {target.url} answered "
                             f"{response.status_code}")  # fmt: skip
        if not any(name in response.text for name in target.expect):
            raise SystemExit(f"calendar bench: {label} {target.url} showed none of the "
                             "appointments seeded there")  # fmt: skip

    return call


def _noop(client: httpx.AsyncClient) -> Call:
    async def call() -> None:
        response = await client.get("/bench/session-noop")
        if response.status_code != 200:
            raise SystemExit(f"calendar bench: no-op page answered {response.status_code}")

    return call


def _verdict(result: Latency, target_ms: float) -> str:
    ok = "ok" if result.p95_ms <= target_ms else "MISSED"
    return f" | target p95 ≤ {target_ms:.0f} ms: {ok}"


async def run(database: BenchDatabase, n: int) -> list[str]:
    scale = scale_for(n)
    engine = make_engine(database.app_url, pool_size=5)
    sessionmaker = make_sessionmaker(engine)
    practice_id, staff = await _practice(sessionmaker, scale)
    seeded = _seed(database, practice_id, staff, scale)
    me = staff[1]
    week = _targets(database, seeded, scale, provider=me, day_view=False)
    day = _targets(database, seeded, scale, provider=me, day_view=True)
    practice = _targets(database, seeded, scale, provider=None, day_view=False)
    settings = Settings(
        _env_file=None, ENVIRONMENT=Environment.test, DATABASE_URL=database.app_url,
        DATABASE_OWNER_URL=database.owner_url, APP_BASE_URL=BASE_URL,
    )  # fmt: skip
    app = create_app(settings, engine=engine)
    gc.freeze()  # as the server's lifespan does at startup (api/app.py)
    router = APIRouter(route_class=AppRoute)

    @router.get("/bench/session-noop", name="bench.session_noop")
    async def noop(request: Request, me: CurrentStaff) -> Response:
        return templates.TemplateResponse(request, "system/health.html", {
            "components": [], "overall": "ok", "environment": me.practice_name,
        })  # fmt: skip

    app.include_router(router)
    lines = [
        f"bench {'calendar/seed':<22} {seeded.appointments:,} appointments, "
        f"{seeded.cases:,} cases, {scale.providers} providers over {scale.weeks} weeks "
        f"({seeded.week_rows:,} in the current week) seeded in {seeded.seconds:.1f} s"
    ]
    provider = await _signed_in(app, f"s1@{LINK}.example")
    owner = await _signed_in(app, f"s0@{LINK}.example")
    try:
        baseline = await measure(n, _noop(provider))
        for name, call in [
            ("pages/calendar-week", _rotation(provider, "provider week", week)),
            ("pages/calendar-day", _rotation(provider, "provider day", day)),
        ]:
            result = await measure(n, call)
            lines.append(ratio_line(name, result, "session no-op page", baseline)
                         + _verdict(result, PROVIDER_TARGET_MS))  # fmt: skip
        owner_baseline = await measure(n, _noop(owner))
        result = await measure(n, _rotation(owner, "practice week", practice))
        lines.append(ratio_line("pages/calendar-all", result, "session no-op page (owner)",
                                owner_baseline) + _verdict(result, PRACTICE_TARGET_MS))  # fmt: skip
    finally:
        await provider.aclose()
        await owner.aclose()
        await engine.dispose()
    return lines
