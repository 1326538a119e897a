"""Change notices due for sending (services.scheduling.notices), until the NoticeDispatch
workflow takes over: sent once each, stale ones skipped; safe beside an overlapping sweep
(rows are locked with SKIP LOCKED and marked in the transaction that queues the mail)."""

from __future__ import annotations

from core.db import UnitOfWork
from services.attention.context import CheckContext
from services.scheduling.notices import dispatch_due


async def run(uow: UnitOfWork, ctx: CheckContext) -> dict[str, int]:
    return await dispatch_due(uow, ctx.as_of, ctx.app_base_url)
