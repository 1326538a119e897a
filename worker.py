"""The Temporal worker: explicit registration lists per task queue.

Tests import `WORKFLOWS` and `build_registrations` so a test worker registers exactly what
production registers. Queues: `default`; `stripe`, rate-limited below Stripe's limit
(max_task_queue_activities_per_second); `bulk` for imports and PDF batches. A queue's
worker starts only when something is registered on it, and a worker with nothing at all
registered refuses to start. Every activity runs behind the PHI-safe interceptor;
synchronous (CPU-bound) activities run on a bounded thread pool. Beside the workers runs
the outbox sweeper (commands no after-commit relay delivered), and at start every
practice's schedules are ensured (services.outbox.schedules). SIGTERM/SIGINT shut down
gracefully.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.attention import AttentionActivities
from activities.intake import IntakeActivities
from activities.interceptor import PhiSafeInterceptor
from activities.mail import MailActivities
from activities.notices import NoticeActivities
from activities.runs import RunActivities
from activities.system_check import SystemCheckActivities
from activities.welcome import WelcomeActivities
from core.db import OutboxRelayHook, SessionMaker, make_engine, make_sessionmaker
from core.logging import configure_logging
from core.settings import Settings, get_settings
from core.temporal import LazyClient
from models.contracts.common import TaskQueue
from services.mail.dispatch import Send
from services.mail.smtp import SmtpSender, parse_smtp_url
from services.outbox import schedules as outbox_schedules
from services.outbox.relay import OutboxRelay
from workflows.attention_sweep import AttentionSweepWorkflow
from workflows.intake_onboarding import IntakeOnboardingWorkflow
from workflows.mail_dispatch import MailDispatchWorkflow
from workflows.notice_dispatch import NoticeDispatchWorkflow
from workflows.practice_welcome import PracticeWelcomeWorkflow
from workflows.system_check import SystemCheckWorkflow

log = logging.getLogger("worker")


class NothingRegistered(RuntimeError):
    pass


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
    relay: OutboxRelayHook | None = None
    send_mail: Send | None = None
    app_base_url: str = "http://127.0.0.1:8000"


WORKFLOWS: dict[TaskQueue, list[type]] = {
    TaskQueue.default: [
        SystemCheckWorkflow,
        PracticeWelcomeWorkflow,
        MailDispatchWorkflow,
        AttentionSweepWorkflow,
        NoticeDispatchWorkflow,
        IntakeOnboardingWorkflow,
    ],
    TaskQueue.stripe: [],
    TaskQueue.bulk: [],
}


def build_registrations(deps: Deps) -> dict[TaskQueue, QueueRegistrations]:
    system_check = SystemCheckActivities(deps.sessionmaker)
    mail = MailActivities(deps.sessionmaker, deps.send_mail)
    welcome = WelcomeActivities(deps.sessionmaker, deps.relay, deps.app_base_url)
    runs = RunActivities(deps.sessionmaker)
    attention = AttentionActivities(deps.sessionmaker, deps.relay, deps.app_base_url)
    notices = NoticeActivities(deps.sessionmaker, deps.relay, deps.app_base_url)
    intake = IntakeActivities(deps.sessionmaker, deps.relay, deps.app_base_url)
    activities: dict[TaskQueue, list[Callable[..., object]]] = {
        TaskQueue.default: [
            system_check.check_worker_database,
            mail.drain_mail,
            welcome.send_welcome,
            welcome.nudge_if_checklist_open,
            runs.close_run,
            attention.plan_attention_sweep,
            attention.run_attention_check,
            attention.finish_attention_sweep,
            notices.dispatch_notice_batch,
            notices.finish_notice_dispatch,
            intake.check_intake,
            intake.send_intake_invitations,
            intake.send_intake_reminder,
            intake.open_intake_overdue,
            intake.finish_intake,
            intake.cancel_intake,
        ],
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
    stripe_activities_per_second: float = 20.0,
    executor: ThreadPoolExecutor | None = None,
    max_cached_workflows: int = 1000,
) -> Sequence[Worker]:
    """One worker per queue with registrations. `max_cached_workflows=0` (tests that stop
    and start workers on the time-skipping server) keeps no sticky cache: every task goes
    to the shared queue and is replayed from history."""
    if all(regs.empty for regs in registrations.values()):
        raise NothingRegistered("nothing is registered on any task queue: no worker to run")
    return [
        Worker(
            client,
            task_queue=f"{task_queue_prefix}{queue}",
            workflows=regs.workflows,
            activities=regs.activities,
            interceptors=[PhiSafeInterceptor()],
            activity_executor=executor,
            max_task_queue_activities_per_second=(
                stripe_activities_per_second if queue is TaskQueue.stripe else None
            ),
            graceful_shutdown_timeout=timedelta(seconds=10),
            max_cached_workflows=max_cached_workflows,
        )
        for queue, regs in registrations.items()
        if not regs.empty
    ]


def mail_sender(settings: Settings) -> Send | None:
    if settings.SMTP_URL is None:
        return None
    sender = SmtpSender(parse_smtp_url(settings.SMTP_URL.get_secret_value()), settings.MAIL_FROM)
    return sender.send


async def sweep_forever(relay: OutboxRelay, every: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            sent = await relay.sweep()
            if sent:
                log.info("outbox sweeper relayed %d command(s)", sent)
        except Exception as exc:  # the database or Temporal is away: next round
            log.warning("outbox sweep failed (%s)", type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


async def ensure_schedules(
    client: Client,
    sessionmaker: SessionMaker,
    stop: asyncio.Event,
    retry_every: float = 30.0,
    attempts: int = 5,
) -> None:
    """Every practice's schedules, once at start: a schedule deleted by hand or lost with
    Temporal's database, or an upsert that never arrived, heals here. Passes that leave
    some practice unensured (Temporal away, a refused schedule) are repeated a few times,
    then left to the next start (each failure is in the log with its practice id)."""
    for attempt in range(1, attempts + 1):
        try:
            ensured, failed = await outbox_schedules.ensure_all(client, sessionmaker)
        except Exception as exc:  # the database away: try again
            log.warning("ensuring schedules failed (%s)", type(exc).__name__)
        else:
            log.info("schedules ensured: %d%s", ensured, f", {failed} failed" if failed else "")
            if not failed:
                return
        if attempt < attempts:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=retry_every * attempt)
            if stop.is_set():
                return
    log.error("some schedules are not ensured; they are tried again at the next start")


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Until SIGTERM/SIGINT (or `stop`, for tests)."""
    engine = make_engine(settings.DATABASE_URL, pool_size=settings.DATABASE_POOL_SIZE)
    sessionmaker = make_sessionmaker(engine)
    lazy = LazyClient(settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE, settings.payload_keys)
    client = await lazy.get(connect_timeout=30)
    relay = OutboxRelay(lazy, sessionmaker)
    deps = Deps(sessionmaker, relay.relay, mail_sender(settings), settings.APP_BASE_URL)
    executor = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1))
    workers = build_workers(
        client,
        build_registrations(deps),
        stripe_activities_per_second=settings.STRIPE_ACTIVITIES_PER_SECOND,
        executor=executor,
    )
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(w.run()) for w in workers]
    sweeper = asyncio.create_task(sweep_forever(relay, settings.OUTBOX_SWEEP_SECONDS, stop))
    ensurer = asyncio.create_task(ensure_schedules(client, sessionmaker, stop))
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
        stop.set()
        await asyncio.gather(
            *(w.shutdown() for w in workers), sweeper, ensurer, return_exceptions=True
        )
        executor.shutdown(wait=True)
        await engine.dispose()
        log.info("worker stopped")
    if crashed:
        raise SystemExit(1)


def main() -> None:
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL)
    code = 0
    try:
        asyncio.run(run(settings))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    # Everything is shut down and logged by now. Skip interpreter finalization: with a live
    # Temporal client it may abort and dump a crash report into the log after a clean stop
    # (sdk-python #300, STACK.md §9), and the SDK has no way to close the client first.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
