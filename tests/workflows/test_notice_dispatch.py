"""NoticeDispatch with the real activities on real Postgres: under time skipping it sends
each due notice once (a moved booking sends only "moved"), works through a backlog in
batches, reports counts in the `state` query, `practice_schedules` and `workflow_runs`,
and carries no name in its payloads; on the dev server a booking *nudges* the practice's
schedule through the outbox, so the notice is queued within seconds without a tick."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.db import SessionMaker, unit_of_work
from models.contracts.common import TaskQueue
from models.contracts.notices import NoticeDispatchInput, NoticeDispatchState, NoticeStep
from services.access import Action
from services.outbox.relay import OutboxRelay
from services.schedules import NOTICE_DISPATCH
from services.scheduling import appointments as appts
from services.scheduling import notices
from services.scheduling.catalog import LocationIn, ServiceIn, create_location, create_service
from tests.fixtures.cases import Crew, open_case, person
from tests.fixtures.db import Database
from tests.fixtures.tasks import NOW
from tests.fixtures.temporal import SCANNER
from tests.fixtures.waiting import until
from workflows._schedule import SCHEDULED_AT

TZ = "America/Chicago"
START = datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo(TZ))


async def catalog(sessionmaker: SessionMaker, crew: Crew) -> tuple[uuid.UUID, uuid.UUID]:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        service = await create_service(
            uow, ServiceIn(name="Canary therapy", duration_minutes=50, fee="150")
        )
        office = await create_location(
            uow, LocationIn(name="Office", timezone=TZ, formats=["in_person"])
        )
    return service.id, office.id


async def book(
    sessionmaker: SessionMaker, crew: Crew, case: uuid.UUID, ids: tuple[uuid.UUID, uuid.UUID],
    at: datetime, relay: OutboxRelay | None = None,
) -> uuid.UUID:  # fmt: skip
    async with unit_of_work(sessionmaker, crew.practice_id, relay.relay if relay else None) as uow:
        booked = await appts.book(
            uow, crew.actor("provider"),
            appts.Booking(case_id=case, service_id=ids[0], location_id=ids[1], starts_at=at),
            tz=TZ, now=NOW,
        )  # fmt: skip
    return booked.id


async def dispatch(env: WorkflowEnvironment, crew: Crew, workflow_id: str) -> NoticeDispatchState:
    result: NoticeDispatchState = await env.client.execute_workflow(
        "NoticeDispatch",
        NoticeDispatchInput(practice_id=crew.practice_id, as_of=NOW),
        id=workflow_id,
        task_queue=TaskQueue.default,
        result_type=NoticeDispatchState,
    )
    return result


def notice_mails(db: Database) -> list[tuple[str, str, str]]:
    with db.owner() as owner:
        return [
            (r[0], r[1], r[2])
            for r in owner.execute(
                "SELECT recipient, subject, body_text FROM mail_outbox"
                " WHERE template = 'appointment_notice' ORDER BY recipient, created_at"
            ).fetchall()
        ]


class TestUnderTimeSkipping:
    async def test_sends_once_skips_stale_and_reports(
        self, ts_env: WorkflowEnvironment, ts_worker: Worker, sessionmaker: SessionMaker,
        crew: Crew, db: Database,
    ) -> None:  # fmt: skip
        ids = await catalog(sessionmaker, crew)
        case = await open_case(
            sessionmaker, crew, "individual", person("Canary", "Quill", email="cq@example.org")
        )
        booked = await book(sessionmaker, crew, case, ids, START)
        async with unit_of_work(sessionmaker, crew.practice_id) as uow:
            a = await appts.load_appointment(
                uow, crew.actor("provider"), booked, Action.change_case
            )
            await appts.reschedule(uow, a, START + timedelta(hours=2), tz=TZ)

        workflow_id = f"notice-dispatch-test-{uuid.uuid4()}"
        state = await dispatch(ts_env, crew, workflow_id)
        assert (state.step, state.sent, state.stale, state.batches) == (NoticeStep.done, 1, 1, 1)
        assert state.as_of == NOW
        [(recipient, subject, body)] = notice_mails(db)
        assert recipient == "cq@example.org" and subject.startswith("Appointment moved")
        assert "12:00 (America/Chicago, CST)" in body

        again = await dispatch(ts_env, crew, f"notice-dispatch-test-{uuid.uuid4()}")
        assert (again.sent, again.stale) == (0, 0)  # nothing twice
        assert len(notice_mails(db)) == 1
        with db.owner() as owner:
            counts = owner.execute(
                "SELECT last_counts FROM practice_schedules WHERE key = 'notice_dispatch'"
            ).fetchone()
            run = owner.execute(
                "SELECT status, step FROM workflow_runs WHERE workflow_id = %s", (workflow_id,)
            ).fetchone()
        assert counts == ({"sent": 0, "stale": 0},)  # the last run's
        assert run == ("completed", "done")
        assert not SCANNER.saw("Canary") and not SCANNER.saw("cq@example.org")

    async def test_a_backlog_goes_out_in_batches(
        self, ts_env: WorkflowEnvironment, ts_worker: Worker, sessionmaker: SessionMaker,
        crew: Crew, db: Database, monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        monkeypatch.setattr(notices, "BATCH", 2)
        ids = await catalog(sessionmaker, crew)
        group = await open_case(
            sessionmaker, crew, "therapy_group",
            *(person(f"Member{i}", "Group", email=f"m{i}@example.org") for i in range(5)),
            name="Tuesday group",
        )  # fmt: skip
        await book(sessionmaker, crew, group, ids, START)
        state = await dispatch(ts_env, crew, f"notice-dispatch-test-{uuid.uuid4()}")
        assert (state.sent, state.batches) == (5, 3)  # 2 + 2 + 1
        assert [m[0] for m in notice_mails(db)] == [f"m{i}@example.org" for i in range(5)]

    async def test_a_practice_that_is_gone_ends_quietly(
        self, ts_env: WorkflowEnvironment, ts_worker: Worker, db: Database
    ) -> None:
        result: NoticeDispatchState = await ts_env.client.execute_workflow(
            "NoticeDispatch", NoticeDispatchInput(practice_id=uuid.uuid4(), as_of=NOW),
            id=f"notice-dispatch-test-{uuid.uuid4()}", task_queue=TaskQueue.default,
            result_type=NoticeDispatchState,
        )  # fmt: skip
        assert (result.step, result.batches) == (NoticeStep.done, 0)
        with db.owner() as owner:
            assert owner.execute("SELECT count(*) FROM workflow_runs").fetchone() == (0,)


async def nudge_runs(env: WorkflowEnvironment, crew: Crew) -> list[datetime]:
    """The scheduled start times of the practice's finished NoticeDispatch runs."""
    query = (
        f"WorkflowType = 'NoticeDispatch' AND PracticeId = '{crew.practice_id}'"
        " AND ExecutionStatus = 'Completed'"
    )
    out = []
    async for w in env.client.list_workflows(query):
        at = w.typed_search_attributes.get(SCHEDULED_AT)
        if at is not None:
            out.append(at)
    return out


