"""Reading the audit log (owners, and admins the owner allows): filtered, newest first,
paged by keyset (occurred_at, id) on the (practice_id, occurred_at) index."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from core.db import UnitOfWork
from models.orm.audit import AuditEvent, AuditOutcome
from models.orm.staff import StaffMember

PAGE = 50


@dataclass(frozen=True)
class AuditFilter:
    since: date | None = None
    until: date | None = None  # inclusive, in the practice's time zone
    outcome: AuditOutcome | None = None
    actor_id: uuid.UUID | None = None
    before: tuple[datetime, uuid.UUID] | None = None  # the page cursor


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor_name: str | None
    acting_for_name: str | None


async def audit_page(
    uow: UnitOfWork, tz: str, filt: AuditFilter, limit: int = PAGE
) -> tuple[list[AuditRow], tuple[datetime, uuid.UUID] | None]:
    actor = aliased(StaffMember)
    acting = aliased(StaffMember)
    zone = ZoneInfo(tz)
    stmt = (
        select(AuditEvent, actor.display_name, acting.display_name)
        .outerjoin(
            actor,
            and_(actor.practice_id == AuditEvent.practice_id, actor.id == AuditEvent.actor_id),
        )
        .outerjoin(
            acting,
            and_(
                acting.practice_id == AuditEvent.practice_id, acting.id == AuditEvent.acting_for_id
            ),
        )
        .where(AuditEvent.practice_id == uow.practice_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit + 1)
    )
    if filt.since is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= datetime.combine(filt.since, time(), zone))
    if filt.until is not None and filt.until < date.max:  # date.max: no upper bound
        end = datetime.combine(filt.until + timedelta(days=1), time(), zone)
        stmt = stmt.where(AuditEvent.occurred_at < end)
    if filt.outcome is not None:
        stmt = stmt.where(AuditEvent.outcome == filt.outcome)
    if filt.actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == filt.actor_id)
    if filt.before is not None:
        at, event_id = filt.before
        stmt = stmt.where(
            or_(
                AuditEvent.occurred_at < at,
                and_(AuditEvent.occurred_at == at, AuditEvent.id < event_id),
            )
        )
    rows = [AuditRow(e, a, f) for e, a, f in (await uow.session.execute(stmt)).all()]
    if len(rows) > limit:
        last = rows[limit - 1].event
        return rows[:limit], (last.occurred_at, last.id)
    return rows, None
