"""`make maintain` (python -m devstack.maintain) as an operator runs it: as the owner role."""

from __future__ import annotations

import os
import subprocess
import sys

from core.settings import PROJECT_ROOT
from tests.fixtures.db import Database


def run_maintain(db: Database, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "DATABASE_URL": db.app_url,
        "DATABASE_OWNER_URL": db.owner_url,
        "ENVIRONMENT": "test",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "devstack.maintain", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_maintain_adds_partitions_and_applies_retention(db: Database) -> None:
    with db.owner() as owner:
        owner.execute(
            "CREATE TABLE audit_events_p200001 PARTITION OF audit_events"
            " FOR VALUES FROM ('2000-01-01 00:00Z') TO ('2000-02-01 00:00Z')"
        )
        row = owner.execute(
            "SELECT max(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'audit_events'::regclass"
        ).fetchone()
        assert row is not None
        last: str = row[0]
        owner.execute(f"DROP TABLE {last}")  # a month maintenance has not created yet
    result = run_maintain(db, AUDIT_RETENTION_MONTHS="84")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "migrations at head" in result.stdout
    assert "1 partition(s) added; 1 older than 84 months dropped" in result.stdout
    with db.owner() as owner:
        assert owner.execute("SELECT to_regclass('audit_events_p200001')").fetchone() == (None,)
        assert owner.execute("SELECT to_regclass(%s)", (last,)).fetchone() == (last,)


def test_migrate_only_touches_no_partitions(db: Database) -> None:
    result = run_maintain(db, "--migrate-only")
    assert result.returncode == 0, result.stderr
    assert "audit log" not in result.stdout
