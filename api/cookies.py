"""Cookies the app sets: the staff session, the anonymous CSRF seed, flash messages.

Over https they are `__Host-` prefixed and Secure (no Domain, Path=/); always HttpOnly
and SameSite=Lax. Flash messages are signed (HMAC) so nobody can inject text into a page.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Literal

from fastapi import Request, Response

from core.security import keyed_hmac, same
from core.settings import Settings

FlashKind = Literal["success", "info", "error"]


@dataclass(frozen=True)
class CookieNames:
    session: str
    csrf: str
    flash: str
    secure: bool


def cookie_names(settings: Settings) -> CookieNames:
    secure = settings.APP_BASE_URL.startswith("https://")
    prefix = "__Host-" if secure else ""
    return CookieNames(f"{prefix}pr_session", f"{prefix}pr_csrf", f"{prefix}pr_flash", secure)


def names_for(request: Request) -> CookieNames:
    return cookie_names(request.app.state.settings)


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
        secure=names_for(request).secure,
    )  # fmt: skip


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax",
                           secure=names_for(request).secure)  # fmt: skip


def _secret(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.SECRET_KEY.get_secret_value()


def flash(response: Response, request: Request, text: str, kind: FlashKind = "success") -> None:
    payload = base64.urlsafe_b64encode(json.dumps({"k": kind, "t": text}).encode()).decode()
    signature = keyed_hmac(_secret(request), "flash", payload)
    set_cookie(response, request, names_for(request).flash, f"{payload}.{signature}", 120)


def read_flash(request: Request) -> tuple[FlashKind, str] | None:
    raw = request.cookies.get(names_for(request).flash)
    if not raw or "." not in raw:
        return None
    payload, _, signature = raw.rpartition(".")
    if not same(signature, keyed_hmac(_secret(request), "flash", payload)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload))
    except ValueError:
        return None
    kind = data.get("k")
    if kind not in ("success", "info", "error"):
        return None
    return kind, str(data.get("t", ""))
