"""The one Jinja2Templates instance (autoescaping on), its filters and page context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates

from api.cookies import read_flash
from api.csrf import csrf_token
from services.access import Action, can
from services.documents.markdown import render as render_markdown
from services.people.fields import pretty_phone

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    href: str
    available: bool = True  # False: the area arrives with later work; shown, not linked


def navigation(auth: Any) -> list[NavItem]:
    if auth is None:
        return []
    items = [
        NavItem("dashboard", "Dashboard", "/dashboard"),
        NavItem("clients", "Clients", "/clients"),
        NavItem("calendar", "Calendar", "/calendar"),
        NavItem("billing", "Billing", "/billing", available=False),
        NavItem("tasks", "Tasks", "/tasks"),
    ]
    if can(auth.actor, Action.use_workflow_console):
        items.append(NavItem("workflows", "Workflows", "/app/workflows"))
    items.append(NavItem("settings", "Settings", "/settings"))
    return items


def settings_sections(auth: Any) -> list[NavItem]:
    actor = auth.actor
    sections = [NavItem("account", "My account", "/settings/account")]
    if can(actor, Action.manage_practice_profile) or can(actor, Action.manage_practice_security):
        sections.append(NavItem("practice", "Practice", "/settings/practice"))
    if can(actor, Action.manage_practice_profile):
        sections.append(NavItem("scheduling", "Services & locations", "/settings/scheduling"))
    if not actor.is_admin or actor.acting_for_id is not None:
        # one's own hours (an admin: the provider they are working for right now)
        sections.append(NavItem("availability", "Availability", "/settings/availability"))
    if can(actor, Action.manage_library):
        sections.append(NavItem("library", "Documents & forms", "/settings/library"))
    if can(actor, Action.manage_staff):
        sections.append(NavItem("staff", "Staff", "/settings/staff"))
    if can(actor, Action.view_audit_log):
        sections.append(NavItem("audit", "Audit log", "/settings/audit"))
    return sections


def _app_context(request: Request) -> dict[str, Any]:
    settings = getattr(request.app.state, "settings", None)
    auth = getattr(request.state, "auth", None)
    return {
        "dev_pages": bool(settings and settings.dev_pages_enabled),
        "me": auth,
        "nav": navigation(auth),
        "csrf_token": lambda: csrf_token(request),
        "flash": read_flash(request),
    }


templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_app_context])


def local_time(value: datetime | None, tz: str = "UTC") -> str:
    """`2026-11-25 09:30 CST` — always with the zone named."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


templates.env.filters["local_time"] = local_time
templates.env.filters["phone"] = pretty_phone
templates.env.filters["markdown"] = render_markdown


def local_iso(value: str | None, tz: str = "UTC") -> str:
    return local_time(datetime.fromisoformat(value) if value else None, tz)


templates.env.filters["local_iso"] = local_iso
