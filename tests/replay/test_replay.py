"""Every recorded history replays against the current workflow code (STYLE.md B9).

A change to a workflow's command sequence without `workflow.patched(...)` fails here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.fixtures.temporal import DATA_CONVERTER
from worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*/*.json"))
ALL_WORKFLOWS = [wf for queue in WORKFLOWS.values() for wf in queue]


def test_every_workflow_type_has_a_recorded_history() -> None:
    recorded = {p.parent.name for p in HISTORIES}
    names = {wf.__module__.rsplit(".", 1)[-1] for wf in ALL_WORKFLOWS}
    assert names <= recorded, f"no replay history for: {sorted(names - recorded)}"


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_history_replays(path: Path) -> None:
    recorded = await asyncio.to_thread(path.read_text)
    history = WorkflowHistory.from_json(f"replay-{path.stem}", recorded)
    replayer = Replayer(workflows=ALL_WORKFLOWS, data_converter=DATA_CONVERTER)
    await replayer.replay_workflow(history)
