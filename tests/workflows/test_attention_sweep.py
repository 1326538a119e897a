"""AttentionSweep under time skipping, with the real activities on real Postgres: one
reminder per overdue task, one escalation after the practice's delay, workflow-owned
tasks left to their workflow, overlapping sweeps safe, counts in the `state` query,
`practice_schedules` and `workflow_runs` — and no task title in any email or payload.

(Schedules themselves need the dev server: tests/workflows/test_schedules.py.)
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.db import SessionMaker
from models.contracts.attention import AttentionSweepInput, AttentionSweepState
from models.contracts.common import TaskQueue
from services.tasks.kinds import TaskKind
from tests.fixtures.db import Database
from tests.fixtures.factories import Team
from tests.fixtures.tasks import NOW, open_for
from tests.fixtures.temporal import SCANNER

CANARY = "Call Canary Jane Doe about 078-05-1120"


async def sweep(env: WorkflowEnvironment, crew: Team, as_of: datetime) -> AttentionSweepState:
    result: AttentionSweepState = await env.client.execute_workflow(
        "AttentionSweep",
        AttentionSweepInput(practice_id=crew.practice.id, as_of=as_of),
        id=f"attention-sweep-test-{uuid.uuid4()}",
        task_queue=TaskQueue.default,
        result_type=AttentionSweepState,
    )
    return result


def counts(state: AttentionSweepState) -> dict[str, int]:
    """The overdue-tasks check's counts (the sweep runs every planned check in order)."""
    assert [c.check for c in state.checks] == ["overdue_tasks", "series_horizon"]
    return state.checks[0].counts


def mails(db: Database, template: str) -> list[tuple[str, str]]:
    with db.owner() as owner:
        return [
            (r[0], r[1])
            for r in owner.execute(
                "SELECT recipient, body_text FROM mail_outbox WHERE template = %s"
                " ORDER BY created_at",
                (template,),
            )
        ]


def alerts(db: Database) -> list[tuple[Any, ...]]:
    with db.owner() as owner:
        return owner.execute(
            "SELECT t.title, a.kind, a.recipient_id FROM task_alerts a"
            " JOIN tasks t ON t.id = a.task_id ORDER BY t.title, a.kind"
        ).fetchall()


