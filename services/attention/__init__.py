"""The AttentionSweep's checks: named plug-ins run in order on every sweep.

A check receives the practice, the instant the sweep looks at (`as_of`, the run's
scheduled time) and the run's id, does its work in the activity's one transaction, and
returns counts (numbers only: they go into workflow history and `practice_schedules`).
Every check must be safe to run twice and to run beside an overlapping sweep: it records
what it did in Postgres under a unique key and skips what is recorded.

Later capabilities add their checks here (missing notes, the series horizon); the
workflow asks for this list at the start of each run, so adding a check changes no
workflow code (and needs no patch).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeAlias

from core.db import UnitOfWork
from services.attention import overdue_tasks, series_horizon
from services.attention.context import CheckContext

Check: TypeAlias = Callable[[UnitOfWork, CheckContext], Awaitable[dict[str, int]]]

CHECKS: dict[str, Check] = {
    "overdue_tasks": overdue_tasks.run,
    "series_horizon": series_horizon.run,
}


def planned_checks() -> list[str]:
    return list(CHECKS)


async def run_check(uow: UnitOfWork, name: str, ctx: CheckContext) -> dict[str, int]:
    check = CHECKS.get(name)
    if check is None:  # a check retired after this run was planned: nothing to do
        return {}
    return await check(uow, ctx)
