"""Every ORM module, imported so `Base.metadata` is complete (alembic, tests)."""

from models.orm import audit, mail, practice, staff
from models.orm.base import Base

__all__ = ["Base", "audit", "mail", "practice", "staff"]
