"""The client list and the search box with 50,000 people and 60,000 cases.

- `pages/clients`: the client list (HTML), first page, default filter (open cases), as a
  provider who can see 2,000 of the 60,000 cases (30 providers share them).
- `pages/clients-couples`: the same list filtered to current couples.
- `api/cases-list`: the JSON list of current cases, first page.
- `api/search`, `api/search-typo`: POST /api/v1/search with a partial last name that
  matches a few hundred people in the practice ("hernan") and a misspelt one ("hernendez").
- `pages/search`: the HTML search form (POST /search with the CSRF token).

Baseline: the authenticated, audited no-op page (`pages/session-noop`) in the same run, as
the same provider. Target p95 ≤ 50 ms. Smoke size (`make test`) seeds 2,000 people and
2,400 cases, 200 of them the provider's.

Seeding bypasses the services: one INSERT … SELECT per table as the owner role, in one
transaction, shaped so the deferred `case_shape` trigger passes at commit — mostly
individual cases, couples of two, families of two to four, groups of four to eight (and one
member who left), about a fifth closed. Names come from lists of first and last names
combined by hashes of the row number, so trigram search meets realistic repetition;
everyone has an email and an E.164 mobile number. `case_access` is filled by its trigger.
The tables are analyzed before the commit (the shape trigger needs the statistics) and
vacuumed after it. A `cases/seed` line reports the sizes, the seeding time and how many
people the search name matches (and how many of them the provider may see).
"""

from __future__ import annotations

import gc
import html
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from api.app import create_app
from api.auth import CurrentStaff
from api.routing import AppRoute
from api.templating import templates
from bench.harness import DATABASE, OWNER, BenchDatabase, Latency, measure, ratio_line
from core.db import SessionMaker, make_engine, make_sessionmaker, open_unit
from core.settings import Environment, Settings
from models.orm.staff import StaffRole, StaffStatus
from services.auth.passwords import HashingProfile, Passwords
from services.practices import PracticeCreate, create_practice
from services.staff import add_staff_member

PASSWORD = "bench passphrase with enough words"
TARGET_P95_MS = 50.0
LINK = "bench-cases"
BASE_URL = "http://b.example"
SEARCH_NAME = "Hernandez"  # one of LAST_NAMES
SEARCH_PARTIAL = "hernan"
SEARCH_TYPO = "hernendez"


@dataclass(frozen=True)
class Scale:
    people: int
    cases: int
    visible: int  # the measured provider's cases (they are its primary provider)
    providers: int = 30
    contacts: int = 0  # people in no case (payers, emergency contacts), with a steward

    @property
    def stride(self) -> int:
        return self.cases // self.visible


FULL = Scale(people=50_000, cases=60_000, visible=2_000, contacts=1_000)
SMOKE = Scale(people=2_000, cases=2_400, visible=200, contacts=40)


def scale_for(n: int) -> Scale:
    """`n` is the sample count bench/__main__ passes: 100 at smoke size, 1,000 at full."""
    return FULL if n >= 1000 else SMOKE


