"""The audit log: one event per request (or workflow step) that touched practice data.

A successful request writes its event in its own transaction with its work
(`record_in`); a denied or failed one writes it in a short transaction of its own
(`record`), so the event survives the rollback.
Events carry ids, never names or clinical text.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from ipaddress import ip_address

from sqlalchemy import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import SessionMaker, set_practice
from models.orm.audit import ActorType, AuditEvent, AuditOutcome

MAX_SUBJECT_IDS = 500  # a list page records the ids it showed, up to this many


def outcome_for_status(status: int) -> AuditOutcome:
    if status < 400:
        return AuditOutcome.success
    if status in (401, 403, 404):
        return AuditOutcome.denied
    if status < 500:
        return AuditOutcome.rejected
    return AuditOutcome.failed


@dataclass
class AuditEntry:
    request_id: str
    action: str
    outcome: AuditOutcome
    practice_id: uuid.UUID | None = None
    actor_type: ActorType = ActorType.anonymous
    actor_id: uuid.UUID | None = None
    acting_for_id: uuid.UUID | None = None
    subject_type: str | None = None
    subject_ids: list[uuid.UUID] = field(default_factory=list)
    status_code: int | None = None
    ip: str | None = None


def _clean_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ip_address(value))
    except ValueError:
        return None


def _insert(entry: AuditEntry) -> Insert:
    return insert(AuditEvent).values(
        id=uuid.uuid4(),
        practice_id=entry.practice_id,
        request_id=entry.request_id,
        actor_type=entry.actor_type,
        actor_id=entry.actor_id,
        acting_for_id=entry.acting_for_id,
        action=entry.action,
        subject_type=entry.subject_type,
        subject_ids=entry.subject_ids[:MAX_SUBJECT_IDS],
        outcome=entry.outcome,
        status_code=entry.status_code,
        ip=_clean_ip(entry.ip),
    )


class AuditRecorder:
    def __init__(self, sessionmaker: SessionMaker) -> None:
        self._sessionmaker = sessionmaker

    async def record(self, entry: AuditEntry) -> None:
        """In its own short transaction: kept whatever happens to the caller's."""
        async with self._sessionmaker() as session, session.begin():
            await set_practice(session, entry.practice_id)
            await session.execute(_insert(entry))

    async def record_in(self, session: AsyncSession, entry: AuditEntry) -> None:
        """In the caller's transaction (already scoped to `entry.practice_id`): the event
        commits with the work it describes, or not at all."""
        await session.execute(_insert(entry))
