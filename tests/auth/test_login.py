"""Signing in: good, bad, throttled, with TOTP and with recovery codes."""

from __future__ import annotations

import uuid

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from core.db import SessionMaker, open_unit
from models.orm.staff import StaffStatus
from services.auth import accounts
from services.auth.totp import TotpKeys
from services.staff import get_staff
from tests.auth.helpers import session_cookie, sign_in, totp_code
from tests.fixtures.app import FrozenClock, client_for
from tests.fixtures.db import Database
from tests.fixtures.factories import PASSWORD, PracticeRef, StaffRef, make_staff

WRONG = "Email or password is incorrect."


async def enable_totp(
    app: FastAPI,
    sessionmaker: SessionMaker,
    practice: PracticeRef,
    staff: StaffRef,
    clock: FrozenClock,
) -> tuple[str, list[str]]:
    keys: TotpKeys = app.state.authenticator.totp
    uow = await open_unit(sessionmaker, practice.id)
    member = await get_staff(uow, staff.id)
    seed = await accounts.begin_totp_setup(uow, keys, member)
    codes = await accounts.confirm_totp(
        uow, keys, member, totp_code(seed, clock.now()), clock.now()
    )
    await uow.commit()
    await uow.close()
    return seed, codes


class TestPassword:
    async def test_good_password_opens_a_session_and_the_dashboard(
        self, app: FastAPI, provider: StaffRef, db: Database
    ) -> None:
        async with client_for(app) as client:
            response = await sign_in(client, provider.email, next_url="/settings/account")
            assert response.status_code == 303
            assert response.headers["location"] == "/settings/account"
            cookie = response.headers["set-cookie"]
            assert "pr_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
            assert (await client.get("/dashboard")).status_code == 200
        with db.owner() as owner:
            row = owner.execute(
                "SELECT last_login_at FROM staff_members WHERE id = %s", (provider.id,)
            ).fetchone()
        assert row is not None and row[0] is not None

    async def test_each_sign_in_gets_a_new_session_id(
        self, app: FastAPI, provider: StaffRef
    ) -> None:
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            first = session_cookie(client)
            await sign_in(client, provider.email)
            second = session_cookie(client)
        assert first and second and first != second

    async def test_an_open_redirect_is_not_followed(self, app: FastAPI, provider: StaffRef) -> None:
        async with client_for(app) as client:
            response = await sign_in(client, provider.email, next_url="//evil.example/x")
        assert response.headers["location"] == "/dashboard"

    @pytest.mark.parametrize("case", ["wrong password", "unknown email", "invited", "deactivated"])
    async def test_every_failure_gets_the_same_answer(
        self, app: FastAPI, sessionmaker: SessionMaker, practice: PracticeRef, case: str
    ) -> None:
        email = f"{uuid.uuid4().hex[:8]}@{practice.link_name}.example"
        password = PASSWORD
        if case == "wrong password":
            await make_staff(sessionmaker, practice, email=email)
            password = "not the right passphrase at all"
        elif case == "invited":
            await make_staff(
                sessionmaker, practice, email=email, password=None, status=StaffStatus.invited
            )
        elif case == "deactivated":
            await make_staff(sessionmaker, practice, email=email, status=StaffStatus.deactivated)
        async with client_for(app) as client:
            response = await sign_in(client, email, password)
            assert session_cookie(client) is None
        assert response.status_code == 401
        assert WRONG in response.text
        assert (f'value="{email}"') in response.text  # the email stays in the form

    async def test_empty_fields_are_named(self, app: FastAPI) -> None:
        async with client_for(app) as client:
            response = await client.post("/login", data={"email": "", "password": ""})
        assert response.status_code == 422
        assert response.text.count("Required.") == 2

    async def test_a_weaker_stored_hash_is_replaced_at_sign_in(
        self, app: FastAPI, sessionmaker: SessionMaker, practice: PracticeRef, db: Database
    ) -> None:
        staff = await make_staff(sessionmaker, practice)
        weak = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1).hash(PASSWORD)
        with db.owner() as owner:
            owner.execute(
                "UPDATE staff_members SET password_hash = %s WHERE id = %s", (weak, staff.id)
            )
        async with client_for(app) as client:
            assert (await sign_in(client, staff.email)).status_code == 303
        with db.owner() as owner:
            row = owner.execute(
                "SELECT password_hash FROM staff_members WHERE id = %s", (staff.id,)
            ).fetchone()
        assert row is not None and row[0] != weak and "m=1024" in row[0]