FIRST_NAMES = [
    "Aaliyah", "Aaron", "Abigail", "Adam", "Adrian", "Aisha", "Alejandro", "Alex", "Alice",
    "Amara", "Amir", "Ana", "Andre", "Angela", "Anika", "Anthony", "Ava", "Benjamin",
    "Bianca", "Brandon", "Brianna", "Caleb", "Camila", "Carlos", "Carmen", "Charlotte",
    "Chen", "Chloe", "Christopher", "Daniel", "David", "Deepa", "Diego", "Dmitri", "Elena",
    "Elijah", "Emily", "Emma", "Ethan", "Fatima", "Gabriel", "Grace", "Hannah", "Hiroshi",
    "Isabella", "Isaiah", "Jamal", "James", "Jasmine", "Javier", "Jennifer", "Jordan",
    "Jose", "Joseph", "Julia", "Kai", "Kenji", "Keisha", "Laura", "Leila", "Liam", "Lucas",
    "Lucia", "Malik", "Maria", "Mateo", "Maya", "Mei", "Michael", "Mia", "Miguel", "Mohammed",
    "Nadia", "Naomi", "Nathan", "Nia", "Noah", "Olivia", "Omar", "Priya", "Rafael", "Rahul",
    "Rebecca", "Ricardo", "Rosa", "Ryan", "Samantha", "Samuel", "Sara", "Sofia", "Tariq",
    "Thomas", "Tyler", "Valentina", "Victor", "William", "Xavier", "Yara", "Yusuf", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Abbott", "Acosta", "Adams", "Adeyemi", "Aguilar", "Ahmed", "Alexander", "Ali", "Allen",
    "Alvarez", "Anderson", "Andrews", "Armstrong", "Bailey", "Baker", "Banerjee", "Barnes",
    "Bell", "Bennett", "Berg", "Bishop", "Black", "Blake", "Brooks", "Brown", "Bryant",
    "Burke", "Butler", "Campbell", "Carter", "Castillo", "Castro", "Chang", "Chavez", "Chen",
    "Cho", "Clark", "Cohen", "Cole", "Coleman", "Collins", "Cook", "Cooper", "Cruz",
    "Cunningham", "Davies", "Davis", "Delgado", "Diaz", "Dixon", "Dubois", "Duncan", "Edwards",
    "Ellis", "Evans", "Fernandez", "Fischer", "Fisher", "Flores", "Ford", "Foster", "Fox",
    "Garcia", "Gardner", "Gibson", "Gomez", "Gonzalez", "Gordon", "Graham", "Grant", "Gray",
    "Green", "Griffin", "Gupta", "Gutierrez", "Hall", "Hamilton", "Hansen", "Harris", "Hayes",
    "Henderson", "Hernandez", "Herrera", "Hill", "Hoffman", "Holmes", "Howard", "Hughes",
    "Hunt", "Ibrahim", "Jackson", "James", "Jenkins", "Jensen", "Jimenez", "Johnson", "Jones",
    "Jordan", "Kaur", "Kelly", "Kennedy", "Khan", "Kim", "King", "Kowalski", "Kumar", "Larsen",
    "Lee", "Lewis", "Li", "Lin", "Liu", "Long", "Lopez", "Marshall", "Martin", "Martinez",
    "Mason", "Mendoza", "Meyer", "Miller", "Mitchell", "Moore", "Morales", "Morgan", "Morris",
    "Murphy", "Murray", "Nakamura", "Nelson", "Nguyen", "Novak", "Okafor", "Olsen", "Ortiz",
    "Owens", "Palmer", "Park", "Parker", "Patel", "Perez", "Perry", "Peters", "Phillips",
    "Powell", "Price", "Quinn", "Ramirez", "Ramos", "Reed", "Reyes", "Reynolds", "Rivera",
    "Roberts", "Robinson", "Rodriguez", "Rogers", "Romero", "Rossi", "Russell", "Sanchez",
    "Sanders", "Schmidt", "Scott", "Shah", "Shaw", "Silva", "Simmons", "Singh", "Smith",
    "Stewart", "Sullivan", "Suzuki", "Tanaka", "Taylor", "Thomas", "Thompson", "Torres",
    "Tran", "Turner", "Vargas", "Vasquez", "Wagner", "Walker", "Wallace", "Wang", "Ward",
    "Washington", "Watson", "Weber", "Wells", "White", "Williams", "Wilson", "Wong", "Wood",
    "Wright", "Wu", "Yamamoto", "Yang", "Young", "Zhang", "Zimmerman",
]  # fmt: skip

