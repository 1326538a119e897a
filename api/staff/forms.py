"""Reading HTML forms: plain strings in, field errors out — never a 500 on odd input."""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.datastructures import FormData


async def read_form(request: Request) -> FormData:
    return await request.form()


def field(form: FormData, name: str, max_length: int = 1000) -> str:
    value = form.get(name)
    return value[:max_length] if isinstance(value, str) else ""


def fields(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


def uuid_field(form: FormData, name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(field(form, name, 64))
    except ValueError:
        return None
