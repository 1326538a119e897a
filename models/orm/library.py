"""The practice library: forms and documents, and their versions (migration 0008).

A published version is frozen by a trigger; at most one draft per item (partial unique
index); row-level security per practice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, LargeBinary, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base, TenantRow


class ItemKind(StrEnum):
    form = "form"
    document = "document"


class Requires(StrEnum):
    none = "none"
    acknowledgement = "acknowledgement"
    signature = "signature"


class LibraryItem(TenantRow, Base):
    __tablename__ = "library_items"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    kind: Mapped[str] = mapped_column(Text, nullable=False)
    key: Mapped[str] = mapped_column(Text, nullable=False)
    staff_name: Mapped[str] = mapped_column(Text, nullable=False)
    client_title: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str] = mapped_column(Text, nullable=False, default="Intake")
    include_in_intake: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    shareable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    generator: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class LibraryVersion(TenantRow, Base):
    __tablename__ = "library_versions"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    item_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    definition: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    body_markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")
    pdf_blob_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    requires: Mapped[str] = mapped_column(Text, nullable=False, default=Requires.none)
    content_sha256: Mapped[bytes | None] = mapped_column(LargeBinary)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
