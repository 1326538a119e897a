"""The series horizon: every open recurring series is materialized up to 12 weeks past
the sweep's `as_of`. Idempotent (an occurrence is unique per series and original local
time); an occurrence that clashes becomes a schedule-clash task (unique by business key),
so repeated and overlapping sweeps add nothing twice."""

from __future__ import annotations

from core.db import UnitOfWork
from services.attention.context import CheckContext
from services.scheduling.series import extend_horizons


async def run(uow: UnitOfWork, ctx: CheckContext) -> dict[str, int]:
    return await extend_horizons(uow, ctx.as_of)
