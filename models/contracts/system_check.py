"""The end-to-end system check: API or devstack → Temporal → worker → Postgres (as the app)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class SystemCheckInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    activity_timeout: timedelta = timedelta(seconds=10)


class DatabaseCheck(BaseModel):
    """What the worker's database role can do. No data, only facts about the role."""

    model_config = ConfigDict(frozen=True)
    role: str
    superuser: bool
    bypasses_rls: bool
    owns_tables: bool
    tables_without_rls: list[str]
    schema_revision: str | None
    checked_at: datetime

    @property
    def tenancy_enforced(self) -> bool:
        return not (
            self.superuser or self.bypasses_rls or self.owns_tables or self.tables_without_rls
        )


class SystemCheckStep(StrEnum):
    started = "started"
    checking_database = "checking_database"
    done = "done"


class SystemCheckState(BaseModel):
    model_config = ConfigDict(frozen=True)
    step: SystemCheckStep = SystemCheckStep.started
    database: DatabaseCheck | None = None