# `h(g, k)`: the k-th independent pseudo-random draw for row g (non-negative).
# Case plan: kind (~75% individual, 12% couple, 5% family, 4% consultation, 4% groups),
# how many people, whether closed, and where its people start in the run of people.
PLAN = """
CREATE TEMP TABLE bench_plan ON COMMIT DROP AS
SELECT g, kind, closed, size, sum(size) OVER (ORDER BY g) - size AS first_slot,
       md5(%(p)s::text || '/case/' || g)::uuid AS id,
       current_date - (30 + (hashint4extended(g, 3) & 2147483647) %% 2400)::int AS opened_on,
       CASE WHEN g %% %(stride)s = 0 THEN 1
            ELSE 2 + g %% (%(providers)s - 1) END AS provider_no,
       CASE WHEN g %% %(stride)s <> 0 AND g %% 10 = 1
            THEN 2 + (g + 1) %% (%(providers)s - 1) END AS supervisor_no
FROM (
  SELECT g, kind, (hashint4extended(g, 2) & 2147483647) %% 100 < 20 AS closed,
         CASE WHEN kind IN ('individual', 'consultation') THEN 1
              WHEN kind = 'couple' THEN 2
              WHEN kind = 'family' THEN 2 + g %% 3
              ELSE 5 + g %% 5 END AS size  -- groups: 4-8 current and one who left
  FROM (
    SELECT g, CASE WHEN r < 75 THEN 'individual' WHEN r < 87 THEN 'couple'
                   WHEN r < 92 THEN 'family' WHEN r < 96 THEN 'consultation'
                   WHEN r < 98 THEN 'therapy_group' WHEN r < 99 THEN 'consultation_group'
                   ELSE 'workshop_group' END AS kind
    FROM (SELECT g, (hashint4extended(g, 1) & 2147483647) %% 100 AS r
          FROM generate_series(1, %(cases)s) g) d
  ) k
) s;
CREATE TEMP TABLE bench_slots ON COMMIT DROP AS
SELECT c.g AS case_g, i, (c.first_slot + i) %% %(clients)s + 1 AS person_no,
       c.kind NOT IN ('individual', 'consultation', 'couple', 'family')
         AND i = c.size - 1 AS former
FROM bench_plan c, generate_series(0, c.size - 1) i;
CREATE INDEX ON bench_slots (case_g, i);
"""

PEOPLE = """
INSERT INTO people (id, practice_id, first_name, last_name, email, phone_mobile, ok_to_text,
                    contact_type, lifecycle, steward_id)
SELECT md5(%(p)s::text || '/person/' || g)::uuid, %(p)s, f, l,
       lower(f || '.' || l || g) || '@' || (ARRAY['example.com', 'mail.example',
         'post.example', 'inbox.example'])[1 + g %% 4],
       '+1' || (ARRAY['503', '971', '360', '206', '415', '512', '312', '617'])[1 + g / 10000 %% 8]
         || '555' || lpad((g %% 10000)::text, 4, '0'),
       g %% 3 = 0,
       CASE WHEN a.person_no IS NULL THEN 'contact'
            WHEN a.first_kind = 'consultation' THEN 'consultation_client'
            WHEN a.first_kind = 'consultation_group' THEN 'clinical_consultee'
            WHEN a.first_kind = 'workshop_group' THEN 'group_participant'
            ELSE 'therapy_client' END,
       CASE WHEN a.person_no IS NULL THEN 'contact'
            WHEN NOT a.open THEN (ARRAY['inactive', 'archived'])[1 + g %% 2]
            ELSE (ARRAY['active', 'active', 'active', 'active', 'active', 'active', 'active',
                        'waitlist', 'prospect', 'intake_pending'])[1 + g %% 10] END,
       CASE WHEN a.person_no IS NULL
            THEN (%(staff)s::uuid[])[2 + g %% %(providers)s] END
FROM generate_series(1, %(people)s) g
CROSS JOIN LATERAL (SELECT
  (%(firsts)s::text[])[1 + (hashint4extended(g, 11) & 2147483647)
                            %% cardinality(%(firsts)s::text[])] AS f,
  (%(lasts)s::text[])[1 + (hashint4extended(g, 12) & 2147483647)
                           %% cardinality(%(lasts)s::text[])] AS l) n
LEFT JOIN (
  SELECT s.person_no, bool_or(NOT c.closed AND NOT s.former) AS open,
         (array_agg(c.kind ORDER BY c.g))[1] AS first_kind
  FROM bench_slots s JOIN bench_plan c ON c.g = s.case_g GROUP BY s.person_no
) a ON a.person_no = g
"""

