from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity

from core.db import SessionMaker
from models.contracts.system_check import DatabaseCheck, SystemCheckInput
from services.system_check import check_database


@dataclass(frozen=True)
class SystemCheckActivities:
    sessionmaker: SessionMaker

    @activity.defn
    async def check_worker_database(self, inp: SystemCheckInput) -> DatabaseCheck:
        """Read-only: which role the worker runs as and whether tenancy is enforced."""
        async with self.sessionmaker() as session, session.begin():
            return await check_database(session)
