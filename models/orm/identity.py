"""Sign-in state of staff: sessions, one-time links, API tokens, recovery codes, grants."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKeyConstraint, Integer, LargeBinary, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base, TenantRow


def _staff_fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["practice_id", column],
        ["staff_members.practice_id", "staff_members.id"],
        name=f"fk_{table}_{column}",
    )


class MfaState(StrEnum):
    complete = "complete"
    totp_required = "totp_required"  # password ok, code still to give
    setup_required = "setup_required"  # the practice requires TOTP and none is set up


class StaffSession(TenantRow, Base):
    """A server-side session. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "staff_sessions"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        UniqueConstraint("token_hash"),
        _staff_fk("staff_id", "staff_sessions"),
        _staff_fk("acting_for_id", "staff_sessions"),
    )

    staff_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    mfa_state: Mapped[str] = mapped_column(Text, nullable=False)
    acting_for_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    absolute_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    totp_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(Text)


class LinkPurpose(StrEnum):
    invitation = "invitation"
    password_reset = "password_reset"


class StaffLink(TenantRow, Base):
    """A one-time link (invitation, password reset): single use, consumed on POST."""

    __tablename__ = "staff_links"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        UniqueConstraint("token_hash"),
        _staff_fk("staff_id", "staff_links"),
        _staff_fk("created_by_id", "staff_links"),
    )

    staff_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ApiToken(TenantRow, Base):
    """A personal API token for /api/v1 (Bearer). Shown once; only its hash is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        UniqueConstraint("token_hash"),
        _staff_fk("staff_id", "api_tokens"),
    )

    staff_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    token_prefix: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecoveryCode(TenantRow, Base):
    __tablename__ = "staff_recovery_codes"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        _staff_fk("staff_id", "staff_recovery_codes"),
    )

    staff_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    code_hash: Mapped[str] = mapped_column(Text, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ActingForGrant(TenantRow, Base):
    """An admin may work for a named provider (ROLE-8); revoked grants stay for the record."""

    __tablename__ = "acting_for_grants"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        _staff_fk("admin_id", "acting_for_grants"),
        _staff_fk("provider_id", "acting_for_grants"),
        _staff_fk("granted_by_id", "acting_for_grants"),
    )

    admin_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    granted_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
