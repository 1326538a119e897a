"""Relaying outbox commands to Temporal, and sweeping the ones no relay delivered.

A relay takes the command row `FOR UPDATE SKIP LOCKED` in a short transaction of its own
(the domain transaction has committed already), sends the command and marks it sent —
so the after-commit relay and the sweeper never send the same row at the same time, and
a command sent but not marked (a crash in between) is sent again harmlessly: starts use
business ids with an explicit conflict policy (the second finds the first run), signals
are hints that workflows check against Postgres. A failure leaves the row pending with a
growing delay; only a permanent refusal (signalling a workflow that does not exist)
marks it failed. This module is the one place below the API that talks to Temporal
(ARCHITECTURE §3 puts the relay in services/outbox).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from temporalio.client import Client
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from core.db import SessionMaker, UnitOfWork, open_unit
from models.contracts.common import SEARCH_ATTRIBUTE_CASE_ID, SEARCH_ATTRIBUTE_PRACTICE_ID
from models.orm.workflow import CommandKind, CommandStatus, OutboxCommand
from services import cross_practice, workflow_runs
from services.outbox import schedules as outbox_schedules

log = logging.getLogger(__name__)

PRACTICE_KEY = SearchAttributeKey.for_keyword(SEARCH_ATTRIBUTE_PRACTICE_ID)
CASE_KEY = SearchAttributeKey.for_keyword(SEARCH_ATTRIBUTE_CASE_ID)
MAX_DELAY = timedelta(minutes=5)
ORDER_WAIT = timedelta(seconds=2)
RPC_TIMEOUT = timedelta(seconds=5)


def backoff(attempts: int) -> timedelta:
    return min(MAX_DELAY, timedelta(seconds=2 ** min(attempts, 12)))


class PermanentCommandError(Exception):
    pass


class ClientSource(Protocol):
    async def get(self, connect_timeout: float = ...) -> Client: ...


class OutboxRelay:
    def __init__(self, client: ClientSource, sessionmaker: SessionMaker) -> None:
        self._client = client
        self._sessionmaker = sessionmaker
        self._background: set[asyncio.Task[bool]] = set()

    async def relay_soon(self, practice_id: uuid.UUID, command_id: uuid.UUID) -> None:
        """The after-commit hook of requests: relay in the background, so a response never
        waits for Temporal (and is not slowed when Temporal is down: the sweeper retries)."""
        task = asyncio.create_task(self.relay(practice_id, command_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def settle(self, wait_seconds: float = 10.0) -> None:
        """Wait for background relays (shutdown, tests)."""
        if self._background:
            await asyncio.wait(list(self._background), timeout=wait_seconds)

    async def relay(self, practice_id: uuid.UUID, command_id: uuid.UUID) -> bool:
        """Send one command if it is still pending. True when it is sent now."""
        try:
            # The client first, before any database connection or lock is held: while
            # Temporal is down this fails fast (LazyClient's breaker) and ties up nothing.
            client = await self._client.get()
        except Exception as exc:
            await self._postpone(practice_id, command_id, type(exc).__name__)
            return False
        uow = await open_unit(self._sessionmaker, practice_id)
        try:
            row = await _claim_pending(uow, practice_id, command_id)
            if row is None:
                return False  # sent already, or another relay holds it right now
            now = datetime.now(UTC)
            if await self._earlier_pending(uow, row):
                # Commands for one workflow go in order: a signal never overtakes its start.
                row.next_attempt_at = now + ORDER_WAIT
                await uow.commit()
                return False
            try:
                run_id = await self._send(client, row, uow)
            except WorkflowAlreadyStartedError:
                run_id = None  # started before, under this business id: nothing to do
            except PermanentCommandError as exc:
                row.status = CommandStatus.failed
                row.last_error_code = str(exc)
                row.attempts += 1
                await uow.commit()
                log.warning("outbox command %s refused for good: %s", row.id, exc)
                return False
            except Exception as exc:  # Temporal down, timeout: try again later
                row.attempts += 1
                row.last_error_code = type(exc).__name__
                row.next_attempt_at = now + backoff(row.attempts)
                await uow.commit()
                log.info("outbox command %s not relayed (%s); retrying", row.id, type(exc).__name__)
                return False
            row.status = CommandStatus.sent
            row.sent_at = now
            row.attempts += 1
            if run_id is not None:
                await workflow_runs.record_started(
                    uow, workflow_id=row.workflow_id, workflow_type=row.workflow_type,
                    run_id=run_id, subject_type=row.subject_type, subject_id=row.subject_id,
                    now=now,
                )  # fmt: skip
            await uow.commit()
            return True
        finally:
            await uow.close()

    async def _earlier_pending(self, uow: UnitOfWork, row: OutboxCommand) -> bool:
        earlier = await uow.session.scalar(
            select(OutboxCommand.id)
            .where(
                OutboxCommand.practice_id == row.practice_id,
                OutboxCommand.workflow_id == row.workflow_id,
                OutboxCommand.status == CommandStatus.pending,
                OutboxCommand.created_at < row.created_at,
            )
            .limit(1)
        )
        return earlier is not None

    async def _postpone(self, practice_id: uuid.UUID, command_id: uuid.UUID, code: str) -> None:
        uow = await open_unit(self._sessionmaker, practice_id)
        try:
            row = await _claim_pending(uow, practice_id, command_id)
            if row is not None:
                row.attempts += 1
                row.last_error_code = code
                row.next_attempt_at = datetime.now(UTC) + backoff(row.attempts)
                await uow.commit()
        finally:
            await uow.close()

    async def _send(self, client: Client, row: OutboxCommand, uow: UnitOfWork) -> str | None:
        try:
            conflict = WorkflowIDConflictPolicy[row.id_conflict_policy]
            reuse = WorkflowIDReusePolicy[row.id_reuse_policy]
        except KeyError:
            raise PermanentCommandError("bad_policy") from None
        try:
            if row.command == CommandKind.schedule_upsert:
                # Built from the practice as it is now (its current time zone).
                if not await outbox_schedules.upsert_for(
                    uow, client, str(row.args.get("schedule"))
                ):
                    raise PermanentCommandError("schedule_unknown")
                return None
            if row.command == CommandKind.schedule_trigger:
                # Under the schedule's own overlap policy (BUFFER_ONE for NoticeDispatch).
                # An operator's pause stops nudges too (Temporal would run a trigger on a
                # paused schedule): the work waits in Postgres for the first tick after it.
                schedule = client.get_schedule_handle(row.workflow_id)
                described = await schedule.describe(rpc_timeout=RPC_TIMEOUT)
                if not described.schedule.state.paused:
                    await schedule.trigger(rpc_timeout=RPC_TIMEOUT)
                return None
            if row.command in (CommandKind.start, CommandKind.signal_with_start):
                pairs = [SearchAttributePair(PRACTICE_KEY, str(row.practice_id))]
                if row.case_id is not None:
                    pairs.append(SearchAttributePair(CASE_KEY, str(row.case_id)))
                signal = row.command == CommandKind.signal_with_start
                handle = await client.start_workflow(
                    row.workflow_type,
                    row.args,
                    id=row.workflow_id,
                    task_queue=row.task_queue,
                    id_conflict_policy=conflict,
                    id_reuse_policy=reuse,
                    search_attributes=TypedSearchAttributes(pairs),
                    start_signal=row.signal_name if signal else None,
                    start_signal_args=[row.args] if signal else [],
                    rpc_timeout=RPC_TIMEOUT,
                )
                return handle.result_run_id
            run_id = row.args.get("run_id") if row.command == CommandKind.cancel else None
            handle = client.get_workflow_handle(row.workflow_id, run_id=run_id or None)
            if row.command == CommandKind.signal:
                if row.signal_name is None:  # a check constraint makes this impossible
                    raise PermanentCommandError("signal_without_name")
                await handle.signal(row.signal_name, row.args, rpc_timeout=RPC_TIMEOUT)
            else:
                await handle.cancel(rpc_timeout=RPC_TIMEOUT)
            return None
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise PermanentCommandError("workflow_not_found") from None
            if exc.status in (RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.FAILED_PRECONDITION):
                raise PermanentCommandError(f"refused_{exc.status.name.lower()}") from None
            raise

    async def sweep(self, limit: int = 100) -> int:
        """Relay every due command of every practice; returns how many were sent."""
        async with self._sessionmaker() as session, session.begin():
            due = await cross_practice.outbox_due(session, datetime.now(UTC), limit)
        sent = 0
        for practice_id, command_id in due:
            sent += await self.relay(practice_id, command_id)
        return sent


async def _claim_pending(
    uow: UnitOfWork, practice_id: uuid.UUID, command_id: uuid.UUID
) -> OutboxCommand | None:
    """The command, locked, if it is still pending and no other relay holds it."""
    row: OutboxCommand | None = await uow.session.scalar(
        select(OutboxCommand)
        .where(
            OutboxCommand.practice_id == practice_id,
            OutboxCommand.id == command_id,
            OutboxCommand.status == CommandStatus.pending,
        )
        .with_for_update(skip_locked=True)
    )
    return row
