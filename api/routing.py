"""Route classes that end every request the same way.

`AppRoute` (the app's default; every route that touches practice data):
1. the handler runs inside its unit of work;
2. a response below 400 writes the audit event **inside the request's own transaction**
   and commits both *before* the response is sent — the change and its event are saved
   together or not at all; a commit that fails becomes a `NotSaved` error, never a success;
3. any other response or exception rolls back (bad input changes nothing) and the event
   (denied, rejected, failed) is written in its own short transaction, so it survives the
   rollback. No unaudited access: if a success cannot be audited, it is not a success.

`PlainRoute` does 1–2 without the audit event (health and liveness pages).
Both refuse a state-changing request without a valid CSRF token (api.csrf) before the
handler runs.
A route of any other class cannot open a unit of work (`api.deps.get_uow` refuses), so a
write can never be silently dropped by a route that nobody commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from api.context import AuditTrail, client_ip, request_id
from api.csrf import check_csrf
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


def _unit(request: Request) -> UnitOfWork | None:
    uow: UnitOfWork | None = getattr(request.state, "uow", None)
    return uow if uow is not None and not uow.committed else None


async def _rollback(request: Request) -> None:
    uow = _unit(request)
    if uow is not None:
        await uow.rollback()


async def _commit(request: Request, uow: UnitOfWork) -> None:
    try:
        await uow.commit()
    except Exception as exc:
        log.warning("commit failed (%s) rid=%s", type(exc).__name__, request_id(request))
        await uow.rollback()
        raise NotSaved("Your change was not saved. Please try again.") from exc


class PlainRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                await check_csrf(request)
                response = await handler(request)
            except BaseException:
                await _rollback(request)
                raise
            uow = _unit(request)
            if uow is not None:
                if response.status_code < 400:
                    await _commit(request, uow)
                else:
                    await uow.rollback()
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
                await check_csrf(request)
                response = await handler(request)
                # A refusal that must be remembered (a wrong answer counted against a
                # link, what a client typed before a refused submit) is committed with its
                # audit event: the route says so with `keep_refusal`.
                kept = getattr(request.state, "keep_refusal", False)
                if response.status_code < 400 or kept:
                    await _record_success(request, trail, response.status_code)
                else:
                    await _rollback(request)
            except BaseException as exc:
                try:
                    await _rollback(request)
                finally:
                    await _record_apart(request, trail, status_for_exception(exc))
                raise
            if response.status_code >= 400 and not kept:
                await _record_apart(request, trail, response.status_code)
            return response

        return run


def _entry(request: Request, trail: AuditTrail, status: int) -> AuditEntry:
    uow: UnitOfWork | None = getattr(request.state, "uow", None)
    practice_id = trail.practice_id
    if practice_id is None and uow is not None:
        practice_id = uow.practice_id
    return AuditEntry(
        request_id=request_id(request),
        action=trail.action,
        outcome=outcome_for_status(status),
        practice_id=practice_id,
        actor_type=trail.actor_type,
        actor_id=trail.actor_id,
        acting_for_id=trail.acting_for_id,
        subject_type=trail.subject_type,
        subject_ids=trail.subject_ids,
        status_code=status,
        ip=client_ip(request),
    )


async def _record_success(request: Request, trail: AuditTrail, status: int) -> None:
    """The event joins the request's transaction: saved with the change, or not at all."""
    entry = _entry(request, trail, status)
    uow = _unit(request)
    if uow is None:
        await _record_apart(request, trail, status, fail_closed=True)
        return
    recorder: AuditRecorder = request.app.state.audit
    try:
        await recorder.record_in(uow.session, entry)
    except Exception as exc:
        log.error("audit write failed (%s) rid=%s", type(exc).__name__, entry.request_id)
        raise AuditUnavailable(
            "The request could not be recorded in the audit log, so it was not carried out. "
            "Please try again in a moment."
        ) from exc
    await _commit(request, uow)


async def _record_apart(
    request: Request, trail: AuditTrail, status: int, *, fail_closed: bool = False
) -> None:
    """Its own short transaction: kept even though the request's work was rolled back.
    For a refused request a failure to record is logged and the refusal stands (nothing
    was done); `fail_closed` turns it into an error where the request did something."""
    entry = _entry(request, trail, status)
    recorder: AuditRecorder = request.app.state.audit
    try:
        await recorder.record(entry)
    except Exception as exc:
        log.error("audit write failed (%s) rid=%s", type(exc).__name__, entry.request_id)
        if fail_closed:
            raise AuditUnavailable(
                "The request could not be recorded in the audit log. Please try again in a moment."
            ) from exc
