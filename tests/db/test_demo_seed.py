"""The demo practice `make run` seeds: once, with cases of every kind, who pays, an open
attention item on a case, the catalog, each clinician's hours, this week's appointments and
a weekly group series."""

from __future__ import annotations

from core.db import SessionMaker
from devstack.seed import seed_demo
from tests.fixtures.app import settings_for
from tests.fixtures.db import Database


async def test_the_demo_seed_runs_once_and_can_be_clicked_through(
    sessionmaker: SessionMaker, db: Database
) -> None:
    settings = settings_for(db, DEMO_SEED=True)
    assert await seed_demo(sessionmaker, settings) is True
    assert await seed_demo(sessionmaker, settings) is False  # already there: nothing added
    with db.owner() as owner:
        kinds = dict(owner.execute("SELECT kind, count(*) FROM cases GROUP BY kind").fetchall())
        payers = owner.execute("SELECT count(*) FROM case_payers").fetchone()
        case_tasks = owner.execute(
            "SELECT count(*) FROM tasks WHERE subject_type = 'case' AND status = 'open'"
        ).fetchone()
        open_cases = owner.execute("SELECT count(*) FROM cases WHERE status = 'open'").fetchone()
        booked = owner.execute(
            "SELECT count(*), count(DISTINCT provider_id), count(*) FILTER (WHERE status = 'attended')"
            " FROM appointments WHERE series_id IS NULL"
        ).fetchone()
        series = owner.execute(
            "SELECT s.rrule, count(a.id) FROM appointment_series s"
            " JOIN appointments a ON a.series_id = s.id GROUP BY s.rrule"
        ).fetchall()
        portal = owner.execute(
            "SELECT a.email, g.scope, count(l.id) FROM portal_accounts a"
            " JOIN portal_grants g ON g.account_id = a.id"
            " JOIN portal_links l ON l.account_id = a.id AND l.purpose = 'invitation'"
            " GROUP BY a.email, g.scope"
        ).fetchall()
        library = owner.execute("SELECT count(*) FROM library_items").fetchone()
        intake = owner.execute(
            "SELECT p.first_name, p.lifecycle, r.status, count(i.id),"
            " (SELECT count(*) FROM workflow_outbox o WHERE o.workflow_id = 'intake-' || r.id"
            "  AND o.command = 'start' AND o.status = 'pending')"
            " FROM intake_requests r JOIN intake_recipients x ON x.request_id = r.id"
            " JOIN people p ON p.id = x.person_id JOIN intake_items i ON i.recipient_id = x.id"
            " GROUP BY p.first_name, p.lifecycle, r.status, r.id"
        ).fetchall()
        blocks = owner.execute(
            "SELECT count(DISTINCT provider_id), count(*) FROM availability_blocks"
        ).fetchone()
        services = owner.execute("SELECT count(*) FROM practice_services").fetchone()
    assert set(kinds) == {
        "individual", "couple", "family", "therapy_group", "consultation",
        "consultation_group", "workshop_group",
    }  # fmt: skip
    assert payers is not None and payers[0] >= 2
    assert case_tasks is not None and case_tasks[0] >= 1
    assert booked is not None and open_cases is not None
    assert booked[0] == open_cases[0] and booked[1] >= 3  # a week for every open case
    assert services == (7,)
    assert len(series) == 1 and series[0][0].endswith(";COUNT=10") and series[0][1] == 10
    assert blocks == (4, 8)
    assert portal == [("alex.morgan@example.com", "self", 1)]  # an invitation in the outbox
    # a running intake: the packet's six items, the workflow's start waiting for the worker
    assert intake == [("Chloe", "intake_pending", "open", 6, 1)]
    assert library == (
        8,
    )  # the shipped forms and documents  # owner and three clinicians: office hours and telehealth
