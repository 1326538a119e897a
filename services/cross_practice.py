r"""The only lookups that cross practices (ARCHITECTURE §6 "Tenancy in depth").

Each goes through a SECURITY DEFINER function named `xp_*` (migrations) that returns ids,
never PHI. Everything else runs under row-level security with one practice set. Add a
lookup here, in its migration and in the README's list — nowhere else. (A test checks
that the database has no other SECURITY DEFINER function.)

| function | used by | returns |
|---|---|---|
| practice_id_by_link_name | portal URLs, practice creation (availability) | practice id |
| all_practice_ids | schedule ensure, sweepers, development pages | practice ids |
| staff_by_email | staff sign-in, password-reset requests | practice id, staff id |
| session_by_token_hash | every signed-in request (the cookie) | practice id, session id |
| link_by_token_hash | invitation and reset links | practice id, link id |
| api_token_by_hash | /api/v1 Bearer tokens | practice id, token id |
| throttle_* | sign-in throttling (installation-wide, HMAC keys) | counters |
| outbox_due | the outbox sweeper | practice id, command id |
| calendar_feed_by_token | calendar subscription URLs (no session) | practice id, feed id |
| people_matching, cases_named | the search box (\*) | person ids, case ids |

(\*) Not cross-practice: they filter by the current practice themselves. They exist
because Postgres will not use pg_trgm's operators as index conditions under RLS.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple
from uuid import UUID

from sqlalchemy import ARRAY, Select, Text, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession


class Found(NamedTuple):
    practice_id: UUID
    id: UUID


async def practice_id_by_link_name(session: AsyncSession, link_name: str) -> UUID | None:
    result = await session.execute(
        text("SELECT xp_practice_id_by_link_name(:link)"), {"link": link_name}
    )
    value: UUID | None = result.scalar_one_or_none()
    return value


async def all_practice_ids(session: AsyncSession) -> list[UUID]:
    result = await session.execute(text("SELECT * FROM xp_practice_ids()"))
    return list(result.scalars())


async def _one(session: AsyncSession, sql: str, value: object) -> Found | None:
    row = (await session.execute(text(sql), {"v": value})).first()
    return Found(row[0], row[1]) if row else None


async def staff_by_email(session: AsyncSession, email: str) -> Found | None:
    return await _one(session, "SELECT * FROM xp_staff_by_email(:v)", email.strip())


async def session_by_token_hash(session: AsyncSession, token_hash: bytes) -> Found | None:
    return await _one(session, "SELECT * FROM xp_staff_session_by_token(:v)", token_hash)


async def link_by_token_hash(session: AsyncSession, token_hash: bytes) -> Found | None:
    return await _one(session, "SELECT * FROM xp_staff_link_by_token(:v)", token_hash)


async def api_token_by_hash(session: AsyncSession, token_hash: bytes) -> Found | None:
    return await _one(session, "SELECT * FROM xp_api_token_by_hash(:v)", token_hash)


async def throttle_locks(session: AsyncSession, keys: list[str]) -> list[datetime]:
    rows = await session.execute(
        text("SELECT locked_until FROM xp_auth_throttle_get(:keys)"), {"keys": keys}
    )
    return [r.locked_until for r in rows if r.locked_until is not None]


async def throttle_window_start(session: AsyncSession, key: str) -> datetime | None:
    row = (
        await session.execute(
            text("SELECT window_started_at FROM xp_auth_throttle_get(:keys)"), {"keys": [key]}
        )
    ).first()
    return row[0] if row else None


async def throttle_fail(session: AsyncSession, key: str, now: datetime, window: timedelta) -> int:
    failures = await session.scalar(
        text("SELECT xp_auth_throttle_fail(:key, :now, :window)"),
        {"key": key, "now": now, "window": window},
    )
    return int(failures or 0)


async def throttle_lock(session: AsyncSession, key: str, until: datetime) -> None:
    await session.execute(
        text("SELECT xp_auth_throttle_lock(:key, :until)"), {"key": key, "until": until}
    )


async def throttle_clear(session: AsyncSession, key: str) -> None:
    await session.execute(text("SELECT xp_auth_throttle_clear(:key)"), {"key": key})


async def outbox_due(session: AsyncSession, now: datetime, limit: int) -> list[Found]:
    rows = await session.execute(
        text("SELECT practice_id, command_id FROM xp_outbox_due(:now, :limit)"),
        {"now": now, "limit": limit},
    )
    return [Found(r[0], r[1]) for r in rows]


def people_matching(words: list[str], like: str | None, digits: str | None) -> Select[tuple[UUID]]:
    """Ids of the current practice's people whose names or email contain every word
    (trigram word similarity), or the whole query, or whose phones hold the digits — as a
    subquery to filter by who may see what. `like`/`digits` are LIKE patterns or None."""
    words_param = bindparam("words", words, type_=ARRAY(Text))
    return select(func.xp_people_matching(words_param, like, digits).column_valued())


def cases_named(query: str, like: str) -> Select[tuple[UUID]]:
    """Ids of the current practice's cases whose name is trigram-similar to the query."""
    return select(func.xp_cases_named(query, like).column_valued())


async def calendar_feed_by_token(session: AsyncSession, token_hash: bytes) -> Found | None:
    return await _one(session, "SELECT * FROM xp_calendar_feed_by_token(:v)", token_hash)
