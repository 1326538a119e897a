"""The one Jinja2Templates instance (autoescaping on) and its filters."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def _app_context(request: Request) -> dict[str, Any]:
    settings = getattr(request.app.state, "settings", None)
    return {"dev_pages": bool(settings and settings.dev_pages_enabled)}


templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_app_context])


def local_time(value: datetime | None, tz: str = "UTC") -> str:
    """`2026-11-25 09:30 CST` — always with the zone named."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


templates.env.filters["local_time"] = local_time
