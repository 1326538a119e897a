"""Demo data for `make run`: seeded once, through the same services the product uses.

A group practice with an owner, two providers, an associate and an admin, and the
"practice ready" message in the mail outbox. Each later capability adds its part here
(cases of each kind, a week of appointments, open invoices, a running intake) so the
product can be clicked through on first run. Refused when ENVIRONMENT=production.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.db import SessionMaker, open_unit
from core.settings import Settings
from models.orm.staff import StaffRole, StaffStatus
from services import cross_practice
from services.mail.outbox import queue_mail
from services.practices import PracticeCreate, create_practice
from services.staff import add_staff_member

DEMO_LINK_NAME = "riverbend"


@dataclass(frozen=True)
class DemoStaff:
    email: str
    display_name: str
    role: StaffRole


DEMO_STAFF = (
    DemoStaff("owner@riverbend.example", "Dr. Maya Okafor", StaffRole.owner),
    DemoStaff("provider@riverbend.example", "Jonah Reyes, LMFT", StaffRole.provider),
    DemoStaff("provider2@riverbend.example", "Dr. Priya Natarajan", StaffRole.provider),
    DemoStaff("associate@riverbend.example", "Sam Whitfield, AMFT", StaffRole.associate),
    DemoStaff("admin@riverbend.example", "Lee Carter", StaffRole.admin),
)


class SeedRefused(RuntimeError):
    pass


async def seed_demo(sessionmaker: SessionMaker, settings: Settings) -> bool:
    """Seed the demo practice unless it exists. Returns True when it seeded."""
    if settings.is_production or not settings.demo_seed_enabled:
        raise SeedRefused("demo seeding is off (DEMO_SEED) or ENVIRONMENT=production")
    uow = await open_unit(sessionmaker)
    try:
        if await cross_practice.practice_id_by_link_name(uow.session, DEMO_LINK_NAME):
            return False
        practice = await create_practice(
            uow,
            PracticeCreate(
                name="Riverbend Counseling Collective",
                link_name=DEMO_LINK_NAME,
                timezone="America/Chicago",
            ),
        )
        owner_id = None
        for staff in DEMO_STAFF:
            member = await add_staff_member(
                uow,
                email=staff.email,
                display_name=staff.display_name,
                role=staff.role,
                status=StaffStatus.active,
            )
            if staff.role is StaffRole.owner:
                owner_id = member.id
        await queue_mail(
            uow,
            recipient=DEMO_STAFF[0].email,
            template="practice_ready",
            context={"practice_name": practice.name, "app_url": settings.APP_BASE_URL},
            idempotency_key=f"practice-ready:{practice.id}",
            created_by_staff_id=owner_id,
        )
        await uow.commit()
        return True
    finally:
        await uow.close()
