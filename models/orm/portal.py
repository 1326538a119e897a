"""The client portal's identities (migrations 0010, 0013): accounts, grants, links,
sessions, passkeys and their WebAuthn challenges."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base, TenantRow


class PortalLinkPurpose(StrEnum):
    invitation = "invitation"  # first access: 7 days, confirm date of birth (or phone)
    sign_in = "sign_in"  # later sign-ins: 30 minutes


class PortalAccount(TenantRow, Base):
    __tablename__ = "portal_accounts"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    email: Mapped[str] = mapped_column(Text, nullable=False)
    person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # whose address it is
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PortalGrant(TenantRow, Base):
    __tablename__ = "portal_grants"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    scope: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    created_by_staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PortalLink(TenantRow, Base):
    __tablename__ = "portal_links"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    confirm_person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class PortalSession(TenantRow, Base):
    __tablename__ = "portal_sessions"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    acting_person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    absolute_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
    signed_in_with: Mapped[str] = mapped_column(Text, nullable=False, default="link")
    passkey_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the passkey that signed in


class PortalPasskey(TenantRow, Base):
    """A WebAuthn credential of a portal account (migration 0013)."""

    __tablename__ = "portal_passkeys"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    public_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    sign_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    transports: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, default=list)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    backed_up: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebauthnChallenge(TenantRow, Base):
    """One ceremony's challenge: 5 minutes, consumed by its verify step."""

    __tablename__ = "portal_webauthn_challenges"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    purpose: Mapped[str] = mapped_column(Text, nullable=False)  # register | authenticate
    challenge: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
