"""Reading the client-list filters from a query string (pages and JSON alike).

`status` current / archived / everyone; `kind` a case kind; `sort` name / -name / opened;
`provider` a staff id; `cursor` the id of the last case of the previous page (no names in
URLs). Unknown values are field errors — never a 500.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from starlette.datastructures import QueryParams

from models.orm.case import CaseKind
from services.cases.queries import SORTS, STATUS_FILTERS, CaseFilter


def parse_case_filter(params: QueryParams) -> tuple[CaseFilter, dict[str, str]]:
    errors: dict[str, str] = {}
    filt = CaseFilter()
    status = params.get("status", "") or "current"
    if status in STATUS_FILTERS:
        filt = replace(filt, status=status)
    else:
        errors["status"] = "Choose current, archived or everyone."
    kind = params.get("kind", "")
    if kind:
        if kind in CaseKind.__members__:
            filt = replace(filt, kind=CaseKind(kind))
        else:
            errors["kind"] = "Choose one of the case kinds."
    sort = params.get("sort", "") or "name"
    if sort in SORTS:
        filt = replace(filt, sort=sort)
    else:
        errors["sort"] = "Sort by name, -name or opened."
    ids: dict[str, uuid.UUID | None] = {}
    for name in ("cursor", "provider"):
        raw = params.get(name, "")
        try:
            ids[name] = uuid.UUID(raw) if raw else None
        except ValueError:
            errors[name] = "Not a valid value."
            ids[name] = None
    filt = replace(filt, after=ids["cursor"], provider_id=ids["provider"])
    limit = params.get("limit", "")
    if limit:
        if limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 200:
            filt = replace(filt, limit=int(limit))
        else:
            errors["limit"] = "Use 1 to 200."
    return filt, errors
