from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base, Timestamps


class PlanTier(StrEnum):
    solo = "solo"
    group = "group"


class Practice(Timestamps, Base):
    """The tenant. Row-level security shows a session only the practice it is set to."""

    __tablename__ = "practices"
    __table_args__ = (
        CheckConstraint("link_name ~ '^[a-z0-9][a-z0-9-]{1,62}$'", name="link_name_format"),
        CheckConstraint("char_length(name) BETWEEN 1 AND 200", name="name_length"),
        CheckConstraint("plan_tier IN ('solo', 'group')", name="plan_tier_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    link_name: Mapped[str] = mapped_column(String(63), nullable=False, unique=True)
    timezone: Mapped[str] = mapped_column(Text, nullable=False)
    plan_tier: Mapped[str] = mapped_column(Text, nullable=False, default=PlanTier.group)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
