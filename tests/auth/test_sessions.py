"""Session lifetime with a controlled clock; deactivation ends sessions and tokens."""

from __future__ import annotations

from fastapi import FastAPI

from core.db import SessionMaker
from models.orm.staff import StaffRole
from tests.auth.helpers import sign_in
from tests.fixtures.app import FrozenClock, client_for
from tests.fixtures.db import Database
from tests.fixtures.factories import PracticeRef, StaffRef, make_staff


def last_seen(db: Database, staff: StaffRef) -> object:
    with db.owner() as owner:
        row = owner.execute(
            "SELECT last_seen_at FROM staff_sessions WHERE staff_id = %s AND revoked_at IS NULL",
            (staff.id,),
        ).fetchone()
    assert row is not None
    return row[0]


class TestIdleTimeout:
    async def test_fifteen_idle_minutes_end_the_session(
        self, app: FastAPI, provider: StaffRef, clock: FrozenClock
    ) -> None:
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            clock.advance(minutes=14, seconds=59)
            assert (await client.get("/dashboard")).status_code == 200  # activity resets the clock
            clock.advance(minutes=14, seconds=59)
            assert (await client.get("/dashboard")).status_code == 200
            clock.advance(minutes=15)
            response = await client.get("/dashboard")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/dashboard"

    async def test_the_practice_may_allow_up_to_thirty_minutes(
        self, app: FastAPI, practice: PracticeRef, provider: StaffRef, clock: FrozenClock
    ) -> None:
        async with client_for(app) as owner:
            await sign_in(owner, f"owner@{practice.link_name}.example")
            too_long = await owner.post(
                "/settings/practice/security", data={"idle_timeout_minutes": "45"}
            )
            assert too_long.status_code == 422
            assert "Choose between 5 and 30 minutes." in too_long.text
            saved = await owner.post(
                "/settings/practice/security",
                data={"idle_timeout_minutes": "30", "admin_areas": "staff"},
            )
            assert saved.status_code == 303
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            clock.advance(minutes=29)
            assert (await client.get("/dashboard")).status_code == 200

    async def test_last_seen_is_written_at_most_once_a_minute(
        self, app: FastAPI, provider: StaffRef, clock: FrozenClock, db: Database
    ) -> None:
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            start = last_seen(db, provider)
            clock.advance(seconds=30)
            await client.get("/dashboard")
            assert last_seen(db, provider) == start
            clock.advance(seconds=31)
            await client.get("/dashboard")
            assert last_seen(db, provider) == clock.now()


class TestAbsoluteLifetime:
    async def test_twelve_hours_end_even_a_busy_session(
        self, app: FastAPI, provider: StaffRef, clock: FrozenClock
    ) -> None:
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            for _ in range(71):  # active every 10 minutes for 11 h 50 min
                clock.advance(minutes=10)
                assert (await client.get("/dashboard")).status_code == 200
            clock.advance(minutes=10)
            response = await client.get("/dashboard")
        assert response.status_code == 303


class TestDeactivation:
    async def test_deactivation_ends_sessions_and_api_tokens(
        self, app: FastAPI, practice: PracticeRef, provider: StaffRef, db: Database
    ) -> None:
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            created = await client.post("/settings/account/tokens", data={"name": "export"})
            token = created.text.split('class="secret wide">')[1].split("<")[0]
            assert token.startswith("prt_")
            bearer = {"authorization": f"Bearer {token}"}
            assert (await client.get("/api/v1/me", headers=bearer)).status_code == 200
            async with client_for(app) as owner:
                await sign_in(owner, f"owner@{practice.link_name}.example")
                done = await owner.post(f"/settings/staff/{provider.id}/deactivate")
                assert done.status_code == 303
            assert (await client.get("/dashboard")).status_code == 303  # signed out
            assert (await client.get("/api/v1/me", headers=bearer)).status_code == 401
            assert (await sign_in(client, provider.email)).status_code == 401
        with db.owner() as owner:
            open_sessions = owner.execute(
                "SELECT count(*) FROM staff_sessions WHERE staff_id = %s AND revoked_at IS NULL",
                (provider.id,),
            ).fetchone()
        assert open_sessions == (0,)

    async def test_an_owner_may_deactivate_another_owner_but_not_themselves(
        self, app: FastAPI, practice: PracticeRef, sessionmaker: SessionMaker
    ) -> None:
        second = await make_staff(sessionmaker, practice, StaffRole.owner)
        async with client_for(app) as client:
            await sign_in(client, second.email)
            first = await client.post(f"/settings/staff/{practice.owner_id}/deactivate")
            assert first.status_code == 303  # two owners: one may go
            await sign_in(client, second.email)
            self_off = await client.post(f"/settings/staff/{second.id}/deactivate")
            assert self_off.status_code == 409
            assert "You cannot deactivate yourself." in self_off.text
