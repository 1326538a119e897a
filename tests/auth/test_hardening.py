"""The review's findings, as tests: races on one-time things, every throttle rule,
second-factor guessing across sign-ins, odd input that must not be a 500."""

from __future__ import annotations

import asyncio
import time

from fastapi import FastAPI

from api.staff.auth import RESET_ANSWER_S
from core.db import SessionMaker
from tests.auth.helpers import latest_mail, link_in, sign_in, totp_code
from tests.auth.test_login import enable_totp
from tests.fixtures.app import FrozenClock, client_for
from tests.fixtures.db import Database
from tests.fixtures.factories import PracticeRef, StaffRef

NEW_PASSWORD = "window kettle harbour spruce"


class TestRaces:
    async def test_one_totp_code_sent_twice_at_once_signs_in_once(
        self,
        app: FastAPI,
        sessionmaker: SessionMaker,
        practice: PracticeRef,
        provider: StaffRef,
        clock: FrozenClock,
    ) -> None:
        seed, _ = await enable_totp(app, sessionmaker, practice, provider, clock)
        clock.advance(minutes=2)
        code = totp_code(seed, clock.now())
        async with client_for(app) as a, client_for(app) as b:
            await sign_in(a, provider.email)
            await sign_in(b, provider.email)
            results = await asyncio.gather(
                a.post("/login/verify", data={"code": code}),
                b.post("/login/verify", data={"code": code}),
            )
        assert sorted(r.status_code for r in results) == [303, 422]

    async def test_one_invitation_posted_twice_at_once_is_used_once(
        self, app: FastAPI, db: Database, practice: PracticeRef
    ) -> None:
        async with client_for(app) as owner:
            await sign_in(owner, f"owner@{practice.link_name}.example")
            await owner.post(
                "/settings/staff/invite",
                data={"display_name": "Ana", "email": "ana@x.example", "role": "provider"},
            )
        link = link_in(latest_mail(db, "ana@x.example")["body"])
        form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        async with client_for(app) as a, client_for(app) as b:
            results = await asyncio.gather(a.post(link, data=form), b.post(link, data=form))
        assert sorted(r.status_code for r in results) == [303, 410]


class TestThrottleRules:
    async def test_failures_slow_down_from_the_fifth(
        self, app: FastAPI, provider: StaffRef
    ) -> None:
        throttle = app.state.authenticator.throttle
        throttle.delay_step_s = 0.001  # the real step is 0.5 s; the schedule is what counts
        delays = []
        async with client_for(app) as client:
            for _ in range(7):
                await sign_in(client, provider.email, "wrong wrong wrong wrong")
                delays.append(round(throttle.last_delay_s, 3))
        assert delays == [0, 0, 0, 0, 0.001, 0.002, 0.003]

    async def test_a_spraying_address_is_paused_but_the_usual_one_is_not(
        self,
        app: FastAPI,
        sessionmaker: SessionMaker,
        practice: PracticeRef,
        provider: StaffRef,
    ) -> None:
        async with client_for(app, ip="203.0.113.50") as usual:  # the provider's own computer
            assert (await sign_in(usual, provider.email)).status_code == 303
        async with client_for(app, ip="198.51.100.7") as attacker:
            for n in range(100):  # 100 different accounts, 1 guess each
                await sign_in(
                    attacker, f"user{n}@{practice.link_name}.example", "guess guess guess guess"
                )
            assert (await sign_in(attacker, provider.email)).status_code == 429
        async with client_for(app, ip="203.0.113.50") as usual:
            assert (await sign_in(usual, provider.email)).status_code == 303

    async def test_an_account_under_attack_still_signs_in_from_its_usual_address(
        self, app: FastAPI, provider: StaffRef
    ) -> None:
        async with client_for(app, ip="203.0.113.50") as usual:
            assert (await sign_in(usual, provider.email)).status_code == 303
        for n in range(10):  # 100 failures from 10 addresses: the account-wide cap
            async with client_for(app, ip=f"198.51.100.{n + 1}") as attacker:
                for _ in range(10):
                    await sign_in(attacker, provider.email, "guess guess guess guess")
        async with client_for(app, ip="192.0.2.99") as elsewhere:
            assert (await sign_in(elsewhere, provider.email)).status_code == 429
        async with client_for(app, ip="203.0.113.50") as usual:
            assert (await sign_in(usual, provider.email)).status_code == 303

    async def test_codes_are_counted_across_sign_ins(
        self,
        app: FastAPI,
        sessionmaker: SessionMaker,
        practice: PracticeRef,
        provider: StaffRef,
        clock: FrozenClock,
    ) -> None:
        seed, _ = await enable_totp(app, sessionmaker, practice, provider, clock)
        clock.advance(minutes=2)
        statuses = []
        for _ in range(3):  # someone with the password starts over and over
            async with client_for(app) as client:
                await sign_in(client, provider.email)
                for _ in range(4):
                    statuses.append(
                        (await client.post("/login/verify", data={"code": "123456"})).status_code
                    )
        assert statuses[:10] == [422] * 10
        assert set(statuses[10:]) == {429}
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            right = await client.post("/login/verify", data={"code": totp_code(seed, clock.now())})
            assert right.status_code == 429  # even the right code waits
        clock.advance(minutes=16)
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            ok = await client.post("/login/verify", data={"code": totp_code(seed, clock.now())})
        assert ok.status_code == 303

    async def test_reset_requests_take_the_same_time_and_are_limited_per_address(
        self, app: FastAPI, practice: PracticeRef
    ) -> None:
        async with client_for(app, ip="198.51.100.9") as client:
            started = time.perf_counter()
            await client.post("/password/forgot", data={"email": "nobody@x.example"})
            assert time.perf_counter() - started >= RESET_ANSWER_S
            started = time.perf_counter()
            await client.post(
                "/password/forgot", data={"email": f"owner@{practice.link_name}.example"}
            )
            assert time.perf_counter() - started >= RESET_ANSWER_S
            for _ in range(18):
                await client.post("/password/forgot", data={"email": "nobody@x.example"})
            limited = await client.post("/password/forgot", data={"email": "nobody@x.example"})
        assert limited.status_code == 429


class TestOddInput:
    async def test_none_of_these_is_a_500(
        self,
        app: FastAPI,
        practice: PracticeRef,
        provider: StaffRef,
        sessionmaker: SessionMaker,
        clock: FrozenClock,
    ) -> None:
        async with client_for(app) as owner:
            await sign_in(owner, f"owner@{practice.link_name}.example")
            idle = await owner.post(
                "/settings/practice/security", data={"idle_timeout_minutes": "²"}
            )
            audit = await owner.get(
                "/settings/audit?until=9999-12-31&since=0001-01-01&actor=x&before_at=y&before_id=z"
            )
            staff = await owner.get("/settings/staff/not-a-uuid")
        assert idle.status_code == 422
        assert audit.status_code == 200
        assert staff.status_code == 422
        await enable_totp(app, sessionmaker, practice, provider, clock)
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            arabic = await client.post("/login/verify", data={"code": "٣٣٣٣٣٣"})
        assert arabic.status_code == 422

    async def test_confirming_a_key_that_was_never_shown_starts_the_setup_over(
        self, app: FastAPI, provider: StaffRef
    ) -> None:
        async with client_for(app) as client:
            await sign_in(client, provider.email)
            response = await client.post("/settings/account/totp", data={"code": "123456"})
            assert response.status_code == 303
            assert response.headers["location"] == "/settings/account/totp"
            page = await client.get("/settings/account/totp")
            assert "Start the set-up again" in page.text
