"""Demo data for `make run`: seeded once, through the same services the product uses.

Riverbend Counseling Collective, a group practice: an owner, two providers, an associate
supervised by one of them (Jonah), and an admin (Lee) acting for the other (Priya) and
set as the billing and intake contact; a Needs-attention list with overdue, upcoming and
done tasks. Everyone signs in with DEMO_PASSWORD. Like every practice, it starts a
PracticeWelcome workflow through the outbox (the Getting-started email, a nudge three
days later) and gets its AttentionSweep schedule.

Cases of every kind, opened by their primary providers through the case services: a dozen
individual clients in every lifecycle status (one archived, in a closed case), two
couples (spouses; co-parents), a family whose parent pays for the teenager until the
18th birthday (the representative left unverified, so the case needs attention), a
therapy group with a late joiner and an early leaver, an individual consultation, a
consultation group an organization pays for, and a workshop group; diagnoses on some
therapy cases, one client in two cases, an emergency contact, and tasks about cases.
Each later capability adds its part here (a week of appointments, open invoices, a
running intake) so the product can be clicked through on first run.
Refused when ENVIRONMENT=production.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.db import SessionMaker, UnitOfWork, open_unit
from core.settings import Settings
from models.orm.case import Case, CaseKind, CaseStatus, CoupleLabel, Participant, ParticipantRole
from models.orm.person import ContactType, Lifecycle, OrganizationKind, Person
from models.orm.scheduling import AppointmentStatus, Format, ServiceKind
from models.orm.staff import StaffRole, StaffStatus
from models.orm.task import TaskStatus
from models.schemas.person import PersonIn
from services import cross_practice
from services.access import Actor
from services.auth.passwords import HashingProfile, Passwords
from services.cases.commands import (
    CaseOpen,
    Joiner,
    add_participant,
    close_case,
    end_participation,
    open_case,
    participants_of,
)
from services.cases.diagnoses import add_diagnosis
from services.cases.payers import PayerIn, add_payer
from services.cases.records import load_case, load_person
from services.intake.requests import Packet, send_packet
from services.people.commands import create_organization, create_person, set_lifecycle
from services.people.relationships import Scope, add_relationship, set_helper
from services.portal.invitations import invite_participant
from services.practice_settings import settings_of, update_task_settings
from services.practices import PracticeCreate, create_practice, get_practice
from services.scheduling.appointments import Booking, book, set_status
from services.scheduling.availability import BlockIn, create_block
from services.scheduling.catalog import LocationIn, ServiceIn, create_location, create_service
from services.scheduling.series import SeriesIn, create_series
from services.staff import add_staff_member, grant_acting_for
from services.tasks.commands import Opener, TaskOpen, close, open_task
from services.tasks.kinds import SubjectType, TaskKind

DEMO_LINK_NAME = "riverbend"
DEMO_PASSWORD = "riverbend-demo-2026"
DEMO_OPERATOR = "owner@riverbend.example"  # OPERATOR_EMAILS under `make run`


@dataclass(frozen=True)
class DemoStaff:
    key: str
    email: str
    display_name: str
    role: StaffRole


DEMO_STAFF = (
    DemoStaff("owner", "owner@riverbend.example", "Dr. Maya Okafor", StaffRole.owner),
    DemoStaff("jonah", "provider@riverbend.example", "Jonah Reyes, LMFT", StaffRole.provider),
    DemoStaff("priya", "provider2@riverbend.example", "Dr. Priya Natarajan", StaffRole.provider),
    DemoStaff("sam", "associate@riverbend.example", "Sam Whitfield, AMFT", StaffRole.associate),
    DemoStaff("lee", "admin@riverbend.example", "Lee Carter", StaffRole.admin),
)


class SeedRefused(RuntimeError):
    pass


# (assignee, opener, kind, title, due: days from today at 17:00 local, or None; done?;
# the demo case it is about (a key of `_seed_cases`), or None). Titles name no client.
DEMO_TASKS = (
    (
        "jonah",
        "owner",
        TaskKind.follow_up,
        "Return the call about the Thursday 4 pm slot",
        -1,
        False,
        None,
    ),
    (
        "jonah",
        "jonah",
        TaskKind.follow_up,
        "Draft the school letter for review",
        2,
        False,
        "family",
    ),
    ("sam", "jonah", TaskKind.follow_up, "Finish the group handout", 0, False, "dbt_group"),
    (
        "lee",
        "owner",
        TaskKind.billing,
        "Ask for a new card on file (declined twice)",
        1,
        False,
        None,
    ),
    (
        "lee",
        "lee",
        TaskKind.inquiry,
        "Answer the website inquiry about couples sessions",
        -3,
        False,
        None,
    ),
    ("owner", "owner", TaskKind.follow_up, "Renew the practice liability policy", 10, False, None),
    ("priya", "priya", TaskKind.follow_up, "Update availability for January", None, False, None),
    ("lee", "lee", TaskKind.follow_up, "Order intake folders", -2, True, None),
)

# Individual clients, one case each: (clinician, first, last, lifecycle, date of birth,
# pronouns, days since the case opened, diagnoses). Their mobiles are (312) 555-0101 on,
# in this order. Ethan's case is closed (he is archived); Daniel is also in a couple case.
DemoClient = tuple[str, str, str, str, str | None, str | None, int, tuple[str, ...]]
DEMO_CLIENTS: tuple[DemoClient, ...] = (
    ("jonah", "Alex", "Morgan", "active", "1991-08-09", "they/them", 120, ("F41.1",)),
    ("jonah", "Daniel", "Kim", "active", "1984-02-21", "he/him", 90, ("F43.23",)),
    ("jonah", "Rosa", "Delgado", "intake_pending", None, "she/her", 3, ()),
    ("priya", "Hannah", "Brooks", "active", "1979-11-30", "she/her", 200, ("F32.1", "F41.1")),
    ("priya", "Marcus", "Bell", "waitlist", "1996-05-12", None, 12, ()),
    ("priya", "Aisha", "Rahman", "prospect", None, "she/her", 1, ()),
    ("priya", "Noah", "Fischer", "active", "2001-03-03", "he/him", 60, ()),
    ("sam", "Tyler", "Nguyen", "active", "1999-07-25", "he/him", 45, ("F43.23",)),
    ("sam", "Grace", "Sullivan", "prospect", None, None, 2, ()),
    ("sam", "Chloe", "Bennett", "intake_pending", "1993-10-02", "she/her", 5, ()),
    ("owner", "Olivia", "Park", "active", "1987-01-19", "she/her", 300, ()),
    ("owner", "Ethan", "Ward", "archived", "1975-06-08", "he/him", 400, ()),
)
CLOSED_DAYS_AGO = 60  # Ethan's case


def _phone(n: int) -> str:
    """(312) 555-01xx: valid US numbers set aside for fiction."""
    return f"(312) 555-{n:04d}"


def _person(
    first: str,
    last: str,
    *,
    phone: int | None,
    lifecycle: str | None = Lifecycle.active,
    born: str | None = None,
    pronouns: str | None = None,
    domain: str = "example.org",
    email: bool = True,
    contact_type: str | None = None,
) -> PersonIn:
    return PersonIn(
        first_name=first,
        last_name=last,
        date_of_birth=born,
        pronouns=pronouns,
        email=f"{first}.{last}@{domain}".lower() if email else None,
        phone_mobile=_phone(phone) if phone is not None else None,
        ok_to_text=phone is not None,
        lifecycle=lifecycle,
        contact_type=contact_type,
    )


def _actor(practice_id: uuid.UUID, ids: dict[str, uuid.UUID], staff: DemoStaff) -> Actor:
    """The Actor api.auth builds for a demo clinician (Jonah supervises Sam)."""
    return Actor(
        staff_id=ids[staff.key],
        practice_id=practice_id,
        role=staff.role,
        display_name=staff.display_name,
        supervisees=frozenset({ids["sam"]}) if staff.key == "jonah" else frozenset(),
    )


async def _open(
    uow: UnitOfWork, actor: Actor, data: CaseOpen, today: date
) -> tuple[Case, list[Person]]:
    """Opens the case as `actor`; the case and its people, in the order they joined."""
    case = await open_case(uow, actor, data, today)
    people = [
        await load_person(uow, actor, p.person_id) for p in await participants_of(uow, case.id)
    ]
    return case, people


def _teen_birthday(today: date) -> date:
    """A date of birth that makes a child 15 today (the 14th of a month, never 29 Feb)."""
    back = today - timedelta(days=150)
    return date(back.year - 15, back.month, 14)


async def _seed_cases(
    uow: UnitOfWork, ids: dict[str, uuid.UUID], today: date
) -> dict[str, uuid.UUID]:
    """Cases of every kind, each opened by its primary provider (an associate's case gets
    the supervisor by default). Returns the case ids by key, for the tasks about them."""
    practice = await get_practice(uow)
    actors = {
        s.key: _actor(practice.id, ids, s) for s in DEMO_STAFF if s.role is not StaffRole.admin
    }
    cases: dict[str, uuid.UUID] = {}

    def opening(
        clinician: str,
        kind: CaseKind,
        days_ago: int,
        *joiners: Joiner,
        name: str | None = None,
        label: CoupleLabel | None = None,
        identified: int | None = None,
    ) -> CaseOpen:
        return CaseOpen(
            kind=kind,
            primary_provider_id=ids[clinician],
            participants=list(joiners),
            name=name,
            relationship_label=label,
            identified_index=identified,
            opened_on=today - timedelta(days=days_ago),
        )

    async def diagnose(case: Case, person: Person, code: str) -> None:
        start = min(case.opened_on + timedelta(days=14), today)
        await add_diagnosis(uow, case, person_id=person.id, code=code, rank=None, active_from=start)

    # Individual clients in every lifecycle status.
    clients: dict[str, Person] = {}
    for n, (clinician, first, last, status, born, pronouns, days, codes) in enumerate(DEMO_CLIENTS):
        new = _person(
            first, last, phone=101 + n, lifecycle=status, born=born, pronouns=pronouns,
            domain="example.org" if n % 2 else "example.com",
        )  # fmt: skip
        data = opening(clinician, CaseKind.individual, days, Joiner(person=new))
        case, [client] = await _open(uow, actors[clinician], data, today)
        for code in codes:
            await diagnose(case, client, code)
        if status == Lifecycle.archived:
            await close_case(uow, case, today - timedelta(days=CLOSED_DAYS_AGO))
        key = first.lower()
        clients[key], cases[key] = client, case.id

    # An emergency contact: a person of contact type Contact, linked by a relationship.
    jamie = await create_person(
        uow, _person("Jamie", "Morgan", phone=140, lifecycle=None, pronouns="she/her"),
        steward_id=ids["jonah"], today=today,
        contact_type=ContactType.contact, lifecycle=Lifecycle.contact,
    )  # fmt: skip
    await add_relationship(uow, clients["alex"], jamie, "sibling", emergency_contact=True)

    # Couples: spouses (Daniel is also Jonah's individual client, and the couple's
    # identified client), and co-parents seen by the associate, supervised by Jonah.
    sarah = _person("Sarah", "Kim", phone=113, born="1986-09-14", pronouns="she/her")
    data = opening(
        "jonah", CaseKind.couple, 75, Joiner(person_id=clients["daniel"].id), Joiner(person=sarah),
        label=CoupleLabel.spouses,
    )  # fmt: skip
    case, [daniel, wife] = await _open(uow, actors["jonah"], data, today)
    await add_relationship(uow, daniel, wife, "spouse")
    await diagnose(case, daniel, "Z63.0")
    cases["spouses"] = case.id

    marisol = _person("Marisol", "Ortega", phone=114, pronouns="she/her")
    kevin = _person("Kevin", "Walsh", phone=115, lifecycle=Lifecycle.intake_pending,
                    domain="example.com")  # fmt: skip
    data = opening(
        "sam", CaseKind.couple, 30, Joiner(person=marisol), Joiner(person=kevin),
        label=CoupleLabel.co_parents,
    )  # fmt: skip
    case, [one, other] = await _open(uow, actors["sam"], data, today)
    await add_relationship(uow, one, other, "co_parent")
    cases["co_parents"] = case.id

    # A family with a 15-year-old: her mother pays for her until the day before she turns
    # 18, and is her representative, not verified yet (an attention item on the case).
    teen_born = _teen_birthday(today)
    adult_on = date(teen_born.year + 18, teen_born.month, teen_born.day)
    anjali = _person("Anjali", "Patel", phone=116, born="1981-04-22", pronouns="she/her")
    vikram = _person("Vikram", "Patel", phone=117, born="1979-12-03", pronouns="he/him")
    riya = _person("Riya", "Patel", phone=None, born=teen_born.isoformat(), pronouns="she/her",
                   email=False)  # fmt: skip
    data = opening(
        "jonah", CaseKind.family, 50,
        Joiner(person=anjali, role=ParticipantRole.parent),
        Joiner(person=vikram, role=ParticipantRole.parent),
        Joiner(person=riya, role=ParticipantRole.child),
        identified=2,
    )  # fmt: skip
    case, [mother, father, child] = await _open(uow, actors["jonah"], data, today)
    await add_relationship(uow, child, mother, "parent")
    await add_relationship(uow, child, father, "parent")
    await add_relationship(uow, mother, father, "spouse")
    await set_helper(uow, child, mother, [Scope.representative, Scope.scheduling_helper])
    case, _ = await load_case(uow, actors["jonah"], case.id, for_update=True)
    await add_payer(
        uow, actors["jonah"], case,
        PayerIn(person_id=mother.id, covers=[child.id], effective_from=case.opened_on,
                effective_to=adult_on - timedelta(days=1)),
        today,
    )  # fmt: skip
    await diagnose(case, child, "F41.1")
    cases["family"] = case.id

    # A therapy group run by the associate: Nina joined four weeks in, Trevor left a week
    # after that.
    members = [("Leah", "Goldberg"), ("Omar", "Haddad"), ("Bianca", "Russo"), ("Trevor", "Mills")]
    data = opening(
        "sam", CaseKind.therapy_group, 70,
        *(Joiner(person=_person(f, last, phone=118 + i)) for i, (f, last) in enumerate(members)),
        name="Tuesday DBT skills",
    )  # fmt: skip
    case, group = await _open(uow, actors["sam"], data, today)
    late = Joiner(person=_person("Nina", "Castillo", phone=122, pronouns="she/her"),
                  joined_on=case.opened_on + timedelta(days=28))  # fmt: skip
    await add_participant(uow, actors["sam"], case, late, today)
    leaver = group[3]
    await end_participation(uow, case, leaver.id, case.opened_on + timedelta(days=35), today)
    await set_lifecycle(uow, leaver, Lifecycle.inactive)
    cases["dbt_group"] = case.id

    # An individual consultation: a clinician from elsewhere consults the owner.
    elena = _person("Elena", "Vasquez", phone=130, pronouns="she/her", domain="example.com",
                    contact_type=ContactType.clinical_consultee)  # fmt: skip
    data = opening("owner", CaseKind.consultation, 40, Joiner(person=elena))
    case, _ = await _open(uow, actors["owner"], data, today)
    cases["consultation"] = case.id

    # A consultation group for a community clinic's clinicians, paid 100 % by the clinic.
    clinic = await create_organization(
        uow, name="Lakeshore Community Clinic", kind=OrganizationKind.sponsor,
        email="billing@lakeshore.example.org", phone=_phone(180),
        billing_address="1200 W Lakeshore Ave, Chicago, IL 60614",
    )  # fmt: skip
    consultees = [("Ruth", "Adler"), ("Samuel", "Osei"), ("Mei", "Lin")]
    data = opening(
        "priya", CaseKind.consultation_group, 90,
        *(Joiner(person=_person(f, last, phone=131 + i)) for i, (f, last) in enumerate(consultees)),
        name="Lakeshore clinicians' consultation",
    )  # fmt: skip
    case, _ = await _open(uow, actors["priya"], data, today)
    case, _ = await load_case(uow, actors["priya"], case.id, for_update=True)
    await add_payer(
        uow, actors["priya"], case,
        PayerIn(organization_id=clinic.id, effective_from=case.opened_on), today,
    )  # fmt: skip
    cases["consultation_group"] = case.id

    # A workshop group (no diagnoses or superbills: its capabilities are off).
    couples = [("Megan", "Howard"), ("Tom", "Howard"), ("Luis", "Romero"), ("Carmen", "Romero")]
    data = opening(
        "jonah", CaseKind.workshop_group, 20,
        *(Joiner(person=_person(f, last, phone=134 + i)) for i, (f, last) in enumerate(couples)),
        name="Couples communication workshop",
    )  # fmt: skip
    case, _ = await _open(uow, actors["jonah"], data, today)
    cases["workshop"] = case.id
    return cases


SERVICES = [
    # name, CPT, minutes, fee, kind
    ("Intake assessment", "90791", 60, "200", ServiceKind.therapy),
    ("Individual therapy, 50 min", "90834", 50, "150", ServiceKind.therapy),
    ("Individual therapy, 60 min", "90837", 60, "180", ServiceKind.therapy),
    ("Couples and family therapy", "90847", 50, "175", ServiceKind.therapy),
    ("Group therapy", "90853", 90, "60", ServiceKind.therapy),
    ("Clinical consultation", None, 60, "150", ServiceKind.consultation),
    ("Workshop session", None, 120, "60", ServiceKind.workshop),
]
SERVICE_FOR_KIND = {
    CaseKind.individual: "90834",
    CaseKind.couple: "90847",
    CaseKind.family: "90847",
    CaseKind.therapy_group: "90853",
    CaseKind.consultation: "Clinical consultation",
    CaseKind.consultation_group: "Clinical consultation",
    CaseKind.workshop_group: "Workshop session",
}


async def _seed_schedule(
    uow: UnitOfWork, ids: dict[str, uuid.UUID], now: datetime, tz: str
) -> None:
    """The practice's services and locations, each clinician's hours, this week's
    appointments (Monday to Friday) for every open case — past ones attended, later ones
    scheduled — and from next week the therapy groups meet weekly (a series of 10)."""
    services = {}
    for name, cpt, minutes, fee, kind in SERVICES:
        service = await create_service(
            uow, ServiceIn(name=name, cpt_code=cpt, duration_minutes=minutes, fee=fee, kind=kind)
        )
        services[cpt or name] = service.id
    office = await create_location(
        uow, LocationIn(name="Riverbend office", timezone=tz, formats=[Format.in_person],
                        pos_code="11", address_line1="1200 W Fulton St", city="Chicago",
                        region="IL", postal_code="60607"),
    )  # fmt: skip
    video = await create_location(
        uow, LocationIn(name="Telehealth", timezone=tz, formats=[Format.video, Format.phone],
                        pos_code="10"),
    )  # fmt: skip
    practice = await get_practice(uow)
    owner = _actor(practice.id, ids, next(s for s in DEMO_STAFF if s.key == "owner"))
    open_cases = list(
        await uow.session.scalars(
            select(Case).where(Case.status == CaseStatus.open).order_by(Case.opened_on, Case.id)
        )
    )
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    monday = (local_now - timedelta(days=local_now.weekday())).date()
    next_slot: dict[uuid.UUID, int] = {}
    for case in open_cases:
        n = next_slot.get(case.primary_provider_id, 0)
        next_slot[case.primary_provider_id] = n + 1
        day = monday + timedelta(days=n % 5)
        hour = 9 + 2 * (n // 5)  # two-hour steps: a 90- or 120-minute session fits
        starts = datetime.combine(day, time(hour), tzinfo=zone)
        remote = case.kind in (CaseKind.consultation, CaseKind.consultation_group)
        appointment = await book(
            uow, owner,
            Booking(case_id=case.id, service_id=services[SERVICE_FOR_KIND[CaseKind(case.kind)]],
                    location_id=video.id if remote else office.id, starts_at=starts,
                    format=Format.video if remote else Format.in_person,
                    modifiers=("95",) if remote else ()),
            tz=tz, now=now,
        )  # fmt: skip
        if appointment.ends_at < now:
            await set_status(uow, appointment, AppointmentStatus.attended, tz=tz, now=now)
        if case.kind == CaseKind.therapy_group:
            await create_series(
                uow, owner,
                SeriesIn(booking=Booking(case_id=case.id, service_id=appointment.service_id,
                                         location_id=office.id,
                                         starts_at=starts + timedelta(weeks=1)),
                         occurrences=10),
                tz=tz, now=now,
            )  # fmt: skip
    clinicians = [s.key for s in DEMO_STAFF if s.role is not StaffRole.admin]
    for key in clinicians:  # office Mon–Thu, telehealth Friday mornings for existing clients
        for block in (
            BlockIn(provider_id=ids[key], location_id=office.id, audience="both",
                    start_time=time(9), end_time=time(17), effective_from=monday,
                    weekdays=(0, 1, 2, 3)),
            BlockIn(provider_id=ids[key], location_id=video.id, audience="existing_clients",
                    start_time=time(9), end_time=time(13), effective_from=monday,
                    weekdays=(4,)),
        ):  # fmt: skip
            await create_block(uow, owner, block)


async def _seed_tasks(
    uow: UnitOfWork, ids: dict[str, uuid.UUID], now: datetime, cases: dict[str, uuid.UUID]
) -> None:
    """A Needs-attention list to click through: some overdue (the first AttentionSweep tick
    of the day reminds their assignees), some due soon, one done; two are about a case, so
    they show on its Workflow summary. Lee is the practice's billing and intake contact, so
    billing and inquiry tasks go to him by default."""
    practice = await get_practice(uow)
    await update_task_settings(uow, practice, tasks_contact_id=ids["lee"], task_escalation_hours=48)
    today = now.astimezone(ZoneInfo(practice.timezone)).date()
    for assignee, opener, kind, title, days, done, about in DEMO_TASKS:
        due = None
        if days is not None:
            due = datetime.combine(
                today + timedelta(days=days), time(17), tzinfo=ZoneInfo(practice.timezone)
            )
        task, _ = await open_task(
            uow,
            TaskOpen(kind=kind, title=title, opener=Opener(staff_id=ids[opener]),
                     assignee_id=ids[assignee], due_at=due,
                     subject=(SubjectType.case, cases[about]) if about else None),
            settings_of(practice),
            now,
        )  # fmt: skip
        if done:
            await close(uow, task, TaskStatus.done, staff_id=ids[assignee], note=None, now=now)


async def _seed_portal(
    uow: UnitOfWork, ids: dict[str, uuid.UUID], now: datetime, today: date, base_url: str
) -> None:
    """Alex Morgan's portal is open: the invitation waits in the mail outbox (they confirm
    their date of birth, 1991-08-09). Chloe Bennett's intake is running: Sam sent her the
    practice's packet, and the IntakeOnboarding workflow (started through the outbox when
    the worker comes up) emails her invitation (date of birth 1993-10-02)."""

    async def case_of(first: str, last: str) -> tuple[uuid.UUID, Case]:
        person_id, case_id = (
            await uow.session.execute(
                select(Person.id, Participant.case_id)
                .join(Participant, (Participant.practice_id == Person.practice_id)
                      & (Participant.person_id == Person.id))
                .where(Person.first_name == first, Person.last_name == last)
            )
        ).one()  # fmt: skip
        case = await uow.session.get(Case, case_id)
        assert case is not None
        return person_id, case

    alex, case = await case_of("Alex", "Morgan")
    await invite_participant(uow, case, alex, staff_id=ids["jonah"], today=today, now=now,
                             age_of_consent=18, base_url=base_url)  # fmt: skip
    chloe, case = await case_of("Chloe", "Bennett")
    await send_packet(uow, case, Packet(person_ids=(chloe,)), staff_id=ids["sam"], now=now,
                      today=today, settings=settings_of(await get_practice(uow)))  # fmt: skip


async def seed_demo(sessionmaker: SessionMaker, settings: Settings) -> bool:
    """Seed the demo practice unless it exists. Returns True when it seeded."""
    if settings.is_production or not settings.demo_seed_enabled:
        raise SeedRefused("demo seeding is off (DEMO_SEED) or ENVIRONMENT=production")
    now = datetime.now(UTC)
    password_hash = await Passwords(HashingProfile(settings.PASSWORD_HASHING)).hash(DEMO_PASSWORD)
    uow = await open_unit(sessionmaker)
    try:
        if await cross_practice.practice_id_by_link_name(uow.session, DEMO_LINK_NAME):
            return False
        await create_practice(
            uow,
            PracticeCreate(
                name="Riverbend Counseling Collective",
                link_name=DEMO_LINK_NAME,
                timezone="America/Chicago",
            ),
        )
        ids: dict[str, uuid.UUID] = {}
        for staff in DEMO_STAFF:
            member = await add_staff_member(
                uow,
                email=staff.email,
                display_name=staff.display_name,
                role=staff.role,
                status=StaffStatus.active,
                supervisor_id=ids.get("jonah") if staff.role is StaffRole.associate else None,
            )
            member.password_hash = password_hash
            member.password_changed_at = now
            ids[staff.key] = member.id
        await grant_acting_for(
            uow, admin_id=ids["lee"], provider_id=ids["priya"], granted_by=ids["owner"], now=now
        )
        practice = await get_practice(uow)
        today = now.astimezone(ZoneInfo(practice.timezone)).date()
        cases = await _seed_cases(uow, ids, today)
        await _seed_schedule(uow, ids, now, practice.timezone)
        await _seed_tasks(uow, ids, now, cases)
        await _seed_portal(uow, ids, now, today, settings.APP_BASE_URL)
        # create_practice queued the PracticeWelcome start in the outbox: the worker's
        # sweeper relays it, and its Getting-started email lands in the mail outbox.
        await uow.commit()
        return True
    finally:
        await uow.close()
