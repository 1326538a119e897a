"""Route classes that end every request the same way.

`AppRoute` (every route that touches practice data):
1. the handler runs inside its unit of work;
2. a response below 400 commits the unit *before* the response is sent — a commit that
   fails becomes a `NotSaved` error response, never a success; any other response or
   exception rolls back, so bad input changes nothing;
3. one audit event is written in its own transaction, whatever happened (success,
   denied, rejected, failed). If the audit write itself fails the request fails: no
   unaudited access to practice data.

`PlainRoute` does 1–2 without the audit event (health, static-like pages).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from api.context import AuditTrail, client_ip, request_id
from core.db import UnitOfWork
from core.errors import AuditUnavailable, DomainError, NotSaved
from services.audit import AuditEntry, AuditRecorder, outcome_for_status

log = logging.getLogger(__name__)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def status_for_exception(exc: BaseException) -> int:
    if isinstance(exc, DomainError):
        return exc.status
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, RequestValidationError):
        return 422
    return 500


async def _end_unit(request: Request, *, commit: bool) -> None:
    uow: UnitOfWork | None = getattr(request.state, "uow", None)
    if uow is None or uow.committed:
        return
    if not commit:
        await uow.rollback()
        return
    try:
        await uow.commit()
    except Exception as exc:
        log.warning("commit failed (%s) rid=%s", type(exc).__name__, request_id(request))
        await uow.rollback()
        raise NotSaved("Your change was not saved. Nothing was written; please try again.") from exc


class PlainRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                response = await handler(request)
            except BaseException:
                await _end_unit(request, commit=False)
                raise
            await _end_unit(request, commit=response.status_code < 400)
            return response

        return run


class AppRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        action = self.name

        async def run(request: Request) -> Response:
            trail = AuditTrail(action=action)
            request.state.audit = trail
            try:
                response = await handler(request)
                await _end_unit(request, commit=response.status_code < 400)
            except BaseException as exc:
                try:
                    await _end_unit(request, commit=False)
                finally:
                    await _audit(request, trail, status_for_exception(exc), swallow=True)
                raise
            await _audit(request, trail, response.status_code, swallow=False)
            return response

        return run


async def _audit(request: Request, trail: AuditTrail, status: int, *, swallow: bool) -> None:
    recorder: AuditRecorder = request.app.state.audit
    entry = AuditEntry(
        request_id=request_id(request),
        action=trail.action,
        outcome=outcome_for_status(status),
        practice_id=trail.practice_id,
        actor_type=trail.actor_type,
        actor_id=trail.actor_id,
        acting_for_id=trail.acting_for_id,
        subject_type=trail.subject_type,
        subject_ids=trail.subject_ids,
        status_code=status,
        ip=client_ip(request),
    )
    try:
        await recorder.record(entry)
    except Exception as exc:
        log.error("audit write failed (%s) rid=%s", type(exc).__name__, entry.request_id)
        if not swallow:
            raise AuditUnavailable(
                "The request could not be recorded in the audit log, so it was refused. "
                "Please try again in a moment."
            ) from exc
