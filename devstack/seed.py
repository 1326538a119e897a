"""Demo data for `make run`: seeded once, through the same services the product uses.

Riverbend Counseling Collective, a group practice: an owner, two providers, an associate
supervised by one of them (Jonah), and an admin acting for the other (Priya). Everyone
signs in with DEMO_PASSWORD. Like every practice, it starts a PracticeWelcome workflow
through the outbox (the Getting-started email, a nudge three days later). Each later
capability adds its part here (cases of each kind, a week of appointments, open
invoices, a running intake) so the product can be clicked through on first run.
Refused when ENVIRONMENT=production.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from core.db import SessionMaker, open_unit
from core.settings import Settings
from models.orm.staff import StaffRole, StaffStatus
from services import cross_practice
from services.auth.passwords import HashingProfile, Passwords
from services.practices import PracticeCreate, create_practice
from services.staff import add_staff_member, grant_acting_for

DEMO_LINK_NAME = "riverbend"
DEMO_PASSWORD = "riverbend-demo-2026"


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
        # create_practice queued the PracticeWelcome start in the outbox: the worker's
        # sweeper relays it, and its Getting-started email lands in the mail outbox.
        await uow.commit()
        return True
    finally:
        await uow.close()