CASES = """
INSERT INTO cases (id, practice_id, kind, name, name_is_auto, relationship_label, status,
                   opened_on, closed_on, primary_provider_id, supervisor_id,
                   identified_person_id, cap_diagnoses, cap_treatment_plans, cap_superbills,
                   cap_claims)
SELECT c.id, %(p)s, c.kind,
       CASE WHEN c.kind IN ('individual', 'consultation') THEN a.first_name || ' ' || a.last_name
            WHEN c.kind = 'couple' AND a.last_name = b.last_name
              THEN a.first_name || ' & ' || b.first_name || ' ' || b.last_name
            WHEN c.kind = 'couple'
              THEN a.first_name || ' ' || a.last_name || ' & ' || b.first_name || ' '
                   || b.last_name
            WHEN c.kind = 'family' THEN a.last_name || ' family'
            WHEN c.kind = 'therapy_group' THEN (ARRAY['DBT skills', 'Grief support',
              'Parenting teens', 'Anxiety toolbox', 'Anger management'])[1 + c.g %% 5]
              || ' group ' || c.g
            WHEN c.kind = 'consultation_group' THEN 'Peer consultation ' || c.g
            ELSE 'Weekend workshop ' || c.g END,
       c.kind NOT IN ('therapy_group', 'consultation_group', 'workshop_group'),
       CASE WHEN c.kind = 'couple' THEN (ARRAY['spouses', 'partners', 'co_parents',
         'siblings', 'other'])[1 + c.g %% 5] END,
       CASE WHEN c.closed THEN 'closed' ELSE 'open' END, c.opened_on,
       CASE WHEN c.closed THEN c.opened_on
         + ((hashint4extended(c.g, 4) & 2147483647) %% (current_date - c.opened_on))::int END,
       (%(staff)s::uuid[])[1 + c.provider_no], (%(staff)s::uuid[])[1 + c.supervisor_no],
       CASE WHEN c.kind IN ('couple', 'family') THEN a.id END,
       t.therapy, t.therapy, t.therapy, t.therapy
FROM bench_plan c
JOIN bench_slots s0 ON s0.case_g = c.g AND s0.i = 0
JOIN people a ON a.practice_id = %(p)s
             AND a.id = md5(%(p)s::text || '/person/' || s0.person_no)::uuid
LEFT JOIN bench_slots s1 ON s1.case_g = c.g AND s1.i = 1
LEFT JOIN people b ON b.practice_id = %(p)s
                  AND b.id = md5(%(p)s::text || '/person/' || s1.person_no)::uuid
CROSS JOIN LATERAL (SELECT c.kind IN ('individual', 'couple', 'family', 'therapy_group')
                    AS therapy) t
"""

PARTICIPANTS = """
INSERT INTO case_participants (practice_id, case_id, person_id, role, joined_on, left_on)
SELECT %(p)s, c.id, md5(%(p)s::text || '/person/' || s.person_no)::uuid,
       CASE WHEN c.kind IN ('individual', 'consultation') THEN 'client'
            WHEN c.kind = 'couple' THEN 'partner'
            WHEN c.kind = 'family' AND s.i = 0 THEN 'parent'
            WHEN c.kind = 'family' THEN 'child'
            ELSE 'member' END,
       c.opened_on,
       CASE WHEN x.closed_on IS NOT NULL THEN x.closed_on
            WHEN s.former THEN c.opened_on + 20 END
FROM bench_slots s
JOIN bench_plan c ON c.g = s.case_g
JOIN cases x ON x.practice_id = %(p)s AND x.id = c.id
ORDER BY s.case_g, s.i
"""

TABLES = ("people", "cases", "case_participants", "case_access")

