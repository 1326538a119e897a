"""IntakeOnboarding under time skipping, with the real activities on real Postgres: the
invitation goes out, reminders on day 2 and day 5 carry a fresh sign-in link, the
deadline (day 7) opens one "Intake overdue" task and the workflow keeps waiting; the
client's completion — through the portal's own service calls, signalled through the
outbox — onboards the participant (Intake pending → Active), resolves the overdue task
and opens a review task for the provider. Staff resend, add and remove items and cancel
by row change plus signal; closing the case ends the intake. With the worker down the
portal keeps saving and the workflow catches up."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.db import SessionMaker, unit_of_work
from core.errors import InvalidInput
from models.contracts.common import TaskQueue
from models.contracts.intake import INTAKE_WORKFLOW, IntakeStep, intake_workflow_id
from models.orm.case import Case
from services.cases.commands import close_case, update_participant
from services.intake import changes, items
from services.intake.requests import Packet, send_packet
from services.outbox.relay import OutboxRelay
from services.practice_settings import PracticeSettings
from tests.fixtures.app import FrozenClock, client_for
from tests.fixtures.cases import TODAY, Crew, open_case, person
from tests.fixtures.db import Database
from tests.fixtures.temporal import SCANNER, FixedClient
from tests.fixtures.waiting import until
from tests.portal.test_portal_access import person_id
from worker import Deps, build_registrations, build_workers

DOB = "1988-02-29"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def uncached_worker(env: WorkflowEnvironment, sessionmaker: SessionMaker) -> Worker:
    """The production registrations without a sticky cache: a worker that stops leaves no
    task on its own queue (the test server would count that queue's timeout in its own
    time, which cannot move while a task is outstanding)."""
    relay = OutboxRelay(FixedClient(env.client), sessionmaker)
    registrations = build_registrations(
        Deps(sessionmaker, relay.relay, None, "https://app.example")
    )
    return next(
        w for w in build_workers(env.client, registrations, max_cached_workflows=0)
        if w.task_queue == TaskQueue.default
    )  # fmt: skip


@pytest_asyncio.fixture
async def ts_worker(
    ts_env: WorkflowEnvironment, sessionmaker: SessionMaker
) -> AsyncIterator[Worker]:
    async with uncached_worker(ts_env, sessionmaker) as worker:
        yield worker


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))  # set to the test server's time where it matters


async def relay_pending(env: WorkflowEnvironment, sessionmaker: SessionMaker, db: Database) -> int:
    """Relay the intake commands waiting in the outbox (only those: the practice's own
    welcome would outlive the test on this module's shared server and its database)."""
    with db.owner() as owner:
        due = owner.execute(
            "SELECT practice_id, id FROM workflow_outbox WHERE status = 'pending'"
            " AND workflow_type = %s ORDER BY created_at",
            (INTAKE_WORKFLOW,),
        ).fetchall()
    relay = OutboxRelay(FixedClient(env.client), sessionmaker)
    return sum([await relay.relay(practice_id, command_id) for practice_id, command_id in due])


def library_id(db: Database, crew: Crew, key: str) -> uuid.UUID:
    with db.owner() as owner:
        row = owner.execute(
            "SELECT id FROM library_items WHERE practice_id = %s AND key = %s",
            (crew.practice_id, key),
        ).fetchone()
    assert row is not None, key
    return uuid.UUID(str(row[0]))


async def client_case(
    sessionmaker: SessionMaker, crew: Crew, db: Database, first: str
) -> tuple[uuid.UUID, uuid.UUID]:
    case = await open_case(sessionmaker, crew, "individual", person(
        first, "Canary", email=f"{first.lower()}@example.org", date_of_birth=DOB))  # fmt: skip
    return case, person_id(db, first)


async def send(
    env: WorkflowEnvironment, sessionmaker: SessionMaker, db: Database, crew: Crew,
    case: uuid.UUID, who: uuid.UUID, *item_ids: uuid.UUID,
) -> tuple[uuid.UUID, WorkflowHandle[Any, Any]]:  # fmt: skip
    now = await env.get_current_time()
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        c = await uow.session.get(Case, case)
        assert c is not None
        request = await send_packet(
            uow, c, Packet(person_ids=(who,), item_ids=item_ids), staff_id=crew.team.provider.id,
            now=now, today=TODAY, settings=PracticeSettings(),
        )  # fmt: skip
    assert await relay_pending(env, sessionmaker, db) >= 1  # the start command
    wid = intake_workflow_id(request.id)
    run_id = (await env.client.get_workflow_handle(wid).describe()).run_id
    return request.id, env.client.get_workflow_handle(wid, run_id=run_id)


def sent(db: Database, template: str, to: str | None = None) -> list[str]:
    with db.owner() as owner:
        rows = owner.execute(
            "SELECT body_text FROM mail_outbox WHERE template = %s"
            " AND (%s::text IS NULL OR recipient = %s) ORDER BY created_at",
            (template, to, to),
        ).fetchall()
    return [r[0] for r in rows]


def one(db: Database, sql: str, *args: object) -> Any:
    with db.owner() as owner:
        row = owner.execute(sql, args).fetchone()
    return None if row is None else (row[0] if len(row) == 1 else tuple(row))


def tasks(db: Database, request_id: uuid.UUID) -> dict[str, tuple[str, str | None]]:
    with db.owner() as owner:
        rows = owner.execute(
            "SELECT kind, status, assignee_id::text FROM tasks WHERE business_key IN (%s, %s)",
            (f"intake-overdue:{request_id}", f"intake-review:{request_id}"),
        ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


async def state(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    result: dict[str, Any] = await handle.query("state")
    return result


async def complete_everything(
    env: WorkflowEnvironment, sessionmaker: SessionMaker, crew: Crew, db: Database,
    who: uuid.UUID,
) -> None:  # fmt: skip
    """What the portal does when the client acknowledges each document (its service calls)."""
    account = one(db, "SELECT account_id FROM intake_recipients WHERE person_id = %s", who)
    now = await env.get_current_time()
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        for entry in await items.items_for(uow, account, who):
            if entry.item.status != "done":
                await items.complete_document(
                    uow, entry, typed_name="", agreed=True, ip=None, now=now
                )


async def change(sessionmaker: SessionMaker, crew: Crew, case: uuid.UUID, request_id: uuid.UUID,
                 env: WorkflowEnvironment, what: str, **kw: Any) -> None:  # fmt: skip
    now = await env.get_current_time()
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        intake = await changes.open_for_change(uow, case, request_id)
        if what == "cancel":
            await changes.cancel(uow, intake, now)
        elif what == "resend":
            await changes.resend(uow, intake, kw["recipient"], now)
        elif what == "add":
            await changes.add_item(uow, intake, kw["item"], None, now)
        else:
            await changes.remove_item(uow, intake, kw["line"], now)


class TestIntakeOnboarding:
    async def test_reminders_the_overdue_task_and_completion(
        self, ts_env: WorkflowEnvironment, ts_worker: Worker, sessionmaker: SessionMaker,
        crew: Crew, db: Database,
    ) -> None:  # fmt: skip
        case, ana = await client_case(sessionmaker, crew, db, "Ana")
        docs = library_id(db, crew, "privacy_notice"), library_id(db, crew, "practice_policies")
        SCANNER.seen.clear()
        request_id, handle = await send(ts_env, sessionmaker, db, crew, case, ana, *docs)
        assert one(db, "SELECT lifecycle FROM people WHERE id = %s", ana) == "intake_pending"
        await until(lambda: _async(len(sent(db, "intake_invitation")) == 1))
        [invitation] = sent(db, "intake_invitation")
        assert "/invitation/" in invitation and "Canary" not in invitation
        first = await until(lambda: _waiting(handle))
        started = datetime.fromisoformat(first["deadline_at"]) - 7 * DAY
        assert first["next_reminder_at"] == (started + 2 * DAY).isoformat()
        assert first["recipients"] == 1 and first["outstanding"] == 1 and not first["overdue"]

        await ts_env.sleep(2 * DAY + HOUR)
        await until(lambda: _async(len(sent(db, "intake_reminder")) == 1))
        assert "/sign-in/" in sent(db, "intake_reminder")[0]  # a fresh 30-minute link
        assert (
            one(db, "SELECT reminders_sent FROM intake_recipients WHERE person_id = %s", ana) == 1
        )
        after_one = await until(lambda: _waiting(handle, reminders_sent=1))
        assert after_one["next_reminder_at"] == (started + 5 * DAY).isoformat()

        await ts_env.sleep(3 * DAY)
        await until(lambda: _async(len(sent(db, "intake_reminder")) == 2))
        assert tasks(db, request_id) == {}  # not overdue yet

        await ts_env.sleep(2 * DAY)  # past day 7: overdue, and still waiting
        await until(lambda: _async("intake_overdue" in tasks(db, request_id)))
        assert tasks(db, request_id)["intake_overdue"][0] == "open"
        overdue = await until(lambda: _waiting(handle, step=IntakeStep.overdue))
        assert overdue["overdue"] and overdue["next_reminder_at"] is None
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

        await complete_everything(ts_env, sessionmaker, crew, db, ana)
        assert await relay_pending(ts_env, sessionmaker, db) >= 1  # the portal's signal
        result = await handle.result()
        assert result["step"] == IntakeStep.completed
        assert one(db, "SELECT lifecycle FROM people WHERE id = %s", ana) == "active"
        assert one(db, "SELECT onboarding_state FROM case_participants WHERE person_id = %s",
                   ana) == "complete"  # fmt: skip
        found = tasks(db, request_id)
        assert found["intake_overdue"][0] == "done"
        assert found["intake_review"] == ("open", str(crew.team.provider.id))
        assert one(db, "SELECT status, step FROM workflow_runs WHERE workflow_id = %s",
                   handle.id) == ("completed", "completed")  # fmt: skip
        await ts_env.sleep(3 * DAY)
        assert len(sent(db, "intake_reminder")) == 2  # nothing after completion
        assert not SCANNER.saw("Canary") and not SCANNER.saw("ana@example.org")

    async def test_staff_resend_add_and_remove(
        self, ts_env: WorkflowEnvironment, ts_worker: Worker, sessionmaker: SessionMaker,
        crew: Crew, db: Database,
    ) -> None:  # fmt: skip
        case, bo = await client_case(sessionmaker, crew, db, "Bo")
        notice = library_id(db, crew, "privacy_notice")
        request_id, handle = await send(ts_env, sessionmaker, db, crew, case, bo, notice)
        await until(lambda: _async(len(sent(db, "intake_invitation")) == 1))
        await until(lambda: _waiting(handle))
        recipient = one(db, "SELECT id FROM intake_recipients WHERE request_id = %s", request_id)

        await change(sessionmaker, crew, case, request_id, ts_env, "resend", recipient=recipient)
        assert await relay_pending(ts_env, sessionmaker, db) == 1
        await until(lambda: _async(len(sent(db, "intake_invitation")) == 2))
        first, second = (_token(b) for b in sent(db, "intake_invitation"))
        assert first != second
        assert one(db, "SELECT count(*) FROM portal_links WHERE purpose = 'invitation'"
                   " AND revoked_at IS NULL AND used_at IS NULL") == 1  # fmt: skip

        policies = library_id(db, crew, "practice_policies")
        await change(sessionmaker, crew, case, request_id, ts_env, "add", item=policies)
        await complete_everything(ts_env, sessionmaker, crew, db, bo)  # both done now...
        await relay_pending(ts_env, sessionmaker, db)
        assert (await handle.result())["step"] == IntakeStep.completed

        case2, cy = await client_case(sessionmaker, crew, db, "Cy")
        request2, handle2 = await send(ts_env, sessionmaker, db, crew, case2, cy, notice)
        await until(lambda: _waiting(handle2))
        await change(sessionmaker, crew, case2, request2, ts_env, "add", item=policies)
        await relay_pending(ts_env, sessionmaker, db)
        account = one(
            db, "SELECT account_id FROM intake_recipients WHERE request_id = %s", request2
        )
        now = await ts_env.get_current_time()
        async with unit_of_work(sessionmaker, crew.practice_id) as uow:  # the notice only
            [entry] = [e for e in await items.items_for(uow, account, cy)
                       if e.library_item.key == "privacy_notice"]  # fmt: skip
            await items.complete_document(uow, entry, typed_name="", agreed=True, ip=None, now=now)
        await relay_pending(ts_env, sessionmaker, db)
        waiting = await until(lambda: _waiting(handle2, checks_above=2))
        assert waiting["outstanding"] == 1  # the added item keeps the intake open
        added = one(db, "SELECT id FROM intake_items WHERE request_id = %s AND status = 'pending'",
                    request2)  # fmt: skip
        await change(sessionmaker, crew, case2, request2, ts_env, "remove", line=added)
        await relay_pending(ts_env, sessionmaker, db)
        assert (await handle2.result())["step"] == IntakeStep.completed
        assert one(db, "SELECT status FROM intake_requests WHERE id = %s", request2) == "completed"

    async def test_cancel_and_closing_the_case_end_it(
        self, ts_env: WorkflowEnvironment, ts_worker: Worker, sessionmaker: SessionMaker,
        crew: Crew, db: Database,
    ) -> None:  # fmt: skip
        notice = library_id(db, crew, "privacy_notice")
        case, di = await client_case(sessionmaker, crew, db, "Di")
        request_id, handle = await send(ts_env, sessionmaker, db, crew, case, di, notice)
        await until(lambda: _waiting(handle))
        await ts_env.sleep(8 * DAY)
        await until(lambda: _async("intake_overdue" in tasks(db, request_id)))
        await change(sessionmaker, crew, case, request_id, ts_env, "cancel")
        with pytest.raises(InvalidInput) as twice:
            await change(sessionmaker, crew, case, request_id, ts_env, "cancel")
        assert "no longer open" in twice.value.field_errors["intake"]
        await relay_pending(ts_env, sessionmaker, db)
        assert (await handle.result())["step"] == IntakeStep.cancelled
        assert tasks(db, request_id)["intake_overdue"][0] == "done"
        assert "intake_review" not in tasks(db, request_id)
        assert one(db, "SELECT onboarding_state FROM case_participants WHERE person_id = %s",
                   di) == "not_started"  # fmt: skip
        assert one(db, "SELECT lifecycle FROM people WHERE id = %s", di) == "intake_pending"

        case2, ed = await client_case(sessionmaker, crew, db, "Ed")
        request2, handle2 = await send(ts_env, sessionmaker, db, crew, case2, ed, notice)
        await until(lambda: _waiting(handle2))
        async with unit_of_work(sessionmaker, crew.practice_id) as uow:
            c = await uow.session.get(Case, case2)
            assert c is not None
            await close_case(uow, c, TODAY)
        await relay_pending(ts_env, sessionmaker, db)
        assert (await handle2.result())["step"] == IntakeStep.ended
        assert one(db, "SELECT status, end_reason FROM intake_requests WHERE id = %s",
                   request2) == ("ended", "case_closed")  # fmt: skip

    async def test_turning_portal_access_off_ends_the_intake(
        self, ts_env: WorkflowEnvironment, ts_worker: Worker, sessionmaker: SessionMaker,
        crew: Crew, db: Database,
    ) -> None:  # fmt: skip
        notice = library_id(db, crew, "privacy_notice")
        case, hal = await client_case(sessionmaker, crew, db, "Hal")
        request_id, handle = await send(ts_env, sessionmaker, db, crew, case, hal, notice)
        await until(lambda: _waiting(handle))
        async with unit_of_work(sessionmaker, crew.practice_id) as uow:
            c = await uow.session.get(Case, case)
            assert c is not None
            await update_participant(uow, c, hal, portal_access=True)  # no change: still open
        assert one(db, "SELECT status FROM intake_requests WHERE id = %s", request_id) == "open"
        async with unit_of_work(sessionmaker, crew.practice_id) as uow:
            c = await uow.session.get(Case, case)
            assert c is not None
            await update_participant(uow, c, hal, portal_access=False)
        await relay_pending(ts_env, sessionmaker, db)
        assert (await handle.result())["step"] == IntakeStep.ended
        assert one(db, "SELECT status, end_reason FROM intake_requests WHERE id = %s",
                   request_id) == ("ended", "portal_access_off")  # fmt: skip
        assert one(db, "SELECT onboarding_state FROM case_participants WHERE person_id = %s",
                   hal) == "not_started"  # fmt: skip

    async def test_cancelling_the_run_cancels_the_open_intake(
        self, ts_env: WorkflowEnvironment, ts_worker: Worker, sessionmaker: SessionMaker,
        crew: Crew, db: Database,
    ) -> None:  # fmt: skip
        # The workflow console's Cancel: no open request is left behind without its process.
        notice = library_id(db, crew, "privacy_notice")
        case, gus = await client_case(sessionmaker, crew, db, "Gus")
        request_id, handle = await send(ts_env, sessionmaker, db, crew, case, gus, notice)
        await until(lambda: _waiting(handle))
        await ts_env.sleep(8 * DAY)
        await until(lambda: _async("intake_overdue" in tasks(db, request_id)))
        await handle.cancel()
        with pytest.raises(Exception):  # noqa: B017, PT011 - WorkflowFailureError(cancelled)
            await handle.result()
        assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
        assert one(db, "SELECT status, end_reason FROM intake_requests WHERE id = %s",
                   request_id) == ("cancelled", "cancelled")  # fmt: skip
        assert tasks(db, request_id)["intake_overdue"][0] == "done"
        assert one(db, "SELECT onboarding_state FROM case_participants WHERE person_id = %s",
                   gus) == "not_started"  # fmt: skip
        assert one(db, "SELECT status FROM workflow_runs WHERE workflow_id = %s",
                   handle.id) == "cancelled"  # fmt: skip

    async def test_the_portal_saves_while_the_worker_is_down(
        self, ts_env: WorkflowEnvironment, sessionmaker: SessionMaker, crew: Crew, db: Database,
        app: FastAPI, clock: FrozenClock,
    ) -> None:  # fmt: skip
        case, flo = await client_case(sessionmaker, crew, db, "Flo")
        notice, phq = library_id(db, crew, "privacy_notice"), library_id(db, crew, "phq9")
        worker = uncached_worker(ts_env, sessionmaker)
        async with worker:
            request_id, handle = await send(ts_env, sessionmaker, db, crew, case, flo, notice, phq)
            await until(lambda: _async(len(sent(db, "intake_invitation")) == 1))
            await until(lambda: _waiting(handle))
        # The worker is down (and the app cannot reach Temporal at all): the portal saves.
        clock.current = await ts_env.get_current_time()
        link = re.search(r"https?://[^/\s]+(/portal/\S+)", sent(db, "intake_invitation")[0])
        assert link is not None
        base = f"/portal/{crew.team.practice.link_name}"
        async with client_for(app) as portal:
            assert (await portal.post(link.group(1), data={"answer": DOB})).status_code == 303
            home = (await portal.get(f"{base}/")).text
            hrefs = {t: h for h, t in re.findall(
                rf'<a href="({re.escape(base)}/items/[0-9a-f-]+)">([^<]+)</a>', home)}  # fmt: skip
            draft = await portal.post(f"{hrefs['How you have been feeling']}/form",
                                      data={"action": "save", "phq9.q1": "1"})  # fmt: skip
            assert draft.status_code in (200, 303)
            done = await portal.post(f"{hrefs['How you have been feeling']}/form", data={
                "action": "submit", **{f"phq9.q{i}": "1" for i in range(1, 10)}})  # fmt: skip
            ack = await portal.post(f"{hrefs['Notice of privacy practices']}/document",
                                    data={"agreed": "1"})  # fmt: skip
            assert done.status_code == 303 and ack.status_code == 303
        assert (
            one(db, "SELECT status FROM intake_requests WHERE id = %s", request_id) == "completed"
        )
        assert one(db, "SELECT scores->0->>'total' FROM intake_items WHERE request_id = %s"
                   " AND scores IS NOT NULL", request_id) == "9"  # fmt: skip
        pending = one(db, "SELECT count(*) FROM workflow_outbox WHERE workflow_id = %s"
                      " AND status = 'pending'", handle.id)  # fmt: skip
        assert pending >= 1  # the signals wait in the outbox
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        assert one(db, "SELECT lifecycle FROM people WHERE id = %s", flo) == "intake_pending"
        # The worker returns and the relay delivers what waited: the workflow catches up.
        worker = uncached_worker(ts_env, sessionmaker)
        async with worker:
            # Due now (the app's failed attempts backed off). Async: the app's background
            # relay may still hold a row while it fails to reach Temporal.
            async with unit_of_work(sessionmaker, crew.practice_id) as uow:
                await uow.session.execute(
                    text(
                        "UPDATE workflow_outbox SET next_attempt_at = now()"
                        " WHERE status = 'pending'"
                    )
                )
            assert await relay_pending(ts_env, sessionmaker, db) >= 1
            assert (await handle.result())["step"] == IntakeStep.completed
        assert one(db, "SELECT lifecycle FROM people WHERE id = %s", flo) == "active"


async def _async(value: Any) -> Any:
    return value


async def _waiting(
    handle: WorkflowHandle[Any, Any], *, step: str = IntakeStep.waiting,
    reminders_sent: int | None = None, checks_above: int = 0,
) -> dict[str, Any] | None:  # fmt: skip
    current = await state(handle)
    if current["step"] != step or current["checks"] <= checks_above:
        return None
    if reminders_sent is not None and current["reminders_sent"] != reminders_sent:
        return None
    return current


def _token(body: str) -> str:
    found = re.search(r"/invitation/(\S+)", body)
    assert found is not None
    return found.group(1)
