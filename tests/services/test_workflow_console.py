"""The console's cancel as a domain command: it marks a running run, creates the row of a
run nobody recorded yet, and never reopens a run that finished in the meantime."""

from __future__ import annotations

from datetime import UTC, datetime

from core.db import SessionMaker, unit_of_work
from models.orm.workflow import RunStatus
from services import workflow_console, workflow_runs
from tests.fixtures.db import Database
from tests.fixtures.factories import PracticeRef

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)


def run_row(db: Database, workflow_id: str) -> tuple[object, ...] | None:
    with db.owner() as owner:
        return owner.execute(
            "SELECT status, step, closed_at IS NOT NULL FROM workflow_runs WHERE workflow_id = %s",
            (workflow_id,),
        ).fetchone()


def cancels(db: Database) -> list[tuple[object, ...]]:
    with db.owner() as owner:
        return owner.execute(
            "SELECT workflow_id, args->>'run_id' FROM workflow_outbox WHERE command = 'cancel'"
            " ORDER BY created_at"
        ).fetchall()


async def cancel(sessionmaker: SessionMaker, practice: PracticeRef, workflow_id: str) -> None:
    async with unit_of_work(sessionmaker, practice.id) as uow:
        await workflow_console.request_cancel(
            uow, workflow_id=workflow_id, run_id="run-1", workflow_type="AttentionSweep",
            run_key=workflow_id, now=NOW,
        )  # fmt: skip


async def test_a_finished_run_stays_finished(
    sessionmaker: SessionMaker, practice: PracticeRef, db: Database
) -> None:
    async with unit_of_work(sessionmaker, practice.id) as uow:
        await workflow_runs.record_progress(
            uow, workflow_id="w-done", workflow_type="AttentionSweep", run_id="run-1",
            step="done", status=RunStatus.completed, now=NOW,
        )  # fmt: skip
    await cancel(sessionmaker, practice, "w-done")
    assert run_row(db, "w-done") == ("completed", "done", True)
    assert cancels(db) == [("w-done", "run-1")]  # Temporal will find nothing to cancel


async def test_a_running_or_unrecorded_run_shows_the_request(
    sessionmaker: SessionMaker, practice: PracticeRef, db: Database
) -> None:
    async with unit_of_work(sessionmaker, practice.id) as uow:
        await workflow_runs.record_progress(
            uow, workflow_id="w-run", workflow_type="PracticeWelcome", run_id="run-1",
            step="waiting_to_nudge", now=NOW,
        )  # fmt: skip
    await cancel(sessionmaker, practice, "w-run")
    await cancel(sessionmaker, practice, "w-new")
    assert run_row(db, "w-run") == ("running", "cancel_requested", False)
    assert run_row(db, "w-new") == ("running", "cancel_requested", False)
