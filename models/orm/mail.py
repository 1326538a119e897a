from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base, TenantRow, Timestamps


class MailStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


class OutboundMail(TenantRow, Timestamps, Base):
    """A message waiting in (or gone through) the mail outbox.

    Bodies are rendered when the message is queued and are generic by rule: practice name,
    a time, a link — never a person's name or a clinical detail (ARCHITECTURE §6).
    `idempotency_key` makes queuing the same notice twice a no-op.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        UniqueConstraint("practice_id", "idempotency_key"),
        ForeignKeyConstraint(
            ["practice_id", "created_by_staff_id"],
            ["staff_members.practice_id", "staff_members.id"],
            name="fk_mail_outbox_created_by_staff",
        ),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_known"),
        Index(
            "ix_mail_outbox_pending",
            "practice_id",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_mail_outbox_practice_created", "practice_id", text("created_at DESC")),
    )

    recipient: Mapped[str] = mapped_column(Text, nullable=False)
    template: Mapped[str] = mapped_column(Text, nullable=False)
    subject: Mapped[str] = mapped_column(Text, nullable=False)
    body_text: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, default=MailStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error_code: Mapped[str | None] = mapped_column(Text)
    created_by_staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
