"""Per-practice Schedules on the real dev server (the time-skipping server has none):
ensured when the worker starts and healed after a deletion, rebuilt through the outbox
when the practice's time zone changes (ticks at safe local hours, across DST), and the
AttentionSweep they start — by trigger and by backfill, overlapping runs included —
covering exactly its scheduled tick and reminding once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from temporalio.api.workflowservice.v1 import ListScheduleMatchingTimesRequest
from temporalio.client import (
    ScheduleActionStartWorkflow,
    ScheduleBackfill,
    ScheduleOverlapPolicy,
)
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.db import SessionMaker, unit_of_work
from services.outbox import schedules as outbox_schedules
from services.outbox.relay import OutboxRelay
from services.practice_settings import update_profile
from services.practices import get_practice
from services.schedules import ATTENTION_SWEEP, NOTICE_DISPATCH
from services.tasks.kinds import TaskKind
from tests.fixtures.app import settings_for
from tests.fixtures.db import Database
from tests.fixtures.factories import Team, make_practice
from tests.fixtures.tasks import open_for
from tests.fixtures.temporal import FixedClient
from tests.fixtures.waiting import until
from worker import run


async def matching_times(
    env: WorkflowEnvironment, schedule_id: str, start: datetime, end: datetime
) -> list[datetime]:
    request = ListScheduleMatchingTimesRequest(
        namespace=env.client.namespace, schedule_id=schedule_id
    )
    request.start_time.FromDatetime(start)
    request.end_time.FromDatetime(end)
    response = await env.client.workflow_service.list_schedule_matching_times(request)
    return [t.ToDatetime().replace(tzinfo=UTC) for t in response.start_time]


def local_day(zone: str, day: str) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(zone))
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


class TestEnsure:
    async def test_the_worker_ensures_every_practices_schedules_and_heals_a_deleted_one(
        self, dev_env: WorkflowEnvironment, db: Database, sessionmaker: SessionMaker
    ) -> None:
        a = await make_practice(sessionmaker, timezone="America/Chicago")
        b = await make_practice(sessionmaker, timezone="Europe/Berlin")
        with db.owner() as owner:  # the outbox never delivered: only the worker's start helps
            owner.execute("UPDATE workflow_outbox SET status = 'failed'")
        target = dev_env.client.service_client.config.target_host
        settings = settings_for(db, TEMPORAL_ADDRESS=target, OUTBOX_SWEEP_SECONDS=60)
        handles = {p.id: dev_env.client.get_schedule_handle(ATTENTION_SWEEP.schedule_id(p.id))
                   for p in (a, b)}  # fmt: skip

        async def start_worker_until_ensured() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(run(settings, stop))
            try:
                for handle in handles.values():
                    await until(handle.describe)
            finally:
                stop.set()
                await asyncio.wait_for(task, 30)

        await start_worker_until_ensured()
        described = await handles[b.id].describe()
        spec = described.schedule.spec
        assert spec.time_zone_name == "Europe/Berlin"
        [calendar] = spec.calendars
        assert [(r.start, r.end) for r in calendar.hour] == [(7, 20)]
        assert [r.start for r in calendar.minute] == [0, 15, 30, 45]
        assert described.schedule.policy.overlap is ScheduleOverlapPolicy.SKIP
        assert described.schedule.policy.catchup_window == timedelta(minutes=10)
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.id) == ("AttentionSweep", f"attention-sweep-{b.id}")
        notices = await dev_env.client.get_schedule_handle(
            NOTICE_DISPATCH.schedule_id(b.id)
        ).describe()
        [calendar] = notices.schedule.spec.calendars
        assert [(r.start, r.end) for r in calendar.hour] == [(7, 21)]
        assert [r.start for r in calendar.minute] == list(range(0, 60, 5))
        # a nudge while a run sends buffers one more run (it sees the nudging change)
        assert notices.schedule.policy.overlap is ScheduleOverlapPolicy.BUFFER_ONE
        with db.owner() as owner:
            rows = owner.execute(
                "SELECT practice_id, key, time_zone, ensured_at IS NOT NULL"
                " FROM practice_schedules ORDER BY time_zone, key"
            ).fetchall()
        assert rows == [
            (a.id, "attention_sweep", "America/Chicago", True),
            (a.id, "notice_dispatch", "America/Chicago", True),
            (b.id, "attention_sweep", "Europe/Berlin", True),
            (b.id, "notice_dispatch", "Europe/Berlin", True),
        ]

        # someone deletes a schedule by hand: the next worker start brings it back
        await handles[a.id].delete()
        with pytest.raises(RPCError):
            await handles[a.id].describe()
        await start_worker_until_ensured()
        assert (await handles[a.id].describe()).schedule.spec.time_zone_name == "America/Chicago"

    async def test_a_practice_that_cannot_be_ensured_does_not_block_the_others(
        self, dev_env: WorkflowEnvironment, db: Database, sessionmaker: SessionMaker
    ) -> None:
        broken = await make_practice(sessionmaker, timezone="America/Chicago")
        fine = await make_practice(sessionmaker, timezone="Europe/Lisbon")
        with db.owner() as owner:  # a zone Temporal does not know (a restored old row, say)
            owner.execute("UPDATE practices SET timezone = 'Mars/Olympus_Mons' WHERE id = %s",
                          (broken.id,))  # fmt: skip
        ensured, failed = await outbox_schedules.ensure_all(dev_env.client, sessionmaker)
        assert (ensured, failed) == (2, 2)  # each of the two schedules
        fine_schedule = dev_env.client.get_schedule_handle(ATTENTION_SWEEP.schedule_id(fine.id))
        assert (await fine_schedule.describe()).schedule.spec.time_zone_name == "Europe/Lisbon"


class TestTimeZone:
    async def test_a_time_zone_change_moves_the_ticks_through_the_outbox(
        self, dev_env: WorkflowEnvironment, sessionmaker: SessionMaker
    ) -> None:
        practice = await make_practice(sessionmaker, timezone="America/Chicago")
        relay = OutboxRelay(FixedClient(dev_env.client), sessionmaker)
        await relay.sweep()  # the welcome start and the schedule upsert of create_practice
        schedule_id = ATTENTION_SWEEP.schedule_id(practice.id)
        await until(dev_env.client.get_schedule_handle(schedule_id).describe)

        # 07:00 to 20:45 practice time, 56 ticks a day, also across the DST change
        # (Sunday 2027-03-14 in Chicago): 13:00 UTC the day before, 12:00 UTC that day
        for day, first_utc in (("2027-03-13", 13), ("2027-03-14", 12)):
            times = await matching_times(dev_env, schedule_id, *local_day("America/Chicago", day))
            local = [t.astimezone(ZoneInfo("America/Chicago")) for t in times]
            assert len(times) == 56
            assert (local[0].hour, local[0].minute, local[-1].hour, local[-1].minute) == (
                7,
                0,
                20,
                45,
            )
            assert times[0].hour == first_utc

        async with unit_of_work(sessionmaker, practice.id) as uow:
            current = await get_practice(uow)
            await update_profile(uow, current, name=current.name, timezone="Asia/Tokyo",
                                 link_name=current.link_name)  # fmt: skip
        await relay.sweep()

        async def in_tokyo() -> bool:
            d = await dev_env.client.get_schedule_handle(schedule_id).describe()
            return d.schedule.spec.time_zone_name == "Asia/Tokyo"

        await until(in_tokyo)
        times = await matching_times(dev_env, schedule_id, *local_day("Asia/Tokyo", "2027-03-14"))
        local = [t.astimezone(ZoneInfo("Asia/Tokyo")) for t in times]
        assert (local[0].hour, local[-1].hour, local[-1].minute, len(times)) == (7, 20, 45, 56)
        assert times[0] == datetime(2027, 3, 13, 22, 0, tzinfo=UTC)  # 07:00 JST


def sweep_record(db: Database, practice_id: uuid.UUID) -> tuple[Any, ...] | None:
    with db.owner() as owner:
        return owner.execute(
            "SELECT last_run_as_of, last_counts, last_run_workflow_id FROM practice_schedules"
            " WHERE practice_id = %s", (practice_id,),
        ).fetchone()  # fmt: skip


def reminders(db: Database) -> list[tuple[Any, ...]]:
    with db.owner() as owner:
        return owner.execute(
            "SELECT t.title, a.sweep_run_id FROM task_alerts a JOIN tasks t ON t.id = a.task_id"
            " WHERE a.kind = 'reminder'"
        ).fetchall()


class TestScheduledSweep:
    async def test_a_triggered_run_reminds_and_reports(
        self, dev_env: WorkflowEnvironment, dev_worker: tuple[Worker, OutboxRelay],
        ours: Team, sessionmaker: SessionMaker, db: Database,
    ) -> None:  # fmt: skip
        _, relay = dev_worker
        late = datetime.now(UTC) - timedelta(minutes=30) - datetime(2026, 12, 1, 15, tzinfo=UTC)
        await open_for(sessionmaker, ours, "Late", assignee=ours.provider.id, due_in=late)
        await relay.sweep()
        handle = dev_env.client.get_schedule_handle(ATTENTION_SWEEP.schedule_id(ours.practice.id))
        await until(handle.describe)
        await handle.pause(note="test: only the trigger runs")  # no real tick interferes
        await handle.trigger()

        async def finished() -> bool:
            row = sweep_record(db, ours.practice.id)
            return row is not None and row[0] is not None

        await until(finished)
        as_of, counts, workflow_id = sweep_record(db, ours.practice.id) or ()
        assert counts["overdue_tasks.reminded"] == 1
        assert workflow_id.startswith(f"attention-sweep-{ours.practice.id}-")
        assert abs(datetime.now(UTC) - as_of) < timedelta(minutes=1)  # the trigger's time
        with db.owner() as owner:
            run_row = owner.execute(
                "SELECT status, step FROM workflow_runs WHERE workflow_id = %s",
                (ATTENTION_SWEEP.schedule_id(ours.practice.id),),  # one row per schedule
            ).fetchone()
        assert run_row == ("completed", "done")

    async def test_backfilled_ticks_cover_their_own_time_and_overlap_safely(
        self, dev_env: WorkflowEnvironment, dev_worker: tuple[Worker, OutboxRelay],
        ours: Team, sessionmaker: SessionMaker, db: Database,
    ) -> None:  # fmt: skip
        _, relay = dev_worker
        base = datetime(2026, 12, 1, 15, tzinfo=UTC)
        # yesterday 10:00–11:00 in Chicago (16:00–17:00 UTC): a task fell due at 10:20
        tick0 = (datetime.now(UTC) - timedelta(days=1)).replace(
            hour=16, minute=0, second=0, microsecond=0
        )
        await open_for(sessionmaker, ours, "Fell due 10:20", assignee=ours.provider.id,
                       due_in=tick0 + timedelta(minutes=20) - base)  # fmt: skip
        await open_for(sessionmaker, ours, "Due later", assignee=ours.provider.id,
                       due_in=tick0 + timedelta(hours=3) - base)  # fmt: skip
        await open_for(sessionmaker, ours, "Long overdue", assignee=ours.provider.id,
                       due_in=tick0 - timedelta(days=3) - base)  # fmt: skip
        await open_for(sessionmaker, ours, "Intake overdue", assignee=ours.provider.id,
                       workflow_id="intake-1", kind=TaskKind.intake_overdue,
                       due_in=tick0 - timedelta(days=3) - base)  # fmt: skip
        await relay.sweep()
        handle = dev_env.client.get_schedule_handle(ATTENTION_SWEEP.schedule_id(ours.practice.id))
        await until(handle.describe)
        await handle.pause(note="test: only the backfill runs")
        # five ticks at once (10:00 … 11:00; the start is exclusive), side by side
        await handle.backfill(
            ScheduleBackfill(
                start_at=tick0 - timedelta(minutes=1),
                end_at=tick0 + timedelta(hours=1),
                overlap=ScheduleOverlapPolicy.ALLOW_ALL,
            )
        )

        async def five_runs_done() -> bool:
            query = f"WorkflowType = 'AttentionSweep' AND PracticeId = '{ours.practice.id}' AND ExecutionStatus = 'Completed'"
            return len([w async for w in dev_env.client.list_workflows(query)]) == 5

        await until(five_runs_done, within=30)
        # once each, by whichever run got there first; the workflow's own task never
        assert sorted(title for title, _ in reminders(db)) == ["Fell due 10:20", "Long overdue"]
        with db.owner() as owner:
            escalations = owner.execute(
                "SELECT t.title, a.recipient_id FROM task_alerts a JOIN tasks t ON t.id = a.task_id"
                " WHERE a.kind = 'escalation'"
            ).fetchall()
        assert escalations == [("Long overdue", ours.owner.id)]
        # the last tick recorded is 11:00 itself (TemporalScheduledStartTime), not "now"
        as_of, counts, _ = sweep_record(db, ours.practice.id) or ()
        assert as_of == tick0 + timedelta(hours=1)
        assert counts["overdue_tasks.owned_skipped"] == 1
