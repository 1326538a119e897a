"""Record replay histories: `python -m tests.replay.record [name …]` (then commit the JSON).

Each scenario runs the real workflow with the real activities against a throwaway
embedded Postgres, the time-skipping server and (for mail) a real SMTP server, and writes
its history to tests/replay/histories/<workflow>/<scenario>.json — encrypted with the test
payload keys, as production histories are. Re-record only when a patch is retired
(STYLE.md B9); CI replays every file against the current code.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from core.db import SessionMaker, make_engine, make_sessionmaker, open_unit, set_practice
from devstack.pg import EmbeddedPostgres, bootstrap_owner_and_database
from models.contracts.attention import AttentionSweepInput
from models.contracts.common import TaskQueue
from models.contracts.intake import intake_workflow_id
from models.contracts.mail import mail_dispatch_id
from models.contracts.notices import NoticeDispatchInput
from models.contracts.system_check import SystemCheckInput
from models.contracts.welcome import practice_welcome_id
from models.orm.intake import IntakeRecipient, IntakeRequest
from models.orm.staff import StaffRole, StaffStatus
from models.schemas.person import PersonIn
from services import library
from services.access import Action, Actor
from services.cases import commands as case_commands
from services.intake import changes as intake_changes
from services.intake import items as intake_items
from services.intake.requests import Packet, send_packet
from services.mail.outbox import queue_mail
from services.mail.smtp import SmtpSender, parse_smtp_url
from services.outbox.relay import OutboxRelay
from services.practice_settings import PracticeSettings, update_profile
from services.practices import PracticeCreate, create_practice, get_practice
from services.scheduling import appointments as appts
from services.scheduling.catalog import LocationIn, ServiceIn, create_location, create_service
from services.staff import add_staff_member
from services.tasks.commands import Opener, TaskOpen, open_task
from services.tasks.kinds import TaskKind
from tests.fixtures.db import APP_ROLE, FAST_SETTINGS, OWNER_ROLE, PgServer, migrate
from tests.fixtures.smtp import SmtpServer
from tests.fixtures.temporal import (
    DATA_CONVERTER,
    FixedClient,
    register_search_attributes,
    venv_bin,
)
from worker import Deps, build_registrations, build_workers

HISTORIES = Path(__file__).parent / "histories"
Handle = WorkflowHandle[object, object]
Scenario = Callable[
    [WorkflowEnvironment, SessionMaker, OutboxRelay], Awaitable[WorkflowHandle[object, object]]
]


async def _practice(sessionmaker: SessionMaker, relay: OutboxRelay) -> uuid.UUID:
    uow = await open_unit(sessionmaker)
    practice = await create_practice(
        uow, PracticeCreate(name="Replay", link_name=f"r-{uuid.uuid4().hex[:8]}", timezone="UTC")
    )
    await add_staff_member(uow, email=f"o-{uuid.uuid4().hex[:6]}@x.example", display_name="O",
                           role=StaffRole.owner)  # fmt: skip
    await uow.commit()
    await uow.close()
    await relay.sweep()
    return practice.id


async def _relay_all(sm: SessionMaker, relay: OutboxRelay, practice_id: uuid.UUID) -> None:
    """Relay until nothing is pending. A command postponed behind an earlier one for the
    same workflow is made due at once rather than waiting out its backoff."""
    for _ in range(10):
        await relay.sweep()
        async with sm() as session, session.begin():
            await set_practice(session, practice_id)
            pending = await session.execute(
                text(
                    "UPDATE workflow_outbox SET next_attempt_at = now()"
                    " WHERE status = 'pending' RETURNING id"
                )
            )
            if not pending.all():
                return
    raise RuntimeError("outbox commands still pending after 10 sweeps")


async def _handle(env: WorkflowEnvironment, workflow_id: str) -> Handle:
    run_id = (await env.client.get_workflow_handle(workflow_id).describe()).run_id
    return env.client.get_workflow_handle(workflow_id, run_id=run_id)


async def system_check(env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay) -> Handle:
    handle: Handle = await env.client.start_workflow(
        "SystemCheck", SystemCheckInput(), id=f"system-check-{uuid.uuid4()}",
        task_queue=TaskQueue.default,
    )  # fmt: skip
    return handle


async def welcome_nudged(env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay) -> Handle:
    practice_id = await _practice(sm, relay)
    handle = await _handle(env, practice_welcome_id(practice_id))
    await env.sleep(timedelta(days=4))
    return handle


async def welcome_checklist_done(
    env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay
) -> Handle:
    practice_id = await _practice(sm, relay)
    handle = await _handle(env, practice_welcome_id(practice_id))
    await env.sleep(timedelta(hours=1))
    uow = await open_unit(sm, practice_id)
    practice = await get_practice(uow)
    await update_profile(
        uow, practice, name=practice.name, timezone="UTC", link_name=practice.link_name
    )
    await add_staff_member(uow, email=f"p-{uuid.uuid4().hex[:6]}@x.example", display_name="P",
                           role=StaffRole.provider)  # fmt: skip
    await uow.commit()
    await uow.close()
    await env.sleep(timedelta(days=4))
    return handle


async def _mail_one(
    env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay, practice_id: uuid.UUID,
    recipient: str,
) -> Handle:  # fmt: skip
    """Queue one message (which signals-with-start the dispatcher) and relay it."""
    uow = await open_unit(sm, practice_id)
    await queue_mail(uow, recipient=recipient, template="practice_ready",
                     context={"practice_name": "Replay", "app_url": "https://x"},
                     idempotency_key=f"replay-{recipient}")  # fmt: skip
    await uow.commit()
    await uow.close()
    await relay.sweep()
    return await _handle(env, mail_dispatch_id(practice_id))


async def mail_delivered(env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay) -> Handle:
    practice_id = await _practice(sm, relay)
    handle = await _mail_one(env, sm, relay, practice_id, "a@x.example")
    await env.sleep(timedelta(minutes=11))
    return handle


async def mail_retried(env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay) -> Handle:
    practice_id = await _practice(sm, relay)
    SMTP.mailbox.refusals = [451]
    uow = await open_unit(sm, practice_id)
    await queue_mail(uow, recipient="b@x.example", template="practice_ready",
                     context={"practice_name": "Replay", "app_url": "https://x"},
                     idempotency_key="retry")  # fmt: skip
    await uow.commit()
    await uow.close()
    await relay.sweep()
    handle = await _handle(env, mail_dispatch_id(practice_id))
    await env.sleep(timedelta(seconds=5))
    async with sm() as session, session.begin():  # the database's clock reaches the retry
        await set_practice(session, practice_id)
        await session.execute(text("UPDATE mail_outbox SET next_attempt_at = now()"))
    await env.sleep(timedelta(seconds=40))
    # more mail while it waits: the signal wakes it
    uow = await open_unit(sm, practice_id)
    await queue_mail(uow, recipient="c@x.example", template="practice_ready",
                     context={"practice_name": "Replay", "app_url": "https://x"},
                     idempotency_key="woken")  # fmt: skip
    await uow.commit()
    await uow.close()
    await _relay_all(sm, relay, practice_id)
    await env.sleep(timedelta(minutes=11))
    return handle


async def _sweep_practice(sm: SessionMaker, relay: OutboxRelay) -> tuple[uuid.UUID, datetime]:
    """A practice with a provider, an overdue task of theirs and one due later."""
    practice_id = await _practice(sm, relay)
    now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    uow = await open_unit(sm, practice_id)
    provider = await add_staff_member(uow, email=f"p-{uuid.uuid4().hex[:6]}@x.example",
                                      display_name="P", role=StaffRole.provider,
                                      status=StaffStatus.active)  # fmt: skip
    for title, due in (("Late", now - timedelta(hours=1)), ("Later", now + timedelta(days=1))):
        await open_task(
            uow,
            TaskOpen(kind=TaskKind.follow_up, title=title,
                     opener=Opener(staff_id=provider.id), assignee_id=provider.id, due_at=due),
            PracticeSettings(), now,
        )  # fmt: skip
    await uow.commit()
    await uow.close()
    return practice_id, now


async def sweep_reminds(env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay) -> Handle:
    practice_id, now = await _sweep_practice(sm, relay)
    handle: Handle = await env.client.start_workflow(
        "AttentionSweep", AttentionSweepInput(practice_id=practice_id, as_of=now),
        id=f"attention-sweep-{practice_id}-replay", task_queue=TaskQueue.default,
    )  # fmt: skip
    return handle


async def sweep_escalates(env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay) -> Handle:
    practice_id, now = await _sweep_practice(sm, relay)
    handle: Handle = await env.client.start_workflow(
        "AttentionSweep",
        AttentionSweepInput(practice_id=practice_id, as_of=now + timedelta(days=3)),
        id=f"attention-sweep-{practice_id}-replay", task_queue=TaskQueue.default,
    )  # fmt: skip
    return handle


async def notices_sent(env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay) -> Handle:
    """A booking moved once: one notice sent, the stale one skipped."""
    practice_id = await _practice(sm, relay)
    now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    uow = await open_unit(sm, practice_id)
    provider = await add_staff_member(uow, email=f"p-{uuid.uuid4().hex[:6]}@x.example",
                                      display_name="P", role=StaffRole.provider,
                                      status=StaffStatus.active)  # fmt: skip
    actor = Actor(staff_id=provider.id, practice_id=practice_id, role=StaffRole.provider,
                  display_name="P")  # fmt: skip
    service = await create_service(uow, ServiceIn(name="Therapy", duration_minutes=50, fee="150"))
    office = await create_location(uow, LocationIn(name="Office", timezone="UTC",
                                                   formats=["in_person"]))  # fmt: skip
    case = await case_commands.open_case(
        uow, actor,
        case_commands.CaseOpen(kind="individual", primary_provider_id=provider.id,
                               participants=[case_commands.Joiner(person=PersonIn(
                                   first_name="R", last_name="C", email="rc@x.example"))]),
        now.date(),
    )  # fmt: skip
    booked = await appts.book(
        uow, actor, appts.Booking(case_id=case.id, service_id=service.id, location_id=office.id,
                                  starts_at=now + timedelta(days=7)), tz="UTC", now=now,
    )  # fmt: skip
    a = await appts.load_appointment(uow, actor, booked.id, Action.change_case)
    await appts.reschedule(uow, a, now + timedelta(days=7, hours=2), tz="UTC")
    await uow.commit()
    await uow.close()
    handle: Handle = await env.client.start_workflow(
        "NoticeDispatch", NoticeDispatchInput(practice_id=practice_id, as_of=now),
        id=f"notice-dispatch-{practice_id}-replay", task_queue=TaskQueue.default,
    )  # fmt: skip
    return handle


async def notices_practice_gone(
    env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay
) -> Handle:
    handle: Handle = await env.client.start_workflow(
        "NoticeDispatch", NoticeDispatchInput(practice_id=uuid.uuid4()),
        id=f"notice-dispatch-{uuid.uuid4()}-replay", task_queue=TaskQueue.default,
    )  # fmt: skip
    return handle


async def mail_cancelled(env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay) -> Handle:
    """Cancelled from the console while it idles after delivering: the run says so."""
    practice_id = await _practice(sm, relay)
    handle = await _mail_one(env, sm, relay, practice_id, "d@x.example")
    await env.sleep(timedelta(minutes=1))
    await handle.cancel()
    await env.sleep(timedelta(minutes=1))
    return handle


async def _relay_intake(sm: SessionMaker, relay: OutboxRelay, practice_id: uuid.UUID) -> None:
    """Relay the intake's commands (the practice's schedule upserts wait: the test server
    has no Schedules)."""
    async with sm() as session, session.begin():
        await set_practice(session, practice_id)
        due = await session.scalars(
            text(
                "SELECT id FROM workflow_outbox WHERE status = 'pending'"
                " AND workflow_type = 'IntakeOnboarding' ORDER BY created_at"
            )
        )
        ids = list(due)
    for command_id in ids:
        if not await relay.relay(practice_id, command_id):
            raise RuntimeError("an intake command was not relayed")


async def _intake_sent(
    env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay
) -> tuple[uuid.UUID, uuid.UUID, Handle]:
    """An individual case whose client is sent the privacy notice; the workflow started."""
    practice_id = await _practice(sm, relay)
    now = await env.get_current_time()
    uow = await open_unit(sm, practice_id)
    provider = await add_staff_member(uow, email=f"p-{uuid.uuid4().hex[:6]}@x.example",
                                      display_name="P", role=StaffRole.provider,
                                      status=StaffStatus.active)  # fmt: skip
    await add_staff_member(uow, email=f"o-{uuid.uuid4().hex[:6]}@x.example", display_name="O",
                           role=StaffRole.owner, status=StaffStatus.active)  # fmt: skip
    actor = Actor(staff_id=provider.id, practice_id=practice_id, role=StaffRole.provider,
                  display_name="P")  # fmt: skip
    case = await case_commands.open_case(
        uow, actor,
        case_commands.CaseOpen(kind="individual", primary_provider_id=provider.id,
                               participants=[case_commands.Joiner(person=PersonIn(
                                   first_name="R", last_name="C", email="rc@x.example",
                                   date_of_birth="1990-01-01"))]),
        now.date(),
    )  # fmt: skip
    [notice] = [i.id for i in await library.items(uow) if i.key == "privacy_notice"]
    [who] = [p.person_id for p in await case_commands.participants_of(uow, case.id)]
    request = await send_packet(
        uow, case, Packet(person_ids=(who,), item_ids=(notice,)), staff_id=provider.id,
        now=now, today=now.date(), settings=PracticeSettings(),
    )  # fmt: skip
    await uow.commit()
    await uow.close()
    await _relay_intake(sm, relay, practice_id)
    return practice_id, request.id, await _handle(env, intake_workflow_id(request.id))


async def intake_completed(
    env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay
) -> Handle:
    """Invited, reminded twice, overdue on day 7, then completed in the portal."""
    practice_id, request_id, handle = await _intake_sent(env, sm, relay)
    await env.sleep(timedelta(days=8))
    uow = await open_unit(sm, practice_id)
    recipient = await uow.session.scalar(
        select(IntakeRecipient).where(IntakeRecipient.request_id == request_id)
    )
    assert recipient is not None
    for entry in await intake_items.items_for(uow, recipient.account_id, recipient.person_id):
        await intake_items.complete_document(
            uow, entry, typed_name="", agreed=True, ip=None, now=await env.get_current_time()
        )
    await uow.commit()
    await uow.close()
    await _relay_intake(sm, relay, practice_id)
    return handle


async def intake_resent_then_cancelled(
    env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay
) -> Handle:
    """Staff resend the invitation on day 1, then cancel on day 3 (after one reminder)."""
    practice_id, request_id, handle = await _intake_sent(env, sm, relay)
    for days, action in ((1, "resend"), (2, "cancel")):
        await env.sleep(timedelta(days=days))
        uow = await open_unit(sm, practice_id)
        request = await uow.session.get(IntakeRequest, request_id)
        assert request is not None
        intake = await intake_changes.open_for_change(uow, request.case_id, request_id)
        now = await env.get_current_time()
        if action == "resend":
            recipient = await uow.session.scalar(
                select(IntakeRecipient.id).where(IntakeRecipient.request_id == request_id)
            )
            assert recipient is not None
            await intake_changes.resend(uow, intake, recipient, now)
        else:
            await intake_changes.cancel(uow, intake, now)
        await uow.commit()
        await uow.close()
        await _relay_intake(sm, relay, practice_id)
    return handle


async def intake_run_cancelled(
    env: WorkflowEnvironment, sm: SessionMaker, relay: OutboxRelay
) -> Handle:
    """Cancelled from the workflow console on day 3: the open intake is cancelled with it."""
    _, _, handle = await _intake_sent(env, sm, relay)
    await env.sleep(timedelta(days=3))
    await handle.cancel()
    await env.sleep(timedelta(minutes=1))
    return handle


SCENARIOS: dict[str, Scenario] = {
    "system_check/checks_database": system_check,
    "practice_welcome/nudged": welcome_nudged,
    "practice_welcome/checklist_done": welcome_checklist_done,
    "mail_dispatch/delivers_then_idles": mail_delivered,
    "mail_dispatch/retries_and_is_woken": mail_retried,
    "mail_dispatch/cancelled": mail_cancelled,
    "attention_sweep/reminds": sweep_reminds,
    "attention_sweep/reminds_and_escalates": sweep_escalates,
    "notice_dispatch/sends_and_skips_stale": notices_sent,
    "notice_dispatch/practice_gone": notices_practice_gone,
    "intake_onboarding/reminded_overdue_completed": intake_completed,
    "intake_onboarding/resent_then_cancelled": intake_resent_then_cancelled,
    "intake_onboarding/run_cancelled": intake_run_cancelled,
}


SMTP = SmtpServer()


async def _save(name: str, handle: Handle) -> Path:
    try:
        await handle.result()
    except WorkflowFailureError:
        if not name.endswith("cancelled"):
            raise
    history = await handle.fetch_history()
    path = HISTORIES / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json.loads(history.to_json()), indent=1) + "\n")
    return path


async def record(only: list[str] | None = None) -> list[Path]:
    """Every scenario, or those named (re-record old ones only when a patch is retired)."""
    written: list[Path] = []
    smtp = SMTP
    smtp.controller.start()
    with tempfile.TemporaryDirectory() as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "data", settings=FAST_SETTINGS)
        pg.start()
        try:
            server = PgServer(str(pg.socket_dir))
            with server.admin() as conn:
                bootstrap_owner_and_database(conn, OWNER_ROLE, "pr_record")
            migrate(server, "pr_record")
            engine = make_engine(server.url(APP_ROLE, "pr_record"), pool_size=4)
            sm = make_sessionmaker(engine)
            env = await WorkflowEnvironment.start_time_skipping(
                data_converter=DATA_CONVERTER,
                test_server_existing_path=venv_bin("temporal-test-server"),
            )
            try:
                await register_search_attributes(env)
                relay = OutboxRelay(FixedClient(env.client), sm)
                send = SmtpSender(parse_smtp_url(smtp.url), "Replay <r@x.example>").send
                deps = Deps(sm, relay.relay, send, "https://app.example")
                [worker] = build_workers(env.client, build_registrations(deps))
                async with worker:
                    for name, scenario in SCENARIOS.items():
                        if only and name not in only:
                            continue
                        written.append(await _save(name, await scenario(env, sm, relay)))
                # without SMTP: the dispatcher reports nothing delivered and finishes
                [outbox_only] = build_workers(
                    env.client, build_registrations(Deps(sm, relay.relay, None, "https://x"))
                )
                async with outbox_only:
                    if only and "mail_dispatch/outbox_only" not in only:
                        return written
                    written.append(
                        await _save(
                            "mail_dispatch/outbox_only", await mail_delivered(env, sm, relay)
                        )
                    )
            finally:
                await env.shutdown()
                await engine.dispose()
        finally:
            pg.destroy()
            smtp.controller.stop()
    return written


if __name__ == "__main__":
    for p in asyncio.run(record(sys.argv[1:] or None)):
        print(f"wrote {p}")  # noqa: T201
