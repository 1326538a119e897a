"""The only lookups that cross practices (ARCHITECTURE §6 "Tenancy in depth").

Each goes through a SECURITY DEFINER function named `xp_*` (migrations) that returns ids,
never PHI. Everything else runs under row-level security with one practice set. Add a
lookup here, in its migration and in the README's list — nowhere else.

| function | used by | returns |
|---|---|---|
| practice_id_by_link_name | portal URLs, practice creation (availability) | practice id |
| all_practice_ids | schedule ensure, sweepers, development pages | practice ids |
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def practice_id_by_link_name(session: AsyncSession, link_name: str) -> UUID | None:
    result = await session.execute(
        text("SELECT xp_practice_id_by_link_name(:link)"), {"link": link_name}
    )
    value: UUID | None = result.scalar_one_or_none()
    return value


async def all_practice_ids(session: AsyncSession) -> list[UUID]:
    result = await session.execute(text("SELECT * FROM xp_practice_ids()"))
    return list(result.scalars())
