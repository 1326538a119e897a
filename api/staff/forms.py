"""Reading HTML forms: plain strings in, field errors out — never a 500 on odd input."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData

from core.errors import InvalidInput
from models.schemas.person import PersonIn


async def read_form(request: Request) -> FormData:
    return await request.form()


def field(form: FormData, name: str, max_length: int = 1000) -> str:
    """The field's text, cut to `max_length`, without NUL characters (Postgres refuses them
    in text; nobody types one)."""
    value = form.get(name)
    return value.replace("\x00", "")[:max_length] if isinstance(value, str) else ""


def fields(form: FormData, name: str) -> list[str]:
    return [v.replace("\x00", "")[:200] for v in form.getlist(name) if isinstance(v, str)]


def person_input(data: dict[str, Any]) -> PersonIn:
    """A person's form fields as the service reads them; a value the schema refuses is a
    message beside its field, never a 500."""
    try:
        return PersonIn.model_validate(data)
    except ValidationError as exc:
        errors = {str(e["loc"][-1]) if e["loc"] else "form": e["msg"] for e in exc.errors()}
        raise InvalidInput("Some details need another look", field_errors=errors) from None


def parse_uuid(raw: str) -> uuid.UUID | None:
    """An id from a form or a query string; anything else is None (never a 500)."""
    try:
        return uuid.UUID(raw[:64]) if raw else None
    except ValueError:
        return None


def uuid_field(form: FormData, name: str) -> uuid.UUID | None:
    return parse_uuid(field(form, name, 64))