# What the checks and the report need, as the owner (no row security).
SEEN_CASES = """
SELECT x.kind, x.name FROM cases x
JOIN case_access a ON a.practice_id = x.practice_id AND a.case_id = x.id
WHERE x.practice_id = %(p)s AND a.staff_id = %(me)s AND x.status = 'open'
"""
MATCHES = """
SELECT count(*), count(*) FILTER (WHERE steward_id = %(me)s OR EXISTS (
         SELECT 1 FROM case_participants cp JOIN case_access a
           ON a.practice_id = cp.practice_id AND a.case_id = cp.case_id
         WHERE cp.practice_id = p.practice_id AND cp.person_id = p.id AND a.staff_id = %(me)s))
FROM people p WHERE p.practice_id = %(p)s AND p.last_name = %(name)s
"""


@dataclass(frozen=True)
class Seeded:
    practice_id: uuid.UUID
    staff: list[uuid.UUID]  # [owner, measured provider, other providers …]
    seconds: float
    visible_cases: int
    open_names: set[str]  # the measured provider's open cases
    couple_names: set[str]  # … of which couples
    matching: int  # people named SEARCH_NAME in the practice
    matching_visible: int  # … the provider may see


async def _practice(sessionmaker: SessionMaker, scale: Scale) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """An owner and `scale.providers` providers (all sign in with PASSWORD)."""
    hashed = await Passwords(HashingProfile.fast_for_tests).hash(PASSWORD)
    uow = await open_unit(sessionmaker)
    practice = await create_practice(
        uow, PracticeCreate(name="Bench Cases", link_name=LINK, timezone="America/Chicago")
    )
    staff = []
    for n, role in enumerate([StaffRole.owner] + [StaffRole.provider] * scale.providers):
        member = await add_staff_member(
            uow, email=f"s{n}@{LINK}.example", display_name=f"Clinician {n}", role=role,
            status=StaffStatus.active,
        )  # fmt: skip
        member.password_hash = hashed
        staff.append(member.id)
    await uow.commit()
    await uow.close()
    return practice.id, staff


def _seed(database: BenchDatabase, practice_id: uuid.UUID, staff: list[uuid.UUID],
          scale: Scale) -> Seeded:  # fmt: skip
    if scale.cases % scale.visible:
        raise SystemExit("cases bench: the visible share must divide the cases evenly")
    params = {
        "p": practice_id, "staff": staff, "providers": scale.providers, "cases": scale.cases,
        "people": scale.people, "clients": scale.people - scale.contacts,
        "stride": scale.stride, "firsts": FIRST_NAMES, "lasts": LAST_NAMES,
    }  # fmt: skip
    started = time.perf_counter()
    with database.pg.connect(database=DATABASE, role=OWNER) as conn:
        with conn.transaction():  # the case_shape trigger checks every case at this commit
            for statement in PLAN.split(";\n"):
                if statement.strip():
                    conn.execute(statement, params)
            conn.execute(PEOPLE, params)
            conn.execute(CASES, params)
            conn.execute(PARTICIPANTS, params)
            # Statistics before the commit: the deferred case_shape trigger looks participants
            # up by case_id alone, which without them is a sequential scan per case (hours
            # at full size); with them, a skip scan of uq_case_participants_person.
            for table in TABLES:
                conn.execute(f"ANALYZE {table}")
        for table in TABLES:  # what autovacuum would have done by the time anyone looks
            conn.execute(f"VACUUM (ANALYZE) {table}")
        seconds = time.perf_counter() - started
        me = {"p": practice_id, "me": staff[1], "name": SEARCH_NAME}
        row = conn.execute(
            "SELECT count(*) FROM case_access WHERE practice_id = %(p)s AND staff_id = %(me)s",
            me,
        ).fetchone()
        visible = int(row[0]) if row else 0
        seen = conn.execute(SEEN_CASES, me).fetchall()
        counts = conn.execute(MATCHES, me).fetchone()
    if visible != scale.visible:
        raise SystemExit(f"cases bench: the provider sees {visible} cases, not {scale.visible}")
    assert counts is not None
    return Seeded(
        practice_id, staff, seconds, visible,
        open_names={name for _, name in seen},
        couple_names={name for kind, name in seen if kind == "couple"},
        matching=int(counts[0]), matching_visible=int(counts[1]),
    )  # fmt: skip


