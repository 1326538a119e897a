"""The Getting-started email and its nudge (PracticeWelcome's business rules)."""

from __future__ import annotations

from sqlalchemy import select

from core.db import UnitOfWork
from models.orm.staff import StaffMember, StaffRole, StaffStatus
from services.getting_started import checklist
from services.mail.outbox import queue_mail
from services.practices import get_practice


async def _owners(uow: UnitOfWork) -> list[StaffMember]:
    rows = await uow.session.scalars(
        select(StaffMember).where(
            StaffMember.practice_id == uow.practice_id,
            StaffMember.role == StaffRole.owner,
            StaffMember.status != StaffStatus.deactivated,
        )
    )
    return list(rows)


async def send_getting_started(uow: UnitOfWork, base_url: str) -> None:
    practice = await get_practice(uow)
    for owner in await _owners(uow):
        await queue_mail(
            uow, recipient=owner.email, template="getting_started",
            context={"practice_name": practice.name, "link": f"{base_url}/dashboard"},
            idempotency_key=f"getting-started:{owner.id}",
        )  # fmt: skip


async def nudge_if_open(uow: UnitOfWork, base_url: str) -> bool:
    practice = await get_practice(uow)
    entries = await checklist(uow, practice)
    open_items = [e for e in entries if not e.done]
    if not open_items:
        return False
    for owner in await _owners(uow):
        await queue_mail(
            uow, recipient=owner.email, template="getting_started_nudge",
            context={"practice_name": practice.name, "link": f"{base_url}/dashboard",
                     "open_count": len(open_items)},
            idempotency_key=f"getting-started-nudge:{owner.id}",
        )  # fmt: skip
    return True
