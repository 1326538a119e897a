"""The determinism rules for workflows/ are enforced by lint, not only documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT

RUFF = str(Path(sys.executable).parent / "ruff")


@pytest.mark.parametrize(
    ("source", "banned"),
    [
        ("import datetime\n\nx = datetime.datetime.now()\n", "datetime.datetime.now"),
        ("import uuid\n\nx = uuid.uuid4()\n", "uuid.uuid4"),
        ("import random\n", "random"),
        ("import os\n\nx = os.environ['A']\n", "os.environ"),
        ("import sqlalchemy\n", "sqlalchemy"),
        ("from services import practices\n", "services"),
    ],
)
def test_banned_calls_fail_lint_inside_workflows(source: str, banned: str) -> None:
    probe = PROJECT_ROOT / "workflows" / "_lint_probe_test.py"
    probe.write_text(source)
    try:
        result = subprocess.run(
            [RUFF, "check", "--no-cache", "--select", "TID251", str(probe)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        probe.unlink()
    assert result.returncode == 1, result.stdout
    assert f"`{banned}` is banned" in result.stdout


def test_the_same_call_is_fine_outside_workflows(tmp_path: Path) -> None:
    probe = PROJECT_ROOT / "activities" / "_lint_probe_test.py"
    probe.write_text("import uuid\n\nx = uuid.uuid4()\n")
    try:
        result = subprocess.run(
            [RUFF, "check", "--no-cache", "--select", "TID251", str(probe)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        probe.unlink()
    assert result.returncode == 0, result.stdout
