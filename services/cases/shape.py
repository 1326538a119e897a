"""Checking a case's shape now, inside the service call, instead of at commit.

The `case_shape` constraint trigger (migration 0005) is deferred so that "replace
participant" (one leaves, one joins) is one operation. Services call `check_shape` after
their writes: it fires the deferred checks immediately and turns a violation (SQLSTATE
PRC01, the rule's key as message) into a clear InvalidInput. The transaction is then
aborted, so nothing is written. A write that bypasses the services still fails at commit.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import UnitOfWork
from core.errors import InvalidInput
from services.cases.kinds import SHAPE_RULES

SHAPE_SQLSTATE = "PRC01"


def shape_key(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) != SHAPE_SQLSTATE:
        return None
    diag = getattr(orig, "diag", None)
    message = str(getattr(diag, "message_primary", "") or "")
    return message.removeprefix("case_shape:") or None


async def check_shape(uow: UnitOfWork, field: str = "participants") -> None:
    try:
        await uow.session.flush()
        await uow.session.execute(text("SET CONSTRAINTS case_shape IMMEDIATE"))
    except DBAPIError as exc:
        key = shape_key(exc)
        if key is None:
            raise
        rule = SHAPE_RULES.get(key, "The case's participants do not fit its kind.")
        target = "identified_person_id" if key.startswith("identified") else field
        raise InvalidInput(rule, field_errors={target: rule}) from None
    await uow.session.execute(text("SET CONSTRAINTS case_shape DEFERRED"))
