from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

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
    )

    email: Mapped[str] = mapped_column(Text, nullable=False)
    display_name: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, default=StaffStatus.invited)
