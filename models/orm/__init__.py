"""Every ORM module, imported so `Base.metadata` is complete (alembic, tests)."""

from models.orm import (
    audit,
    blob,
    case,
    identity,
    intake,
    library,
    mail,
    person,
    portal,
    practice,
    scheduling,
    staff,
    task,
    workflow,
)
from models.orm.base import Base

__all__ = [
    "Base",
    "audit",
    "blob",
    "case",
    "identity",
    "intake",
    "library",
    "mail",
    "person",
    "portal",
    "practice",
    "scheduling",
    "staff",
    "task",
    "workflow",
]
