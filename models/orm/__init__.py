"""Every ORM module, imported so `Base.metadata` is complete (alembic, tests)."""

from models.orm import audit, identity, mail, practice, staff
from models.orm.base import Base

__all__ = ["Base", "audit", "identity", "mail", "practice", "staff"]
