"""Tenancy in depth, proven against the real schema as the app role (ARCHITECTURE §6)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import psycopg
import pytest
from psycopg import errors

from core.db import SessionMaker
from core.settings import PROJECT_ROOT
from services.system_check import check_database
from tests.fixtures.db import APP_ROLE, Database
from tests.fixtures.factories import PracticeRef, make_practice

TENANT_TABLES = ["staff_members", "mail_outbox"]


def as_practice(conn: psycopg.Connection[Any], practice_id: uuid.UUID | None) -> None:
    conn.execute(
        "SELECT set_config('app.practice_id', %s, false)",
        (str(practice_id) if practice_id else "",),
    )


def queue_row(
    conn: psycopg.Connection[Any], practice_id: uuid.UUID, staff_id: uuid.UUID | None = None
) -> None:
    conn.execute(
        "INSERT INTO mail_outbox (practice_id, recipient, template, subject, body_text,"
        " idempotency_key, created_by_staff_id) VALUES (%s, 'a@b.example', 't', 's', 'b', %s, %s)",
        (practice_id, uuid.uuid4().hex, staff_id),
    )


@pytest.fixture
async def two_practices(
    sessionmaker: SessionMaker, db: Database
) -> tuple[PracticeRef, PracticeRef]:
    a = await make_practice(sessionmaker, "alpha")
    b = await make_practice(sessionmaker, "bravo")
    with db.owner() as owner:  # the owner is not subject to RLS: seed a row in each practice
        queue_row(owner, a.id)
        queue_row(owner, b.id)
    return a, b


class TestRowLevelSecurity:
    async def test_app_role_reads_no_rows_without_a_practice(
        self, db: Database, two_practices: Any
    ) -> None:
        with db.app() as conn:
            for table in ["practices", *TENANT_TABLES]:
                count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
                assert count == (0,), table
            # while the owner sees both practices' rows
        with db.owner() as owner:
            assert owner.execute("SELECT count(*) FROM practices").fetchone() == (2,)

    async def test_app_role_reads_only_its_practice(self, db: Database, two_practices: Any) -> None:
        a, b = two_practices
        with db.app() as conn:
            as_practice(conn, a.id)
            assert conn.execute("SELECT id FROM practices").fetchall() == [(a.id,)]
            for table in TENANT_TABLES:
                ids = conn.execute(f"SELECT DISTINCT practice_id FROM {table}").fetchall()
                assert ids == [(a.id,)], table
            # even asking for the other practice by id finds nothing
            assert conn.execute("SELECT * FROM practices WHERE id = %s", (b.id,)).fetchall() == []

    async def test_app_role_cannot_insert_into_another_practice(
        self, db: Database, two_practices: Any
    ) -> None:
        a, b = two_practices
        with db.app() as conn:
            as_practice(conn, a.id)
            with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
                queue_row(conn, b.id)
            with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
                conn.execute(
                    "INSERT INTO staff_members (practice_id, email, display_name, role)"
                    " VALUES (%s, 'x@y.example', 'X', 'provider')",
                    (b.id,),
                )
            with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
                conn.execute(
                    "INSERT INTO practices (id, name, link_name, timezone)"
                    " VALUES (%s, 'N', 'nn', 'UTC')",
                    (uuid.uuid4(),),
                )

    async def test_app_role_cannot_move_a_row_to_another_practice(
        self, db: Database, two_practices: Any
    ) -> None:
        a, b = two_practices
        with db.app() as conn:
            as_practice(conn, a.id)
            with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
                conn.execute("UPDATE mail_outbox SET practice_id = %s", (b.id,))
        with db.owner() as owner:
            counts = owner.execute(
                "SELECT practice_id, count(*) FROM mail_outbox GROUP BY 1 ORDER BY 2"
            ).fetchall()
            assert sorted(c for _, c in counts) == [1, 1]

    async def test_without_a_practice_nothing_can_be_written(
        self, db: Database, two_practices: Any
    ) -> None:
        a, _ = two_practices
        with db.app() as conn, pytest.raises(errors.InsufficientPrivilege):
            queue_row(conn, a.id)


class TestCompositeForeignKeys:
    async def test_a_row_cannot_reference_a_record_of_another_practice(
        self, db: Database, two_practices: Any
    ) -> None:
        a, b = two_practices
        # Even the owner, to whom RLS does not apply, cannot point A's mail at B's staff.
        with (
            db.owner() as owner,
            pytest.raises(errors.ForeignKeyViolation, match="created_by_staff"),
        ):
            queue_row(owner, a.id, staff_id=b.owner_id)
        with db.app() as conn:
            as_practice(conn, a.id)
            with pytest.raises(errors.ForeignKeyViolation):
                queue_row(conn, a.id, staff_id=b.owner_id)
            queue_row(conn, a.id, staff_id=a.owner_id)  # its own staff member is fine


class TestAppRoleCannotChangeTheRules:
    @pytest.mark.parametrize(
        "statement",
        [
            "ALTER TABLE mail_outbox DISABLE ROW LEVEL SECURITY",
            "ALTER TABLE practices NO FORCE ROW LEVEL SECURITY",
            "DROP POLICY tenant_isolation ON staff_members",
            "CREATE POLICY everything ON mail_outbox USING (true)",
            "ALTER TABLE staff_members DROP CONSTRAINT uq_staff_members_practice_id_id",
            "CREATE TABLE sneaky (id int)",
            "SET ROLE pr_test_owner",
            "SELECT audit_ensure_partitions(1)",
            "SELECT audit_apply_retention(1)",
            "CREATE TABLE audit_events_p209901 PARTITION OF audit_events"
            " FOR VALUES FROM ('2099-01-01') TO ('2099-02-01')",
        ],
    )
    async def test_statement_is_refused(self, db: Database, statement: str) -> None:
        with db.app() as conn, pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)

    async def test_the_app_role_is_plain(self, sessionmaker: SessionMaker) -> None:
        async with sessionmaker() as session:
            check = await check_database(session)
        assert check.role == APP_ROLE
        assert check.tenancy_enforced, check
        assert check.schema_revision is not None


class TestCrossPracticeLookups:
    async def test_lookups_return_ids_only(self, db: Database, two_practices: Any) -> None:
        a, b = two_practices
        with db.app() as conn:
            assert conn.execute("SELECT xp_practice_id_by_link_name('ALPHA')").fetchone() == (a.id,)
            assert conn.execute("SELECT xp_practice_id_by_link_name('nope')").fetchone() == (None,)
            ids = [r[0] for r in conn.execute("SELECT * FROM xp_practice_ids()").fetchall()]
            assert sorted(ids) == sorted([a.id, b.id])

    async def test_every_security_definer_function_is_a_listed_lookup(self, db: Database) -> None:
        with db.owner() as owner:
            names = {
                r[0]
                for r in owner.execute(
                    "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                    " WHERE n.nspname = 'public' AND p.prosecdef"
                ).fetchall()
            }
        listed = set(
            re.findall(
                r"\bxp_[a-z_]+", (PROJECT_ROOT / "services" / "cross_practice.py").read_text()
            )
        )
        assert names == listed  # every cross-practice door is in the one module, and only those
        assert all(name.startswith("xp_") for name in names)
