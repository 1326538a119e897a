"""Personal API tokens for /api/v1: `Authorization: Bearer prt_…`.

Shown once at creation; stored as SHA-256 with a short prefix for recognising them in
the list. Revocable by their owner; all of a person's tokens die with deactivation.
A token acts with its owner's role and reach — never more.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from core.security import new_token, token_hash
from models.orm.identity import ApiToken
from services import cross_practice

PREFIX = "prt_"
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedToken:
    token: str
    row: ApiToken


async def create_token(
    uow: UnitOfWork, *, staff_id: uuid.UUID, name: str, now: datetime
) -> CreatedToken:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput(
            "Name the token", field_errors={"name": "Give it a name (up to 100 characters)."}
        )
    token = PREFIX + new_token()
    row = ApiToken(
        id=uuid.uuid4(),
        practice_id=uow.practice_id,
        staff_id=staff_id,
        name=name,
        token_hash=token_hash(token),
        token_prefix=token[:10],
        created_at=now,
    )
    uow.session.add(row)
    await uow.session.flush()
    return CreatedToken(token, row)


async def tokens_of(uow: UnitOfWork, staff_id: uuid.UUID) -> list[ApiToken]:
    rows = await uow.session.scalars(
        select(ApiToken)
        .where(ApiToken.practice_id == uow.practice_id, ApiToken.staff_id == staff_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    )
    return list(rows)


async def revoke_token(
    uow: UnitOfWork, *, staff_id: uuid.UUID, token_id: uuid.UUID, now: datetime
) -> None:
    row = await uow.session.scalar(
        select(ApiToken).where(
            ApiToken.practice_id == uow.practice_id,
            ApiToken.staff_id == staff_id,
            ApiToken.id == token_id,
        )
    )
    if row is None:
        raise NotFound("No such token")
    if row.revoked_at is None:
        row.revoked_at = now
        await uow.session.flush()


async def revoke_all_tokens(uow: UnitOfWork, staff_id: uuid.UUID, now: datetime) -> None:
    await uow.session.execute(
        update(ApiToken)
        .where(
            ApiToken.practice_id == uow.practice_id,
            ApiToken.staff_id == staff_id,
            ApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


async def locate_token(uow: UnitOfWork, token: str, now: datetime) -> ApiToken | None:
    """The live token, with the unit of work scoped to its practice."""
    if not token.startswith(PREFIX):
        return None
    found = await cross_practice.api_token_by_hash(uow.session, token_hash(token))
    if found is None:
        return None
    await uow.set_practice(found.practice_id)
    row = await uow.session.scalar(
        select(ApiToken).where(ApiToken.practice_id == found.practice_id, ApiToken.id == found.id)
    )
    if row is None or row.revoked_at is not None:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        row.last_used_at = now
    return row
