from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypedDict

from temporalio import activity

from core.db import SessionMaker, unit_of_work
from models.contracts.common import CloseRun
from models.orm.workflow import RunStatus
from services import workflow_runs


class RunRef(TypedDict):
    workflow_id: str
    workflow_type: str
    run_id: str


def progress_of(info: activity.Info) -> RunRef:
    """The calling workflow's identity, from the activity's own info (not its input)."""
    return RunRef(
        workflow_id=info.workflow_id or "",
        workflow_type=info.workflow_type or "",
        run_id=info.workflow_run_id or "",
    )


@dataclass(frozen=True)
class RunActivities:
    sessionmaker: SessionMaker

    @activity.defn
    async def close_run(self, inp: CloseRun) -> None:
        """The workflow's final status in workflow_runs (completed, failed, cancelled)."""
        ref = progress_of(activity.info())
        if inp.run_key is not None:
            ref["workflow_id"] = inp.run_key
        async with unit_of_work(self.sessionmaker, inp.practice_id) as uow:
            await workflow_runs.record_progress(
                uow, **ref, step=inp.step, status=RunStatus(inp.status), now=datetime.now(UTC)
            )
