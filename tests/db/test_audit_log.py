"""The audit log is append-only, partitioned by month, and kept for the retention period."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from psycopg import errors

from core.db import SessionMaker
from models.orm.audit import ActorType, AuditOutcome
from services.audit import AuditEntry, AuditRecorder
from tests.fixtures.db import Database
from tests.fixtures.factories import make_practice


def insert_at(owner_conn: object, when: str) -> None:
    owner_conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO audit_events (occurred_at, request_id, actor_type, action, outcome)"
        " VALUES (%s, 'r', 'system', 'test', 'success')",
        (when,),
    )


class TestAppendOnly:
    async def test_the_app_records_and_reads_its_practice_events(
        self, sessionmaker: SessionMaker, db: Database
    ) -> None:
        practice = await make_practice(sessionmaker)
        subject = uuid.uuid4()
        await AuditRecorder(sessionmaker).record(
            AuditEntry(
                request_id="req-1",
                action="case.view",
                outcome=AuditOutcome.success,
                practice_id=practice.id,
                actor_type=ActorType.staff,
                actor_id=practice.owner_id,
                subject_type="case",
                subject_ids=[subject],
                status_code=200,
                ip="203.0.113.7",
            )
        )
        # an anonymous event (no practice) is accepted but not readable by the app
        await AuditRecorder(sessionmaker).record(
            AuditEntry(request_id="req-2", action="login", outcome=AuditOutcome.denied, ip="bogus")
        )
        with db.app() as conn:
            conn.execute("SELECT set_config('app.practice_id', %s, false)", (str(practice.id),))
            rows = conn.execute(
                "SELECT action, subject_ids, host(ip), actor_id FROM audit_events"
            ).fetchall()
        assert rows == [("case.view", [subject], "203.0.113.7", practice.owner_id)]
        with db.owner() as owner:
            anon = owner.execute(
                "SELECT practice_id, ip FROM audit_events WHERE request_id = 'req-2'"
            ).fetchall()
        assert anon == [(None, None)]  # an unparseable address is dropped, not stored

    async def test_the_app_cannot_write_an_event_for_another_practice(
        self, sessionmaker: SessionMaker, db: Database
    ) -> None:
        a = await make_practice(sessionmaker)
        b = await make_practice(sessionmaker)
        with db.app() as conn:
            conn.execute("SELECT set_config('app.practice_id', %s, false)", (str(a.id),))
            with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
                conn.execute(
                    "INSERT INTO audit_events"
                    " (practice_id, request_id, actor_type, action, outcome)"
                    " VALUES (%s, 'r', 'staff', 'x', 'success')",
                    (b.id,),
                )

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_events SET outcome = 'success'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
            "TRUNCATE audit_events_default",
            "DELETE FROM audit_events_default",
            "ALTER TABLE audit_events DISABLE ROW LEVEL SECURITY",
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        ],
    )
    async def test_the_app_cannot_alter_history(self, db: Database, statement: str) -> None:
        with db.owner() as owner:
            insert_at(owner, datetime.now(UTC).isoformat())
        with db.app() as conn, pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)
        with db.owner() as owner:
            assert owner.execute("SELECT count(*) FROM audit_events").fetchone() == (1,)

    async def test_even_the_owner_cannot_update_delete_or_truncate(self, db: Database) -> None:
        with db.owner() as owner:
            insert_at(owner, datetime.now(UTC).isoformat())
            this_month = owner.execute(
                "SELECT tableoid::regclass::text FROM audit_events"
            ).fetchone()
            assert this_month is not None
            owner.execute("SELECT audit_ensure_partitions(30)")  # months made by maintenance
            later = owner.execute(
                "SELECT max(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = 'audit_events'::regclass"
            ).fetchone()
            assert later is not None
            for statement in (
                "UPDATE audit_events SET action = 'rewritten'",
                "DELETE FROM audit_events",
                "TRUNCATE audit_events",
                "TRUNCATE audit_events_default",
                f"TRUNCATE {this_month[0]}",
                f"TRUNCATE {later[0]}",
            ):
                with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
                    owner.execute(statement)
            assert owner.execute("SELECT count(*) FROM audit_events").fetchone() == (1,)


class TestPartitionsAndRetention:
    async def test_the_migration_creates_the_next_24_months(self, db: Database) -> None:
        with db.owner() as owner:
            parts = [
                r[0]
                for r in owner.execute(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    " WHERE i.inhparent = 'audit_events'::regclass ORDER BY 1"
                ).fetchall()
            ]
            this_month = owner.execute(
                "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYYMM')"
            ).fetchone()
        assert "audit_events_default" in parts
        monthly = [p for p in parts if p != "audit_events_default"]
        assert len(monthly) >= 25
        assert this_month is not None
        assert f"audit_events_p{this_month[0]}" in monthly
        with db.owner() as owner:
            brin = owner.execute(
                "SELECT count(*) FROM pg_indexes WHERE tablename = 'audit_events'"
                " AND indexdef ILIKE '%USING brin%'"
            ).fetchone()
        assert brin == (1,)

    async def test_maintenance_moves_stray_rows_into_their_new_month(self, db: Database) -> None:
        with db.owner() as owner:
            insert_at(owner, "2040-03-15T12:00:00Z")  # beyond the partitions: lands in default
            where = owner.execute(
                "SELECT tableoid::regclass::text FROM audit_events WHERE occurred_at > '2040-01-01'"
            ).fetchone()
            assert where == ("audit_events_default",)
            owner.execute("SELECT audit_ensure_partitions(12 * 15)")
            where = owner.execute(
                "SELECT tableoid::regclass::text FROM audit_events WHERE occurred_at > '2040-01-01'"
            ).fetchone()
            assert where == ("audit_events_p204003",)
            assert owner.execute("SELECT count(*) FROM audit_events").fetchone() == (1,)

    async def test_retention_drops_only_months_older_than_the_setting(self, db: Database) -> None:
        with db.owner() as owner:
            owner.execute(
                "CREATE TABLE audit_events_p201001 PARTITION OF audit_events"
                " FOR VALUES FROM ('2010-01-01 00:00Z') TO ('2010-02-01 00:00Z')"
            )
            insert_at(owner, "2010-01-10T00:00:00Z")
            insert_at(owner, "2009-06-10T00:00:00Z")  # in the default partition
            insert_at(owner, datetime.now(UTC).isoformat())
            dropped = owner.execute("SELECT audit_apply_retention(84)").fetchone()
            assert dropped == (1,)
            remaining = owner.execute("SELECT count(*) FROM audit_events").fetchone()
            assert remaining == (1,)
            assert owner.execute("SELECT to_regclass('audit_events_p201001')").fetchone() == (None,)
            with pytest.raises(errors.RaiseException, match="at least 1"):
                owner.execute("SELECT audit_apply_retention(0)")
