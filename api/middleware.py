"""Outermost middleware: request id, security headers, and the redacted access log."""

from __future__ import annotations

import logging
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logging import redact_path

access_log = logging.getLogger("access")

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Always our own id: it is the audit log's request id, so a client may not choose it.
        rid = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        path: str = scope.get("path", "")
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers.setdefault("Content-Security-Policy", CSP)
                if not path.startswith("/static/"):
                    headers["Cache-Control"] = "no-store"
                if self.https:
                    headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
                seed = scope["state"].get("new_csrf_seed")
                if seed:  # the first form shown before sign-in (api.csrf)
                    name = f"{'__Host-' if self.https else ''}pr_csrf"
                    secure = "; Secure" if self.https else ""
                    headers.append(
                        "set-cookie", f"{name}={seed}; Path=/; HttpOnly; SameSite=Lax{secure}"
                    )
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            access_log.info(
                "%s %s %s %.1fms rid=%s",
                scope.get("method", "-"),
                redact_path(path),
                status,
                (time.perf_counter() - started) * 1000,
                rid,
            )
