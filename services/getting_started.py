"""The Getting-started checklist on the dashboard (decisions.md "New practice checklist").

A pluggable list: each capability registers its item with an order that follows
decisions.md (practice profile 10 → services and fees 20 → locations and formats 30 →
availability 40 → billing defaults and payment methods 50 → portal and reminder settings
60 → invite staff 70). The dashboard shows the list until every item is done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from core.db import UnitOfWork
from models.orm.practice import Practice
from models.orm.staff import StaffMember
from services.practice_settings import settings_of

Check = Callable[[UnitOfWork, Practice], Awaitable[bool]]


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    order: int
    title: str
    description: str
    href: str
    done: Check


@dataclass(frozen=True)
class ChecklistEntry:
    item: ChecklistItem
    done: bool


CHECKLIST: list[ChecklistItem] = []


def register(item: ChecklistItem) -> None:
    if any(existing.key == item.key for existing in CHECKLIST):
        raise ValueError(f"checklist item {item.key!r} registered twice")
    CHECKLIST.append(item)
    CHECKLIST.sort(key=lambda i: i.order)


async def checklist(uow: UnitOfWork, practice: Practice) -> list[ChecklistEntry]:
    return [ChecklistEntry(item, await item.done(uow, practice)) for item in CHECKLIST]


async def _profile_confirmed(uow: UnitOfWork, practice: Practice) -> bool:
    return settings_of(practice).profile_confirmed


async def _staff_invited(uow: UnitOfWork, practice: Practice) -> bool:
    count = await uow.session.scalar(
        select(func.count()).select_from(StaffMember).where(StaffMember.practice_id == practice.id)
    )
    return int(count or 0) > 1


register(
    ChecklistItem(
        key="practice_profile",
        order=10,
        title="Confirm your practice name, time zone and link name",
        description="The time zone decides reminder times and billing days; the link name "
        "is the address of your client portal.",
        href="/settings/practice",
        done=_profile_confirmed,
    )
)
register(
    ChecklistItem(
        key="invite_staff",
        order=70,
        title="Invite your staff",
        description="Providers, associates (with their supervisor) and admins each get an "
        "email invitation to set their password.",
        href="/settings/staff/invite",
        done=_staff_invited,
    )
)
