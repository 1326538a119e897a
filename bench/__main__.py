"""`make bench`: each benchmark prints its figures beside a baseline measured in the same run.

    python -m bench [--size smoke|full] [--only NAME]

Benchmarks seed directly (no workflow starts). Sizes: `smoke` is what CI runs on every
`make test` (proves the benchmark works and prints its ratio); `full` is for judging.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from bench import auth, calendar, cases, intake, outbox, pages, portal, tasks
from bench.harness import BenchDatabase

BENCHMARKS = {
    "pages": pages.run,
    "auth": auth.run,
    "outbox": outbox.run,
    "tasks": tasks.run,
    "cases": cases.run,
    "calendar": calendar.run,
    "intake": intake.run,
    "portal": portal.run,
}
SIZES = {"smoke": 100, "full": 1000}


async def main() -> int:
    parser = argparse.ArgumentParser(description="PracticeRunner benchmarks")
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--only", choices=sorted(BENCHMARKS))
    args = parser.parse_args()
    n = SIZES[args.size]
    with tempfile.TemporaryDirectory(prefix="pr-bench-") as tmp:
        async with BenchDatabase(Path(tmp)) as database:
            for name, bench in BENCHMARKS.items():
                if args.only and name != args.only:
                    continue
                for line in await bench(database, n):
                    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
