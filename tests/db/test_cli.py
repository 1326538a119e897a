"""`python cli.py create-practice`: an operator creates a practice and invites its owner."""

from __future__ import annotations

import os
import subprocess
import sys

from core.settings import PROJECT_ROOT
from tests.fixtures.db import Database


def cli(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db.app_url, "DATABASE_OWNER_URL": db.owner_url,
           "ENVIRONMENT": "test", "APP_BASE_URL": "https://practice.example.org"}  # fmt: skip
    return subprocess.run(
        [sys.executable, "cli.py", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip


ARGS = ["create-practice", "--name", "Harbor Therapy", "--link-name", "harbor",
        "--timezone", "America/New_York", "--owner-email", "ana@harbor.example",
        "--owner-name", "Dr. Ana Silva"]  # fmt: skip


def test_it_creates_the_practice_and_queues_the_owner_invitation(db: Database) -> None:
    result = cli(db, *ARGS)
    assert result.returncode == 0, result.stderr
    assert "https://practice.example.org/invitation/" in result.stdout
    with db.owner() as owner:
        staff = owner.execute(
            "SELECT role, status FROM staff_members WHERE email = 'ana@harbor.example'"
        ).fetchall()
        mail = owner.execute(
            "SELECT template FROM mail_outbox WHERE recipient = 'ana@harbor.example'"
        ).fetchall()
    assert staff == [("owner", "invited")]
    assert mail == [("staff_invitation",)]


def test_bad_input_is_explained_and_creates_nothing(db: Database) -> None:
    bad = [a if a != "America/New_York" else "Mars/Olympus" for a in ARGS]
    result = cli(db, *bad)
    assert result.returncode == 2
    assert "timezone" in result.stdout
    assert cli(db, *ARGS).returncode == 0
    again = cli(db, *ARGS)
    assert again.returncode == 2
    assert "link_name: Another practice uses this link name." in again.stdout
    with db.owner() as owner:
        assert owner.execute("SELECT count(*) FROM practices").fetchone() == (1,)
