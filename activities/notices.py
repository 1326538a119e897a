"""Activities of NoticeDispatch: send one batch of due notices; finish the run.

A batch is one transaction with the practice set (services.scheduling.notices.
dispatch_due): the mail is queued and the notice marked in that transaction, so a retried
attempt finds the rows marked and sends nothing twice. Progress and the end go to
`workflow_runs` under the run key (the schedule id for scheduled runs), the counts to
`practice_schedules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from temporalio import activity

from activities.runs import RunRef, progress_of
from core.db import OutboxRelayHook, SessionMaker, unit_of_work
from models.contracts.notices import (
    NoticeBatch,
    NoticeBatchInput,
    NoticeDispatchFinish,
    NoticeStep,
)
from models.orm.practice import Practice
from models.orm.workflow import RunStatus
from services import schedules, workflow_runs
from services.scheduling import notices


def _run_ref(run_key: str) -> RunRef:
    ref = progress_of(activity.info())
    ref["workflow_id"] = run_key
    return ref


@dataclass(frozen=True)
class NoticeActivities:
    sessionmaker: SessionMaker
    relay: OutboxRelayHook | None
    app_base_url: str

    @activity.defn
    async def dispatch_notice_batch(self, inp: NoticeBatchInput) -> NoticeBatch:
        now = datetime.now(UTC)
        async with unit_of_work(self.sessionmaker, inp.practice_id, self.relay) as uow:
            found = await uow.session.scalar(
                select(Practice.id).where(Practice.id == inp.practice_id)
            )
            if found is None:  # the practice is gone (or another database): nothing to do
                return NoticeBatch(practice_found=False)
            await workflow_runs.record_progress(
                uow, **_run_ref(inp.run_key), step=NoticeStep.sending, now=now
            )
            counts = await notices.dispatch_due(uow, now, self.app_base_url)
        sent, stale = counts.get("sent", 0), counts.get("stale", 0)
        return NoticeBatch(sent=sent, stale=stale, more=sent + stale >= notices.BATCH)

    @activity.defn
    async def finish_notice_dispatch(self, inp: NoticeDispatchFinish) -> None:
        now = datetime.now(UTC)
        async with unit_of_work(self.sessionmaker, inp.practice_id) as uow:
            await schedules.record_run(
                uow, schedules.NOTICE_DISPATCH.key, workflow_id=activity.info().workflow_id or "",
                as_of=inp.as_of, counts={"sent": inp.sent, "stale": inp.stale}, now=now,
            )  # fmt: skip
            await workflow_runs.record_progress(
                uow, **_run_ref(inp.run_key), step=NoticeStep.done, status=RunStatus.completed,
                now=now,
            )  # fmt: skip
