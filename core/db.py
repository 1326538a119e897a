"""Database engine, sessions and the unit of work.

Every transaction that touches tenant data runs with the practice set for row-level
security: `set_config('app.practice_id', <id>, true)` (transaction-local). The unit of
work re-applies it at the start of every transaction it opens, so a practice set once
holds for the unit's whole life, and a connection returned to the pool keeps nothing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeAlias
from uuid import UUID

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

SessionMaker: TypeAlias = async_sessionmaker[AsyncSession]
AfterCommit: TypeAlias = Callable[[], Awaitable[None]]
# Relays one outbox command (practice id, command id) to Temporal: set by whoever opens
# the unit and holds a Temporal client (the API, the worker); scripts leave it to the sweeper.
OutboxRelayHook: TypeAlias = Callable[[UUID, UUID], Awaitable[object]]

PRACTICE_SETTING = "app.practice_id"
_SET_PRACTICE = text("SELECT set_config('app.practice_id', :practice_id, true)")


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        echo=echo,
        connect_args={"application_name": "practicerunner"},
    )


def make_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def set_practice(session: AsyncSession, practice_id: UUID | None) -> None:
    """Set (or clear) the practice for row-level security in the current transaction."""
    await session.execute(_SET_PRACTICE, {"practice_id": str(practice_id) if practice_id else ""})


def _apply_practice_on_begin(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    practice_id = session.info.get(PRACTICE_SETTING)
    if practice_id is not None:
        connection.execute(_SET_PRACTICE, {"practice_id": str(practice_id)})


def scope_session_to_practice(session: AsyncSession, practice_id: UUID | None) -> None:
    """Make every transaction this session begins from now on run as `practice_id`."""
    sync = session.sync_session
    if practice_id is None:
        sync.info.pop(PRACTICE_SETTING, None)
    else:
        sync.info[PRACTICE_SETTING] = practice_id
    if not event.contains(sync, "after_begin", _apply_practice_on_begin):
        event.listen(sync, "after_begin", _apply_practice_on_begin)


class UnitOfWork:
    """One session, one practice, one commit, and hooks that run after the commit.

    Services never commit; the owner of the unit (the request, an activity attempt, a
    script) calls `commit()` exactly once. `after_commit` hooks (the outbox relay) run
    only when the commit succeeded; a failing hook is logged and left to its sweeper.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.practice_id: UUID | None = None
        self._after_commit: list[AfterCommit] = []
        self.committed = False
        self.outbox_relay: OutboxRelayHook | None = None

    async def set_practice(self, practice_id: UUID | None) -> None:
        self.practice_id = practice_id
        scope_session_to_practice(self.session, practice_id)
        if self.session.in_transaction():
            await set_practice(self.session, practice_id)

    def after_commit(self, hook: AfterCommit) -> None:
        self._after_commit.append(hook)

    async def commit(self) -> None:
        await self.session.commit()
        self.committed = True
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            try:
                await hook()
            except Exception:
                log.exception("after-commit hook failed; its sweeper will retry")

    async def rollback(self) -> None:
        self._after_commit.clear()
        await self.session.rollback()

    async def close(self) -> None:
        await self.session.close()


async def open_unit(
    sessionmaker: SessionMaker,
    practice_id: UUID | None = None,
    relay: OutboxRelayHook | None = None,
) -> UnitOfWork:
    uow = UnitOfWork(sessionmaker())
    uow.outbox_relay = relay
    await uow.set_practice(practice_id)
    return uow


@asynccontextmanager
async def unit_of_work(
    sessionmaker: SessionMaker,
    practice_id: UUID | None,
    relay: OutboxRelayHook | None = None,
) -> AsyncIterator[UnitOfWork]:
    """One transaction scoped to a practice: commits when the block ends, rolls back on
    an exception. Activities use one per attempt (they re-read the truth each time)."""
    uow = await open_unit(sessionmaker, practice_id, relay)
    try:
        yield uow
        await uow.commit()
    finally:
        await uow.close()