class TestThrottling:
    async def test_ten_failures_pause_that_account_from_that_address(
        self, app: FastAPI, sessionmaker: SessionMaker, practice: PracticeRef, clock: FrozenClock
    ) -> None:
        target = await make_staff(sessionmaker, practice)
        colleague = await make_staff(sessionmaker, practice)
        async with client_for(app) as client:
            for _ in range(10):
                assert (
                    await sign_in(client, target.email, "guess guess guess guess")
                ).status_code == 401
            throttled = await sign_in(client, target.email)  # even the right password
            assert throttled.status_code == 429
            assert "Too many sign-in attempts" in throttled.text
            # a colleague signing in from the same address is not locked out
            assert (await sign_in(client, colleague.email)).status_code == 303
            clock.advance(minutes=16)
            assert (await sign_in(client, target.email)).status_code == 303

    async def test_an_unknown_account_is_throttled_the_same_way(self, app: FastAPI) -> None:
        async with client_for(app) as client:
            for _ in range(10):
                await sign_in(client, "nobody@nowhere.example", "guess guess guess guess")
            response = await sign_in(client, "nobody@nowhere.example", "guess guess guess guess")
        assert response.status_code == 429


class TestSecondFactor:
    async def test_a_totp_code_completes_the_sign_in_with_a_new_session(
        self,
        app: FastAPI,
        sessionmaker: SessionMaker,
        practice: PracticeRef,
        provider: StaffRef,
        clock: FrozenClock,
    ) -> None:
        seed, _ = await enable_totp(app, sessionmaker, practice, provider, clock)
        clock.advance(minutes=2)
        async with client_for(app) as client:
            response = await sign_in(client, provider.email)
            assert response.headers["location"].startswith("/login/verify")
            half_open = session_cookie(client)
            # the password alone opens nothing
            assert (await client.get("/dashboard")).headers["location"].startswith("/login")
            wrong = await client.post(
                "/login/verify", data={"code": "000000", "next": "/dashboard"}
            )
            assert wrong.status_code == 422 and "That code is not valid" in wrong.text
            code = totp_code(seed, clock.now())
            done = await client.post("/login/verify", data={"code": code, "next": "/dashboard"})
            assert done.status_code == 303 and done.headers["location"] == "/dashboard"
            assert session_cookie(client) != half_open
            assert (await client.get("/dashboard")).status_code == 200
        async with client_for(app) as again:  # the same code cannot be used twice
            await sign_in(again, provider.email)
            reused = await again.post("/login/verify", data={"code": code, "next": "/dashboard"})
            assert reused.status_code == 422

    async def test_a_recovery_code_works_once(
        self,
        app: FastAPI,
        sessionmaker: SessionMaker,
        practice: PracticeRef,
        provider: StaffRef,
        clock: FrozenClock,
    ) -> None:
        _, codes = await enable_totp(app, sessionmaker, practice, provider, clock)
        assert len(codes) == 10 and len(set(codes)) == 10
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            ok = await client.post(
                "/login/verify", data={"code": codes[0].upper(), "next": "/dashboard"}
            )
            assert ok.status_code == 303
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            again = await client.post(
                "/login/verify", data={"code": codes[0], "next": "/dashboard"}
            )
            assert again.status_code == 422

    async def test_five_wrong_codes_end_the_attempt(
        self,
        app: FastAPI,
        sessionmaker: SessionMaker,
        practice: PracticeRef,
        provider: StaffRef,
        clock: FrozenClock,
    ) -> None:
        seed, _ = await enable_totp(app, sessionmaker, practice, provider, clock)
        clock.advance(minutes=2)
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            statuses = [
                (await client.post("/login/verify", data={"code": "123456"})).status_code
                for _ in range(5)
            ]
            assert statuses == [422, 422, 422, 422, 429]
            late = await client.post("/login/verify", data={"code": totp_code(seed, clock.now())})
            assert late.status_code == 303 and late.headers["location"].startswith("/login")

    async def test_a_practice_that_requires_totp_sends_newcomers_to_set_it_up(
        self,
        app: FastAPI,
        sessionmaker: SessionMaker,
        practice: PracticeRef,
        provider: StaffRef,
        db: Database,
        clock: FrozenClock,
    ) -> None:
        with db.owner() as owner:
            owner.execute(
                "UPDATE practices SET settings = settings || '{\"totp_required\": true}'"
                " WHERE id = %s",
                (practice.id,),
            )
        async with client_for(app) as client:
            response = await sign_in(client, provider.email)
            assert response.headers["location"] == "/login/setup"
            assert (await client.get("/dashboard")).headers["location"].startswith("/login")
            page = await client.get("/login/setup")
            assert page.status_code == 200 and "<svg" in page.text
            seed = page.text.split('class="secret">')[1].split("<")[0]
            done = await client.post("/login/setup", data={"code": totp_code(seed, clock.now())})
            assert done.status_code == 200 and "Save your recovery codes" in done.text
            assert (await client.get("/dashboard")).status_code == 200


class TestSignOut:
    async def test_sign_out_ends_the_session_on_the_server(
        self, app: FastAPI, provider: StaffRef
    ) -> None:
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            cookie = session_cookie(client)
            assert cookie is not None
            out = await client.post("/logout")
            assert out.status_code == 303
        async with client_for(app) as replay:  # someone who kept the cookie
            replay.cookies.set("pr_session", cookie)
            response = await replay.get("/dashboard")
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


class TestApiAnswers:
    async def test_the_api_says_401_not_a_redirect(self, app: FastAPI) -> None:
        async with client_for(app) as client:
            response = await client.get("/api/v1/me")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
