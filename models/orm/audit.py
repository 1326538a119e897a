from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ARRAY, DateTime, SmallInteger, Text, func
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base


class AuditOutcome(StrEnum):
    success = "success"
    denied = "denied"  # 401, 403, 404: not signed in, not allowed, or not in reach
    rejected = "rejected"  # other 4xx: bad input, conflicts; nothing was written
    failed = "failed"  # 5xx or a commit that did not go through


class ActorType(StrEnum):
    anonymous = "anonymous"
    staff = "staff"
    portal = "portal"
    system = "system"


class AuditEvent(Base):
    """One row per request (or workflow step) that touched practice data.

    Append-only: the app role may INSERT and SELECT only, and a trigger refuses UPDATE and
    DELETE for everybody. Range-partitioned by month on `occurred_at` (migration-created
    partitions, `make maintain` adds more and applies the retention setting).
    """

    __tablename__ = "audit_events"
    # No RETURNING: the app role may insert events it cannot read back (anonymous ones),
    # and RLS applies SELECT policies to RETURNING rows.
    __table_args__ = {  # noqa: RUF012 (SQLAlchemy reads it once)
        "postgresql_partition_by": "RANGE (occurred_at)",
        "implicit_returning": False,
    }

    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), primary_key=True, server_default=func.now()
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    practice_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    request_id: Mapped[str] = mapped_column(Text, nullable=False)
    actor_type: Mapped[str] = mapped_column(Text, nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    acting_for_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    subject_type: Mapped[str | None] = mapped_column(Text)
    subject_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), nullable=False, default=list)
    outcome: Mapped[str] = mapped_column(Text, nullable=False)
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    ip: Mapped[str | None] = mapped_column(INET)
