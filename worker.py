"""The Temporal worker: explicit registration lists per task queue.

Tests import `WORKFLOWS` and `build_registrations` so a test worker registers exactly
what production registers. A queue's worker starts only when something is registered on
it (an empty worker is an error in temporalio); SIGTERM and SIGINT shut down gracefully.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.system_check import SystemCheckActivities
from core.db import SessionMaker, make_engine, make_sessionmaker
from core.logging import configure_logging
from core.settings import Settings, get_settings
from core.temporal import connect_client
from models.contracts.common import TaskQueue
from workflows.system_check import SystemCheckWorkflow

log = logging.getLogger("worker")


@dataclass
class QueueRegistrations:
    workflows: list[type] = field(default_factory=list)
    activities: list[Callable[..., object]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.workflows and not self.activities


@dataclass(frozen=True)
class Deps:
    sessionmaker: SessionMaker


WORKFLOWS: dict[TaskQueue, list[type]] = {
    TaskQueue.default: [SystemCheckWorkflow],
    TaskQueue.stripe: [],
    TaskQueue.bulk: [],
}


def build_registrations(deps: Deps) -> dict[TaskQueue, QueueRegistrations]:
    system_check = SystemCheckActivities(deps.sessionmaker)
    activities: dict[TaskQueue, list[Callable[..., object]]] = {
        TaskQueue.default: [system_check.check_worker_database],
        TaskQueue.stripe: [],
        TaskQueue.bulk: [],
    }
    return {
        queue: QueueRegistrations(list(WORKFLOWS[queue]), activities[queue]) for queue in TaskQueue
    }


def build_workers(
    client: Client,
    registrations: dict[TaskQueue, QueueRegistrations],
    *,
    task_queue_prefix: str = "",
) -> Sequence[Worker]:
    return [
        Worker(
            client,
            task_queue=f"{task_queue_prefix}{queue}",
            workflows=regs.workflows,
            activities=regs.activities,
            graceful_shutdown_timeout=timedelta(seconds=10),
        )
        for queue, regs in registrations.items()
        if not regs.empty
    ]


async def run(settings: Settings) -> None:
    engine = make_engine(settings.DATABASE_URL, pool_size=settings.DATABASE_POOL_SIZE)
    client = await connect_client(settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE)
    workers = build_workers(client, build_registrations(Deps(make_sessionmaker(engine))))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(w.run()) for w in workers]
    log.info("worker polling %s", ", ".join(w.task_queue for w in workers))
    crashed = False
    try:
        done, _ = await asyncio.wait(
            [*tasks, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            if task in tasks and task.exception() is not None:
                crashed = True
                log.error("a worker stopped: %s", type(task.exception()).__name__)
    finally:
        await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
        await engine.dispose()
        log.info("worker stopped")
    if crashed:
        raise SystemExit(1)


def main() -> None:
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
