from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base, TenantRow, Timestamps


class StaffRole(StrEnum):
    owner = "owner"
    provider = "provider"
    associate = "associate"
    admin = "admin"


class StaffStatus(StrEnum):
    invited = "invited"
    active = "active"
    deactivated = "deactivated"


class StaffMember(TenantRow, Timestamps, Base):
    """A person who works in one practice. Email is unique across the installation
    (decisions.md "Identities": login needs no practice picker)."""

    __tablename__ = "staff_members"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        Index("uq_staff_members_email", text("lower(email)"), unique=True),
        CheckConstraint("role IN ('owner', 'provider', 'associate', 'admin')", name="role_known"),
        CheckConstraint("status IN ('invited', 'active', 'deactivated')", name="status_known"),
        CheckConstraint("char_length(display_name) BETWEEN 1 AND 200", name="display_name_length"),
        ForeignKeyConstraint(
            ["practice_id", "supervisor_id"],
            ["staff_members.practice_id", "staff_members.id"],
            name="fk_staff_members_supervisor",
        ),
    )

    email: Mapped[str] = mapped_column(Text, nullable=False)
    display_name: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, default=StaffStatus.invited)
    password_hash: Mapped[str | None] = mapped_column(Text)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)
    totp_pending_secret_enc: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Provider-level supervision: the associate's default supervisor (SUPV-4).
    supervisor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_clinician(self) -> bool:
        """Owners, providers and associates see clients; admins never appear as providers."""
        return self.role != StaffRole.admin

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None
