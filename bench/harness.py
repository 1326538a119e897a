"""Shared parts of the benchmarks: a migrated throwaway database and latency statistics."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from alembic import command
from alembic.config import Config

from core.settings import PROJECT_ROOT
from devstack.pg import EmbeddedPostgres, bootstrap_owner_and_database

OWNER = "pr_bench_owner"
APP = "pr_bench_app"
DATABASE = "pr_bench"
WARMUP = 20


class BenchDatabase:
    """Embedded Postgres with production durability settings (fsync on): the numbers
    should be what a real deployment pays, not what a test cluster pays."""

    def __init__(self, base: Path) -> None:
        self.pg = EmbeddedPostgres(base / "data")

    async def __aenter__(self) -> BenchDatabase:
        self.pg.start()
        with self.pg.connect() as conn:
            bootstrap_owner_and_database(conn, OWNER, DATABASE)
        cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
        cfg.attributes["owner_url"] = self.owner_url
        cfg.attributes["app_url"] = self.app_url
        command.upgrade(cfg, "head")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pg.destroy()

    @property
    def app_url(self) -> str:
        return self.pg.url(APP, DATABASE)

    @property
    def owner_url(self) -> str:
        return self.pg.url(OWNER, DATABASE)


@dataclass(frozen=True)
class Latency:
    n: int
    p50_ms: float
    p95_ms: float
    mean_ms: float

    def describe(self) -> str:
        return f"p50 {self.p50_ms:6.2f} ms  p95 {self.p95_ms:6.2f} ms"


async def measure(n: int, call: Callable[[], Awaitable[None]], *, warmup: int = WARMUP) -> Latency:
    for _ in range(warmup):
        await call()
    samples: list[float] = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return Latency(
        n=n,
        p50_ms=statistics.median(samples),
        p95_ms=samples[max(0, round(0.95 * n) - 1)],
        mean_ms=statistics.fmean(samples),
    )


def ratio_line(name: str, result: Latency, baseline_name: str, baseline: Latency) -> str:
    return (
        f"bench {name:<22} n={result.n:<5} {result.describe()} | baseline {baseline_name}: "
        f"{baseline.describe()} | ×{result.p50_ms / baseline.p50_ms:.1f} p50, "
        f"×{result.p95_ms / baseline.p95_ms:.1f} p95"
    )
