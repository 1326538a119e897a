"""Intake requests, their recipients and checklist items (migration 0011)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ARRAY, DateTime, Integer, LargeBinary, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base, TenantRow


class IntakeStatus(StrEnum):
    open = "open"
    completed = "completed"
    cancelled = "cancelled"  # by staff
    ended = "ended"  # the case was closed or a participant left


class EndReason(StrEnum):
    cancelled = "cancelled"
    case_closed = "case_closed"
    participant_left = "participant_left"
    portal_access_off = "portal_access_off"  # staff turned a recipient's portal access off


class ItemStatus(StrEnum):
    pending = "pending"
    draft = "draft"  # answers saved, not submitted
    done = "done"
    removed = "removed"


class IntakeRequest(TenantRow, Base):
    __tablename__ = "intake_requests"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, default=IntakeStatus.open)
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    reminder_days: Mapped[list[int]] = mapped_column(ARRAY(Integer), nullable=False)
    created_by_staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(Text)


class IntakeRecipient(TenantRow, Base):
    __tablename__ = "intake_recipients"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    scope: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An invitation is due while invited_at is null or older than invite_requested_at.
    invite_requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    invited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminders_sent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def invitation_due(self) -> bool:
        return self.invited_at is None or self.invited_at < self.invite_requested_at


class IntakeItem(TenantRow, Base):
    __tablename__ = "intake_items"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    library_item_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    version_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, default=ItemStatus.pending)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    scores: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_name: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_ip: Mapped[str | None] = mapped_column(Text)
    signed_sha256: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A document generated for this case (the Good Faith Estimate) as sent, and its hash.
    body_markdown: Mapped[str | None] = mapped_column(Text)
    body_sha256: Mapped[bytes | None] = mapped_column(LargeBinary)