class TestNudged:
    async def test_a_booking_triggers_the_schedule_and_the_notice_leaves(
        self, dev_env: WorkflowEnvironment, dev_worker: tuple[Worker, OutboxRelay],
        sessionmaker: SessionMaker, crew: Crew, db: Database,
    ) -> None:  # fmt: skip
        _, relay = dev_worker
        await relay.sweep()  # the practice's schedules exist
        handle = dev_env.client.get_schedule_handle(NOTICE_DISPATCH.schedule_id(crew.practice_id))
        await until(handle.describe)
        ids = await catalog(sessionmaker, crew)
        case = await open_case(
            sessionmaker, crew, "individual", person("Nudge", "Client", email="nc@example.org")
        )
        await book(sessionmaker, crew, case, ids, START, relay=relay)  # relayed after commit
        await relay.settle()

        async def queued() -> bool:
            return len(notice_mails(db)) == 1

        async def finished() -> list[datetime]:
            return await nudge_runs(dev_env, crew)

        await until(queued, within=30)
        runs = await until(finished, within=30)
        # a tick starts on a 5-minute boundary; the nudge's run starts when it was triggered
        assert any((at.minute % 5, at.second, at.microsecond) != (0, 0, 0) for at in runs)
        with db.owner() as owner:
            trigger = owner.execute(
                "SELECT status, workflow_id FROM workflow_outbox WHERE command = 'schedule_trigger'"
            ).fetchall()
            run = owner.execute(
                "SELECT status FROM workflow_runs WHERE workflow_id = %s",
                (NOTICE_DISPATCH.schedule_id(crew.practice_id),),  # one row per schedule
            ).fetchone()
        assert trigger == [("sent", NOTICE_DISPATCH.schedule_id(crew.practice_id))]
        assert run == ("completed",)

    async def test_a_paused_schedule_is_not_nudged(
        self, dev_env: WorkflowEnvironment, dev_worker: tuple[Worker, OutboxRelay],
        sessionmaker: SessionMaker, crew: Crew, db: Database,
    ) -> None:  # fmt: skip
        _, relay = dev_worker
        await relay.sweep()
        handle = dev_env.client.get_schedule_handle(NOTICE_DISPATCH.schedule_id(crew.practice_id))
        await until(handle.describe)
        await handle.pause(note="test: the operator stops notices")
        ids = await catalog(sessionmaker, crew)
        case = await open_case(
            sessionmaker, crew, "individual", person("Paused", "Client", email="pc@example.org")
        )
        await book(sessionmaker, crew, case, ids, START, relay=relay)
        await relay.settle()  # the relay has handled the nudge: it saw the pause and stopped
        with db.owner() as owner:
            trigger = owner.execute(
                "SELECT status FROM workflow_outbox WHERE command = 'schedule_trigger'"
            ).fetchall()
            waiting = owner.execute(
                "SELECT count(*) FROM appointment_notices WHERE sent_at IS NULL"
            ).fetchone()
        assert trigger == [("sent",)]  # handled: the pause said no
        assert notice_mails(db) == [] and waiting == (1,)  # the notice waits in Postgres
        assert await nudge_runs(dev_env, crew) == []
