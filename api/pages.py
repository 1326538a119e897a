"""Rendering staff pages: one helper so every page gets the flash message (and clears
it), the right status, and the same layout context."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from api.cookies import FlashKind, clear_cookie, flash, names_for
from api.templating import templates


def render(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> Response:
    response = templates.TemplateResponse(request, template, context, status_code=status)
    if names_for(request).flash in request.cookies:
        clear_cookie(response, request, names_for(request).flash)
    return response


def redirect(
    request: Request, url: str, message: str | None = None, kind: FlashKind = "success"
) -> Response:
    """Post/Redirect/Get with an optional flash message for the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        flash(response, request, message, kind)
    return response


def safe_next(value: str | None, default: str = "/dashboard") -> str:
    """Only a local path may follow sign-in (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
