"""Demo data for `make run`: seeded once, through the same services the product uses.

Riverbend Counseling Collective, a group practice: an owner, two providers, an associate
supervised by one of them (Jonah), and an admin (Lee) acting for the other (Priya) and
set as the billing and intake contact; a Needs-attention list with overdue, upcoming and
done tasks. Everyone signs in with DEMO_PASSWORD. Like every practice, it starts a
PracticeWelcome workflow through the outbox (the Getting-started email, a nudge three
days later) and gets its AttentionSweep schedule. Each later
capability adds its part here (cases of each kind, a week of appointments, open
invoices, a running intake) so the product can be clicked through on first run.
Refused when ENVIRONMENT=production.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.db import SessionMaker, UnitOfWork, open_unit
from core.settings import Settings
from models.orm.staff import StaffRole, StaffStatus
from models.orm.task import TaskStatus
from services import cross_practice
from services.auth.passwords import HashingProfile, Passwords
from services.practice_settings import settings_of, update_task_settings
from services.practices import PracticeCreate, create_practice, get_practice
from services.staff import add_staff_member, grant_acting_for
from services.tasks.commands import Opener, TaskOpen, close, open_task
from services.tasks.kinds import TaskKind

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


# (assignee, opener, kind, title, due: days from today at 17:00 local, or None; done?)
DEMO_TASKS = (
    (
        "jonah",
        "owner",
        TaskKind.follow_up,
        "Return the call about the Thursday 4 pm slot",
        -1,
        False,
    ),
    ("jonah", "jonah", TaskKind.follow_up, "Draft the school letter for review", 2, False),
    ("sam", "jonah", TaskKind.follow_up, "Finish the group handout", 0, False),
    ("lee", "owner", TaskKind.billing, "Ask for a new card on file (declined twice)", 1, False),
    (
        "lee",
        "lee",
        TaskKind.inquiry,
        "Answer the website inquiry about couples sessions",
        -3,
        False,
    ),
    ("owner", "owner", TaskKind.follow_up, "Renew the practice liability policy", 10, False),
    ("priya", "priya", TaskKind.follow_up, "Update availability for January", None, False),
    ("lee", "lee", TaskKind.follow_up, "Order intake folders", -2, True),
)


async def _seed_tasks(uow: UnitOfWork, ids: dict[str, uuid.UUID], now: datetime) -> None:
    """A Needs-attention list to click through: some overdue (the first AttentionSweep tick
    of the day reminds their assignees), some due soon, one done. Lee is the practice's
    billing and intake contact, so billing and inquiry tasks go to him by default."""
    practice = await get_practice(uow)
    await update_task_settings(uow, practice, tasks_contact_id=ids["lee"], task_escalation_hours=48)
    today = now.astimezone(ZoneInfo(practice.timezone)).date()
    for assignee, opener, kind, title, days, done in DEMO_TASKS:
        due = None
        if days is not None:
            due = datetime.combine(
                today + timedelta(days=days), time(17), tzinfo=ZoneInfo(practice.timezone)
            )
        task, _ = await open_task(
            uow,
            TaskOpen(kind=kind, title=title, opener=Opener(staff_id=ids[opener]),
                     assignee_id=ids[assignee], due_at=due),
            settings_of(practice),
            now,
        )  # fmt: skip
        if done:
            await close(uow, task, TaskStatus.done, staff_id=ids[assignee], note=None, now=now)


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
        await _seed_tasks(uow, ids, now)
        # create_practice queued the PracticeWelcome start in the outbox: the worker's
        # sweeper relays it, and its Getting-started email lands in the mail outbox.
        await uow.commit()
        return True
    finally:
        await uow.close()
