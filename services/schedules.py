"""The registry of per-practice scheduled workflows (ARCHITECTURE §5) and their rows.

Each `ScheduleDefinition` says what runs, how often, at which *local* hours and what to do
when a run is still going at the next tick. A practice gets one Temporal Schedule per
definition, id `<prefix>-<practice id>`; `practice_schedules` holds one row per schedule
(the zone it was built for, when it was last ensured, the last run's counts).

Schedules are written to Temporal through the outbox (`schedule_upsert`, relayed by
`services.outbox.schedules`) when a practice is created or changes its time zone, and
re-ensured for every practice when the worker starts — so a restored database, a schedule
deleted by hand or an upsert lost in transit heals on the next start.

Safe local hours: ticks fall between `first_hour` and `last_hour` of the practice's own
clock (DST handled by Temporal's calendar spec with the zone name), so no reminder email
leaves at 3 a.m. — whatever became due overnight is handled at the first morning tick.
A later definition (BillingTick: daily at 05:00, BUFFER_ONE) is one more entry here.
A definition whose work is made due by a change (NoticeDispatch) is also *nudged*: the
change's transaction writes an outbox `schedule_trigger`, relayed after commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from core.db import UnitOfWork
from models.contracts.attention import ATTENTION_SWEEP_WORKFLOW
from models.contracts.common import TaskQueue
from models.contracts.notices import NOTICE_DISPATCH_WORKFLOW
from models.orm.workflow import PracticeSchedule
from services.outbox import commands


@dataclass(frozen=True)
class ScheduleDefinition:
    key: str
    workflow_type: str
    id_prefix: str
    every_minutes: int
    first_hour: int  # local, inclusive
    last_hour: int  # local, inclusive: the last tick is at last_hour:(60 - every_minutes)
    overlap: str  # a temporalio ScheduleOverlapPolicy name
    catchup_window: timedelta  # a tick missed for longer than this (server down) is dropped
    run_timeout: timedelta  # a stuck run ends, so SKIP does not skip forever
    task_queue: str = TaskQueue.default

    def schedule_id(self, practice_id: uuid.UUID) -> str:
        return f"{self.id_prefix}-{practice_id}"

    def workflow_id(self, practice_id: uuid.UUID) -> str:
        """The action's workflow id; Temporal appends each run's scheduled time to it."""
        return f"{self.id_prefix}-{practice_id}"

    def minutes(self) -> list[int]:
        return list(range(0, 60, self.every_minutes))

    def describe(self, time_zone: str) -> str:
        last = self.minutes()[-1]
        return (
            f"every {self.every_minutes} minutes from {self.first_hour:02d}:00 to "
            f"{self.last_hour:02d}:{last:02d} ({time_zone})"
        )


ATTENTION_SWEEP = ScheduleDefinition(
    key="attention_sweep",
    workflow_type=ATTENTION_SWEEP_WORKFLOW,
    id_prefix="attention-sweep",
    every_minutes=15,
    first_hour=7,
    last_hour=20,
    # A sweep still running at the next tick: skip that tick (the next one sees everything;
    # the sweep's own rows keep two overlapping runs from reminding twice anyway).
    overlap="SKIP",
    # A missed tick is not worth replaying: the next one covers it.
    catchup_window=timedelta(minutes=10),
    run_timeout=timedelta(minutes=30),
)

NOTICE_DISPATCH = ScheduleDefinition(
    key="notice_dispatch",
    workflow_type=NOTICE_DISPATCH_WORKFLOW,
    id_prefix="notice-dispatch",
    # The backstop: every change nudges the schedule (`nudge`), so ticks only catch what a
    # lost nudge left behind. Nudged runs go at once whatever the hour — they follow a
    # person's own change at that moment; ticks keep to the safe hours.
    every_minutes=5,
    first_hour=7,
    last_hour=21,
    # A nudge while a run sends: buffer one run, which starts after it and sees the rows
    # the nudging change committed; more nudges meanwhile coalesce into that one.
    overlap="BUFFER_ONE",
    catchup_window=timedelta(minutes=5),
    run_timeout=timedelta(minutes=10),
)

REGISTRY: tuple[ScheduleDefinition, ...] = (ATTENTION_SWEEP, NOTICE_DISPATCH)
BY_KEY = {d.key: d for d in REGISTRY}


def definition(key: str) -> ScheduleDefinition | None:
    return BY_KEY.get(key)


async def enqueue_upserts(uow: UnitOfWork, practice_id: uuid.UUID) -> None:
    """Rows for every schedule of the practice, and an outbox upsert for each. The relay
    reads the practice's time zone when it sends, so the latest zone always wins."""
    for d in REGISTRY:
        await uow.session.execute(
            insert(PracticeSchedule)
            .values(
                id=uuid.uuid4(),
                practice_id=practice_id,
                key=d.key,
                schedule_id=d.schedule_id(practice_id),
            )
            .on_conflict_do_nothing(index_elements=["practice_id", "key"])
        )
        await commands.upsert_schedule(
            uow, schedule_key=d.key, schedule_id=d.schedule_id(practice_id)
        )


async def nudge(uow: UnitOfWork, d: ScheduleDefinition) -> None:
    """Run the practice's schedule now (an outbox `schedule_trigger`, sent after commit),
    so work this transaction made due is done within seconds rather than at the next tick."""
    assert uow.practice_id is not None
    await commands.trigger_schedule(uow, schedule_id=d.schedule_id(uow.practice_id))


async def mark_ensured(uow: UnitOfWork, key: str, time_zone: str, now: datetime) -> None:
    d = BY_KEY[key]
    assert uow.practice_id is not None
    stmt = insert(PracticeSchedule).values(
        id=uuid.uuid4(), practice_id=uow.practice_id, key=key,
        schedule_id=d.schedule_id(uow.practice_id), time_zone=time_zone, ensured_at=now,
    )  # fmt: skip
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["practice_id", "key"],
            set_={"time_zone": time_zone, "ensured_at": now},
        )
    )


async def record_run(
    uow: UnitOfWork,
    key: str,
    *,
    workflow_id: str,
    as_of: datetime,
    counts: dict[str, int],
    now: datetime,
) -> None:
    """The last run's counts (ids and numbers only), kept unless a later run wrote already."""
    await uow.session.execute(
        update(PracticeSchedule)
        .where(
            PracticeSchedule.practice_id == uow.practice_id,
            PracticeSchedule.key == key,
            (PracticeSchedule.last_run_as_of.is_(None))
            | (PracticeSchedule.last_run_as_of <= as_of),
        )
        .values(
            last_run_workflow_id=workflow_id,
            last_run_as_of=as_of,
            last_run_finished_at=now,
            last_counts=counts,
        )
    )


async def practice_schedules(uow: UnitOfWork) -> list[PracticeSchedule]:
    rows = await uow.session.scalars(
        select(PracticeSchedule)
        .where(PracticeSchedule.practice_id == uow.practice_id)
        .order_by(PracticeSchedule.key)
    )
    return list(rows)
