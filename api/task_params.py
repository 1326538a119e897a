"""Reading the Needs-attention filters from a query string (pages and JSON alike).

`who` is `mine`, `everyone` or a staff id; `kind` a task kind; `overdue` 1/true; `status`
`open` or `closed`; `cursor` the opaque keyset mark of the previous page. Unknown values
are field errors (a 422 on the API, a message beside the filter on the page) — never a 500.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import replace
from datetime import datetime

from starlette.datastructures import QueryParams

from services.tasks.kinds import TaskKind
from services.tasks.queries import PAGE_MAX, TaskFilter


def encode_cursor(mark: tuple[datetime, uuid.UUID] | None) -> str | None:
    if mark is None:
        return None
    raw = f"{mark[0].isoformat()}|{mark[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[datetime, uuid.UUID]:
    padded = value + "=" * (-len(value) % 4)
    when, _, ident = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
    moment = datetime.fromisoformat(when)
    if moment.tzinfo is None:
        raise ValueError("cursor without a zone")
    return moment, uuid.UUID(ident)


def parse_filter(params: QueryParams) -> tuple[TaskFilter, dict[str, str]]:
    """The filter, and the errors of the values that were ignored."""
    errors: dict[str, str] = {}
    filt = TaskFilter()
    who = params.get("who", "mine") or "mine"
    if who not in ("mine", "everyone"):
        try:
            who = str(uuid.UUID(who))
        except ValueError:
            errors["who"] = "Choose mine, everyone or a staff member."
            who = "mine"
    filt = replace(filt, who=who)
    kind = params.get("kind", "")
    if kind:
        if kind in TaskKind.__members__:
            filt = replace(filt, kind=TaskKind(kind))
        else:
            errors["kind"] = "Choose one of the task kinds."
    overdue = params.get("overdue", "").lower()
    if overdue not in ("", "0", "1", "true", "false"):
        errors["overdue"] = "Use 1 (only overdue) or 0."
    filt = replace(filt, overdue=overdue in ("1", "true"))
    status = params.get("status", "open") or "open"
    if status not in ("open", "closed"):
        errors["status"] = "Choose open or closed."
        status = "open"
    filt = replace(filt, closed=status == "closed")
    if params.get("cursor"):
        try:
            filt = replace(filt, after=decode_cursor(params["cursor"]))
        except (ValueError, UnicodeDecodeError, binascii.Error):
            errors["cursor"] = "This page marker is not valid: start from the first page."
    limit = params.get("limit", "")
    if limit:
        if limit.isascii() and limit.isdigit() and 1 <= int(limit) <= PAGE_MAX:
            filt = replace(filt, limit=int(limit))
        else:
            errors["limit"] = f"Use a number from 1 to {PAGE_MAX}."
    return filt, errors
