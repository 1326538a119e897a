"""Who a task goes to when nobody says (decisions.md "Tasks").

- clinical kinds → the case's primary provider (`clinician_id`, given by the caller: the
  case issue resolves it from the case);
- supervision → the resolved supervisor (also given by the caller);
- billing, intake and inquiries → the staff member set as the practice's billing/intake
  contact in Settings, else the owner;
- import review → whoever started the import; staff-made tasks → whoever opened them.

Whoever the rule names must be an active staff member; otherwise the task goes to the
practice's longest-standing active owner, so a task is never assigned to nobody.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import NotFound
from models.orm.staff import StaffMember, StaffRole, StaffStatus
from services.practice_settings import PracticeSettings
from services.tasks.kinds import KINDS, Routing, TaskKind


async def active_staff_ids(uow: UnitOfWork, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The active ones, share-locked until the transaction ends: a deactivation running at
    the same time waits, or has committed and they are not active (so no task is handed
    to someone whose open tasks were just moved away)."""
    if not ids:
        return set()
    rows = await uow.session.scalars(
        select(StaffMember.id)
        .where(
            StaffMember.practice_id == uow.practice_id,
            StaffMember.id.in_(ids),
            StaffMember.status == StaffStatus.active,
        )
        .with_for_update(read=True)
    )
    return set(rows)


async def senior_owner(uow: UnitOfWork, *, other_than: uuid.UUID | None = None) -> uuid.UUID:
    query = select(StaffMember.id).where(
        StaffMember.practice_id == uow.practice_id,
        StaffMember.role == StaffRole.owner,
        StaffMember.status == StaffStatus.active,
    )
    if other_than is not None:
        query = query.where(StaffMember.id != other_than)
    owner = await uow.session.scalar(
        query.order_by(StaffMember.created_at, StaffMember.id).limit(1)
    )
    if owner is None:
        raise NotFound("The practice has no active owner")
    return owner


async def default_assignee(
    uow: UnitOfWork,
    kind: TaskKind,
    settings: PracticeSettings,
    *,
    clinician_id: uuid.UUID | None = None,
    opener_id: uuid.UUID | None = None,
) -> uuid.UUID:
    routing = KINDS[kind].routing
    candidate: uuid.UUID | None
    if routing in (Routing.clinician, Routing.supervisor):
        candidate = clinician_id
    elif routing is Routing.contact:
        candidate = settings.tasks_contact_id
    else:  # opener, importer
        candidate = opener_id
    if candidate is not None and candidate in await active_staff_ids(uow, [candidate]):
        return candidate
    return await senior_owner(uow)
