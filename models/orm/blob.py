from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base, TenantRow


class Blob(TenantRow, Base):
    """A stored file's facts; its bytes are in `blob_chunks`."""

    __tablename__ = "blobs"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    filename: Mapped[str] = mapped_column(Text, nullable=False)
    content_type: Mapped[str] = mapped_column(Text, nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_by_staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class BlobChunk(Base):
    __tablename__ = "blob_chunks"
    __table_args__ = (
        ForeignKeyConstraint(
            ["practice_id", "blob_id"], ["blobs.practice_id", "blobs.id"], ondelete="CASCADE"
        ),
    )

    practice_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    blob_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
