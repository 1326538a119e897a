"""Request dependencies: the unit of work, the audit trail, app services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from api.context import AuditTrail
from api.routing import AppRoute, PlainRoute
from core.db import UnitOfWork, open_unit
from core.settings import Settings


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """One unit of work per request. The route class commits it *before* the response is
    sent (FastAPI runs code after `yield` only after sending); here it is only closed.
    Only our route classes commit, so any other route may not open one."""
    if not isinstance(request.scope.get("route"), AppRoute | PlainRoute):
        raise RuntimeError("a unit of work needs api.routing.AppRoute or PlainRoute")
    # Outbox commands written in this request are relayed to Temporal right after commit.
    uow = await open_unit(request.app.state.sessionmaker, relay=request.app.state.relay.relay_soon)
    request.state.uow = uow
    try:
        yield uow
    finally:
        await uow.close()


def get_audit(request: Request) -> AuditTrail:
    trail: AuditTrail | None = getattr(request.state, "audit", None)
    if trail is None:
        raise RuntimeError("this route is not audited: use api.routing.AppRoute")
    return trail


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Uow = Annotated[UnitOfWork, Depends(get_uow)]
Audit = Annotated[AuditTrail, Depends(get_audit)]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]