class TestAttentionSweep:
    async def test_one_reminder_then_one_escalation_and_owned_tasks_skipped(
        self, ts_env: WorkflowEnvironment, ts_worker: Worker, sessionmaker: SessionMaker,
        ours: Team, db: Database,
    ) -> None:  # fmt: skip
        await open_for(sessionmaker, ours, "Late A", assignee=ours.provider.id,
                       due_in=timedelta(hours=-1))  # fmt: skip
        await open_for(sessionmaker, ours, CANARY, assignee=ours.provider.id,
                       due_in=timedelta(minutes=-5))  # fmt: skip
        await open_for(sessionmaker, ours, "Tomorrow", assignee=ours.provider.id,
                       due_in=timedelta(days=1))  # fmt: skip
        await open_for(sessionmaker, ours, "Intake overdue", assignee=ours.provider.id,
                       workflow_id="intake-x", kind=TaskKind.intake_overdue,
                       due_in=timedelta(hours=-3))  # fmt: skip
        await open_for(sessionmaker, ours, "Someday", assignee=ours.provider.id)

        first = await sweep(ts_env, ours, NOW)
        assert counts(first) == {"reminded": 2, "reminder_emails": 1, "escalated": 0,
                                 "escalation_emails": 0, "owned_skipped": 1}  # fmt: skip
        [(to, body)] = mails(db, "task_reminder")
        assert to == ours.provider.email
        assert "2 tasks assigned to you" in body
        assert "/tasks?who=mine&overdue=1" in body

        # the next tick finds everything recorded: nothing is reminded twice
        again = await sweep(ts_env, ours, NOW + timedelta(minutes=15))
        assert counts(again)["reminded"] == 0
        assert len(mails(db, "task_reminder")) == 1

        # a day later "Tomorrow" is due; two days after the first two fell due, escalation
        later = await sweep(ts_env, ours, NOW + timedelta(hours=49))
        assert counts(later) == {"reminded": 1, "reminder_emails": 1, "escalated": 2,
                                 "escalation_emails": 1, "owned_skipped": 1}  # fmt: skip
        [(owner_to, owner_body)] = mails(db, "task_escalation")
        assert owner_to == ours.owner.email
        assert "2 tasks" in owner_body and "more than 2 days" in owner_body
        assert (await sweep(ts_env, ours, NOW + timedelta(hours=60))).checks[0].counts[
            "escalated"
        ] == 0
        assert len(mails(db, "task_escalation")) == 1
        assert sorted((t, k) for t, k, _ in alerts(db)) == sorted([
            ("Late A", "escalation"), ("Late A", "reminder"), ("Tomorrow", "reminder"),
            (CANARY, "escalation"), (CANARY, "reminder"),
        ])  # fmt: skip

        # nothing about a task leaves the database: not in mail, not in Temporal payloads
        for _, text in mails(db, "task_reminder") + mails(db, "task_escalation"):
            assert CANARY not in text and "Late A" not in text
        assert not SCANNER.saw(CANARY)

    async def test_counts_land_in_postgres_and_the_state_query(
        self, ts_env: WorkflowEnvironment, ts_worker: Worker, sessionmaker: SessionMaker,
        ours: Team, db: Database,
    ) -> None:  # fmt: skip
        await open_for(sessionmaker, ours, "Late", assignee=ours.associate.id,
                       due_in=timedelta(hours=-2))  # fmt: skip
        workflow_id = f"attention-sweep-test-{uuid.uuid4()}"
        handle = await ts_env.client.start_workflow(
            "AttentionSweep", AttentionSweepInput(practice_id=ours.practice.id, as_of=NOW),
            id=workflow_id, task_queue=TaskQueue.default,
        )  # fmt: skip
        await handle.result()
        state = await handle.query("state")
        assert state["step"] == "done"
        assert state["checks"][0]["counts"]["reminded"] == 1
        with db.owner() as owner:
            schedule = owner.execute(
                "SELECT last_counts, last_run_as_of FROM practice_schedules"
                " WHERE practice_id = %s AND key = 'attention_sweep'", (ours.practice.id,),
            ).fetchone()  # fmt: skip
            run = owner.execute(
                "SELECT status, step, closed_at IS NOT NULL FROM workflow_runs"
                " WHERE workflow_id = %s", (workflow_id,),
            ).fetchone()  # fmt: skip
        assert schedule is not None
        assert schedule[0]["overdue_tasks.reminded"] == 1 and schedule[1] == NOW
        assert run == ("completed", "done", True)

    async def test_overlapping_sweeps_remind_once(
        self, dev_env: WorkflowEnvironment, dev_worker: tuple[Worker, Any],
        sessionmaker: SessionMaker, ours: Team, db: Database,
    ) -> None:  # fmt: skip
        # On the dev server (real time): four concurrent runs on the time-skipping server
        # can have their workflow tasks expire in skipped time on a loaded machine.
        for n in range(12):
            await open_for(sessionmaker, ours, f"Late {n:02d}",
                           assignee=[ours.provider.id, ours.associate.id][n % 2],
                           due_in=timedelta(hours=-50 - n))  # fmt: skip
        states = await asyncio.gather(*(sweep(dev_env, ours, NOW) for _ in range(4)))
        assert sum(counts(s)["reminded"] for s in states) == 12
        assert sum(counts(s)["escalated"] for s in states) == 12
        assert len(alerts(db)) == 24  # one reminder and one escalation per task, no more
        reminder_tasks = sum(
            int(m.group(1))
            for _, b in mails(db, "task_reminder")
            if (m := re.search(r"(\d+) tasks? assigned to you", b))
        )
        assert reminder_tasks == 12  # however the runs split the work, each task once
