"""Errors as problem+json (RFC 9457) on `/api/...`, as an HTML page elsewhere.

Messages never echo input values (pydantic and psycopg errors do; they are not shown).
An unexpected exception is logged with its type and the request id only — the traceback
goes to DEBUG, because exception messages can carry row data.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.context import request_id
from api.templating import templates
from core.errors import DomainError, NotAuthenticated

log = logging.getLogger(__name__)

_TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Some fields need attention",
    500: "Something went wrong",
    503: "Service unavailable",
}


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    field_errors: dict[str, str] | None = None,
) -> Response:
    rid = request_id(request)
    if wants_json(request):
        body: dict[str, Any] = {
            "type": f"/problems/{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "request_id": rid,
        }
        if field_errors:
            body["errors"] = [{"field": k, "message": v} for k, v in field_errors.items()]
        return JSONResponse(body, status_code=status, media_type="application/problem+json")
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "status": status,
            "title": title,
            "detail": detail,
            "field_errors": field_errors or {},
            "request_id": rid,
        },
        status_code=status,
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "request"


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if isinstance(exc, NotAuthenticated) and not wants_json(request):
        target = request.url.path if request.method == "GET" else "/dashboard"
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    return problem(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.message,
        field_errors=exc.field_errors,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields: dict[str, str] = {}
    for err in exc.errors():
        fields.setdefault(_field_name(tuple(err.get("loc", ()))), str(err.get("msg", "invalid")))
    return problem(
        request,
        status=422,
        code="invalid_input",
        title=_TITLES[422],
        detail="The request has fields that are missing or not valid.",
        field_errors=fields,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    friendly = {
        404: "There is nothing at this address, or it is not yours to see.",
        405: "This address does not accept that kind of request.",
    }
    detail = exc.detail if isinstance(exc.detail, str) else ""
    if status in friendly and detail in ("", "Not Found", "Method Not Allowed"):
        detail = friendly[status]
    detail = detail or _TITLES.get(status, "Error")
    response = problem(
        request,
        status=status,
        code=f"http_{status}",
        title=_TITLES.get(status, "Error"),
        detail=detail,
    )
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected %s rid=%s", type(exc).__name__, request_id(request))
    log.debug("traceback rid=%s", request_id(request), exc_info=exc)
    return problem(
        request,
        status=500,
        code="unexpected",
        title=_TITLES[500],
        detail="Something went wrong on our side. Nothing was saved. "
        "If it happens again, quote the request id.",
    )


class UnexpectedErrorMiddleware:
    """Renders an unexpected exception as a 500 page/problem and does not re-raise it:
    Starlette's own handler re-raises, and the server would print the traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                log.error("unexpected %s after the response started", type(exc).__name__)
                return
            response = await _unexpected(Request(scope), exc)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(UnexpectedErrorMiddleware)
