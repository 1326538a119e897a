"""Writing the schedule registry (services.schedules) into Temporal.

`upsert` builds a practice's Schedule from its definition and the practice's *current*
time zone (read by the caller from Postgres when the command is sent, so the latest zone
wins however the commands raced) and creates it, or updates it in place keeping its state
(an operator's pause stays). `ensure_all` does that for every practice and every
definition: the worker runs it at start, so a schedule deleted by hand, lost with a
restored Temporal database or never created (an upsert that failed for good) heals.
Like the relay, this module is allowed to talk to Temporal (import-linter exception).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from core.db import SessionMaker, UnitOfWork, unit_of_work
from models.contracts.common import SEARCH_ATTRIBUTE_PRACTICE_ID
from models.orm.practice import Practice
from services import cross_practice, schedules
from services.schedules import ScheduleDefinition

log = logging.getLogger(__name__)

PRACTICE_KEY = SearchAttributeKey.for_keyword(SEARCH_ATTRIBUTE_PRACTICE_ID)
RPC_TIMEOUT = timedelta(seconds=5)


def build(defn: ScheduleDefinition, practice_id: uuid.UUID, time_zone: str) -> Schedule:
    attributes = TypedSearchAttributes([SearchAttributePair(PRACTICE_KEY, str(practice_id))])
    return Schedule(
        action=ScheduleActionStartWorkflow(
            defn.workflow_type,
            {"practice_id": str(practice_id)},
            id=defn.workflow_id(practice_id),
            task_queue=defn.task_queue,
            execution_timeout=defn.run_timeout,
            typed_search_attributes=attributes,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    minute=[ScheduleRange(m) for m in defn.minutes()],
                    hour=[ScheduleRange(defn.first_hour, defn.last_hour)],
                    comment=defn.describe(time_zone),
                )
            ],
            time_zone_name=time_zone,
        ),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy[defn.overlap], catchup_window=defn.catchup_window
        ),
    )


async def upsert(client: Client, defn: ScheduleDefinition, practice: Practice) -> None:
    schedule = build(defn, practice.id, practice.timezone)
    schedule_id = defn.schedule_id(practice.id)
    try:
        await client.create_schedule(
            schedule_id,
            schedule,
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(PRACTICE_KEY, str(practice.id))]
            ),
            rpc_timeout=RPC_TIMEOUT,
        )
        return
    except ScheduleAlreadyRunningError:
        pass

    def keep_state(current: ScheduleUpdateInput) -> ScheduleUpdate:
        schedule.state = current.description.schedule.state
        return ScheduleUpdate(schedule=schedule)

    await client.get_schedule_handle(schedule_id).update(keep_state, rpc_timeout=RPC_TIMEOUT)


async def upsert_for(uow: UnitOfWork, client: Client, key: str) -> bool:
    """The relay's schedule_upsert: False when the practice or the definition is gone."""
    defn = schedules.definition(key)
    practice = await uow.session.scalar(select(Practice).where(Practice.id == uow.practice_id))
    if defn is None or practice is None:
        return False
    await upsert(client, defn, practice)
    await schedules.mark_ensured(uow, key, practice.timezone, datetime.now(UTC))
    return True


async def ensure_all(client: Client, sessionmaker: SessionMaker) -> tuple[int, int]:
    """Every registered schedule of every practice: (ensured, failed). One practice that
    cannot be ensured (say, a time zone the server does not know) is logged and skipped;
    it does not keep the others from being repaired."""
    async with sessionmaker() as session, session.begin():
        practice_ids = await cross_practice.all_practice_ids(session)
    ensured = failed = 0
    for practice_id in practice_ids:
        for defn in schedules.REGISTRY:
            try:
                async with unit_of_work(sessionmaker, practice_id) as uow:
                    ensured += await upsert_for(uow, client, defn.key)
            except Exception as exc:
                failed += 1
                log.warning(
                    "schedule %s of practice %s not ensured (%s)",
                    defn.key, practice_id, type(exc).__name__,
                )  # fmt: skip
    return ensured, failed