async def _signed_in(app: FastAPI, email: str) -> tuple[httpx.AsyncClient, str]:
    """A client with a staff session, and the CSRF token its forms and scripts carry."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
    page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    done = await client.post("/login", data={"email": email, "password": PASSWORD,
                                             "csrf_token": token})  # fmt: skip
    if done.status_code != 303:
        raise SystemExit(f"cases bench: sign-in failed ({done.status_code})")
    page = await client.get("/tasks")  # any signed-in page: its sign-out form has the token
    if 'name="csrf_token" value="' not in page.text:
        raise SystemExit(f"cases bench: no CSRF token after sign-in ({page.status_code})")
    return client, page.text.split('name="csrf_token" value="')[1].split('"')[0]


def _verdict(result: Latency) -> str:
    ok = "ok" if result.p95_ms <= TARGET_P95_MS else "MISSED"
    return f" | target p95 ≤ {TARGET_P95_MS:.0f} ms: {ok}"


Call = Callable[[], Awaitable[None]]


def _call(send: Callable[[], Awaitable[httpx.Response]], label: str,
          expect: set[str]) -> Call:  # fmt: skip
    """A request that must answer 200 and (when `expect` is not empty) show one of them."""

    async def call() -> None:
        response = await send()
        if response.status_code != 200:
            raise SystemExit(f"cases bench: {label} answered {response.status_code}")
        if expect and not any(e in response.text for e in expect):
            raise SystemExit(f"cases bench: {label} showed none of the provider's records")

    return call


async def run(database: BenchDatabase, n: int) -> list[str]:
    scale = scale_for(n)
    engine = make_engine(database.app_url, pool_size=5)
    sessionmaker = make_sessionmaker(engine)
    practice_id, staff = await _practice(sessionmaker, scale)
    seeded = _seed(database, practice_id, staff, scale)
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
        f"bench {'cases/seed':<22} {scale.people:,} people, {scale.cases:,} cases, "
        f"{scale.providers} providers (the measured one sees {seeded.visible_cases:,}) "
        f"seeded in {seeded.seconds:.1f} s | {SEARCH_NAME}: {seeded.matching} people, "
        f"{seeded.matching_visible} visible to the provider"
    ]
    client, csrf = await _signed_in(app, f"s1@{LINK}.example")
    try:
        escaped_open = {html.escape(name) for name in seeded.open_names}
        escaped_couples = {html.escape(name) for name in seeded.couple_names}
        found = {SEARCH_NAME} if seeded.matching_visible else set()
        json_headers = {"x-csrf-token": csrf}

        def get(url: str) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: client.get(url)

        def api_search(q: str) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: client.post("/api/v1/search", json={"q": q}, headers=json_headers)

        def form_search(q: str) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: client.post("/search", data={"q": q, "csrf_token": csrf})

        cases: list[tuple[str, Call]] = [
            ("pages/clients", _call(get("/clients"), "GET /clients", escaped_open)),
            ("pages/clients-couples", _call(get("/clients?kind=couple&status=current"),
                                            "GET /clients?kind=couple", escaped_couples)),
            ("api/cases-list", _call(get("/api/v1/cases?status=current"),
                                     "GET /api/v1/cases", seeded.open_names)),
            ("api/search", _call(api_search(SEARCH_PARTIAL), "POST /api/v1/search", found)),
            ("api/search-typo", _call(api_search(SEARCH_TYPO), "POST /api/v1/search", found)),
            ("pages/search", _call(form_search(SEARCH_PARTIAL), "POST /search", found)),
        ]  # fmt: skip
        baseline = await measure(n, _call(get("/bench/session-noop"), "no-op page", set()))
        for name, call in cases:
            result = await measure(n, call)
            lines.append(
                ratio_line(name, result, "session no-op page", baseline) + _verdict(result)
            )
    finally:
        await client.aclose()
        await engine.dispose()
    return lines
