"""The workflow console while Temporal is away: a plain 503 page, never a 500."""

from __future__ import annotations

from fastapi import FastAPI

from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.factories import Team


async def test_the_console_says_plainly_when_temporal_is_away(app: FastAPI, ours: Team) -> None:
    """The default test app points at a port where nothing answers."""
    async with client_for(app) as client:
        await sign_in(client, ours.owner.email)
        page = await client.get("/app/workflows")
        assert page.status_code == 503
        assert "not reachable right now" in page.text
        detail = await client.get("/app/workflows/practice-welcome-x")
        assert detail.status_code == 503
