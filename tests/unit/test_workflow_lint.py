"""The determinism rules for workflows/ are enforced by lint, not only documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT

RUFF = str(Path(sys.executable).parent / "ruff")


def ruff_as(path: str, source: str) -> subprocess.CompletedProcess[str]:
    """Lint `source` as if it were the file at `path` (nothing is written to the tree)."""
    return subprocess.run(
        [RUFF, "check", "--no-cache", "--select", "TID251", "--stdin-filename", path, "-"],
        cwd=PROJECT_ROOT, input=source, capture_output=True, text=True, check=False,
    )  # fmt: skip


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
    result = ruff_as("workflows/probe.py", source)
    assert result.returncode == 1, result.stdout
    assert f"`{banned}` is banned" in result.stdout


def test_the_same_call_is_fine_outside_workflows() -> None:
    result = ruff_as("activities/probe.py", "import uuid\n\nx = uuid.uuid4()\n")
    assert result.returncode == 0, result.stdout
