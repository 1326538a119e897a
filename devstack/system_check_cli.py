"""`python -m devstack.system_check_cli`: run the SystemCheck workflow through the worker.

Prints one line and exits 0 when the worker answered and tenancy is enforced, 1 otherwise.
The client is closed explicitly before exit (sdk-python #300, STACK.md §9).
"""

from __future__ import annotations

import asyncio
import sys

from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from core.settings import get_settings
from core.temporal import connect_client
from models.contracts.common import SYSTEM_CHECK_WORKFLOW_ID, TaskQueue
from models.contracts.system_check import DatabaseCheck, SystemCheckInput


async def run_check(
    address: str, namespace: str, keys: list[tuple[str, bytes]], wait_seconds: float = 30.0
) -> DatabaseCheck:
    client = await connect_client(address, namespace, keys)
    result: DatabaseCheck = await asyncio.wait_for(
        client.execute_workflow(
            "SystemCheck",
            SystemCheckInput(),
            id=SYSTEM_CHECK_WORKFLOW_ID,
            task_queue=TaskQueue.default,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            result_type=DatabaseCheck,
        ),
        wait_seconds,
    )
    return result


def describe(check: DatabaseCheck) -> str:
    if check.tenancy_enforced:
        return (
            f"worker answered as role {check.role}; tenancy enforced by row-level security; "
            f"schema {check.schema_revision}"
        )
    return f"worker answered as role {check.role}, but tenancy is NOT enforced (see /health)"


async def _main() -> int:
    settings = get_settings()
    try:
        check = await run_check(
            settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE, settings.payload_keys
        )
    except Exception as exc:
        print(f"worker did not answer ({type(exc).__name__})", flush=True)
        return 1
    print(describe(check), flush=True)
    return 0 if check.tenancy_enforced else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(_main()))
