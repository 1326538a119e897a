"""`python -m devstack.seed_cli`: seed the demo practice once (idempotent)."""

from __future__ import annotations

import asyncio

from core.db import make_engine, make_sessionmaker
from core.settings import get_settings
from devstack.seed import seed_demo


async def _main() -> None:
    settings = get_settings()
    engine = make_engine(settings.DATABASE_URL, pool_size=1)
    try:
        seeded = await seed_demo(make_sessionmaker(engine), settings)
    finally:
        await engine.dispose()
    print("• demo practice seeded" if seeded else "• demo practice already there", flush=True)


if __name__ == "__main__":
    asyncio.run(_main())
