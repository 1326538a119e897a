"""The empty workflow the outbox benchmark starts (its own module: the workflow sandbox
imports it, so it imports nothing but temporalio)."""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="BenchEmpty")
class BenchEmptyWorkflow:
    @workflow.run
    async def run(self, args: dict[str, str]) -> None:
        return None
