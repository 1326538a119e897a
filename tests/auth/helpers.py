"""Shared steps for the sign-in tests: signing in through the real form, reading mail."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pyotp

from tests.fixtures.db import Database
from tests.fixtures.factories import PASSWORD


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, next_url: str = "/dashboard"
) -> httpx.Response:
    return await client.post(
        "/login", data={"email": email, "password": password, "next": next_url}
    )


def session_cookie(client: httpx.AsyncClient) -> str | None:
    return client.cookies.get("pr_session")


def latest_mail(db: Database, recipient: str) -> dict[str, Any]:
    with db.owner() as owner:
        row = owner.execute(
            "SELECT template, subject, body_text FROM mail_outbox WHERE recipient = %s"
            " ORDER BY created_at DESC LIMIT 1",
            (recipient,),
        ).fetchone()
    assert row is not None, f"no mail to {recipient}"
    return {"template": row[0], "subject": row[1], "body": row[2]}


def link_in(body: str) -> str:
    """The path of the one-time link in a mail body (http://host/path/token → /path/token)."""
    match = re.search(r"https?://[^/\s]+(/(?:invitation|password/reset)/[A-Za-z0-9_\-]+)", body)
    assert match is not None, body
    return match.group(1)


def audit_rows(db: Database, practice_id: uuid.UUID) -> list[tuple[Any, ...]]:
    with db.owner() as owner:
        return owner.execute(
            "SELECT action, outcome, actor_id, acting_for_id, status_code FROM audit_events"
            " WHERE practice_id = %s ORDER BY occurred_at",
            (practice_id,),
        ).fetchall()


def totp_code(seed: str, at: Any) -> str:
    return str(pyotp.TOTP(seed).at(at))
