"""Record replay histories: `python -m tests.replay.record` (then commit the JSON files).

Each scenario runs the real workflow with the real activities against a throwaway
embedded Postgres and the time-skipping server, and writes its history to
tests/replay/histories/<workflow>/<scenario>.json. Re-record only when a patch is retired
(STYLE.md B9); CI replays every file against the current code.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from core.db import make_engine, make_sessionmaker
from core.temporal import DATA_CONVERTER
from devstack.pg import EmbeddedPostgres, bootstrap_owner_and_database
from models.contracts.common import TaskQueue
from models.contracts.system_check import SystemCheckInput
from tests.fixtures.db import APP_ROLE, FAST_SETTINGS, OWNER_ROLE, PgServer, migrate
from tests.fixtures.temporal import venv_bin
from worker import Deps, build_registrations, build_workers
from workflows.system_check import SystemCheckWorkflow

HISTORIES = Path(__file__).parent / "histories"


async def record() -> list[Path]:
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "data", settings=FAST_SETTINGS)
        pg.start()
        try:
            server = PgServer(str(pg.socket_dir))
            with server.admin() as conn:
                bootstrap_owner_and_database(conn, OWNER_ROLE, "pr_record")
            migrate(server, "pr_record")
            engine = make_engine(server.url(APP_ROLE, "pr_record"), pool_size=2)
            env = await WorkflowEnvironment.start_time_skipping(
                data_converter=DATA_CONVERTER,
                test_server_existing_path=venv_bin("temporal-test-server"),
            )
            try:
                workers = build_workers(
                    env.client, build_registrations(Deps(make_sessionmaker(engine)))
                )
                async with workers[0]:
                    handle = await env.client.start_workflow(
                        SystemCheckWorkflow.run,
                        SystemCheckInput(),
                        id=f"system-check-{uuid.uuid4()}",
                        task_queue=TaskQueue.default,
                    )
                    await handle.result()
                    history = await handle.fetch_history()
                path = HISTORIES / "system_check" / "checks_database.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(json.loads(history.to_json()), indent=1) + "\n")
                written.append(path)
            finally:
                await env.shutdown()
                await engine.dispose()
        finally:
            pg.destroy()
    return written


if __name__ == "__main__":
    for _p in asyncio.run(record()):
        pass
