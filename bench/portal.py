"""Signing in to the portal with a passkey: n accounts of one practice each hold a passkey
(a software authenticator with real P-256 signatures, tests/portal/authenticator.py),
and each iteration is one client's whole ceremony through the app — POST the sign-in
options (a challenge row), sign, POST the answer (challenge consumed under lock, the
passkey found by credential id and locked, the signature and counter verified, the
session started, audited) — from its own address, as real clients come.

- `pages/passkey-sign-in`: p50/p95 of that ceremony (both requests; the device's time is
  not the server's). Baseline: the anonymous portal sign-in page in the same run (the
  practice lookup, the CSRF seed and the template every portal request pays).
"""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from api.app import create_app
from api.cookies import cookie_names
from bench.harness import BenchDatabase, measure, ratio_line
from core.db import make_engine, make_sessionmaker, open_unit
from core.security import keyed_hmac
from core.settings import Environment, Settings
from models.orm.portal import PortalAccount, PortalPasskey
from services.practices import PracticeCreate, create_practice
from tests.portal.authenticator import SoftPasskey

BASE_URL = "http://bench.example"
LINK = "bench-portal"


async def _seed(database: BenchDatabase, n: int) -> list[SoftPasskey]:
    engine = make_engine(database.app_url, pool_size=2)
    uow = await open_unit(make_sessionmaker(engine))
    practice = await create_practice(
        uow, PracticeCreate(name="Bench Portal", link_name=LINK, timezone="UTC")
    )
    keys = []
    for i in range(n):
        account = PortalAccount(
            id=uuid.uuid4(), practice_id=practice.id, email=f"client{i}@portal-bench.example"
        )
        key = SoftPasskey(origin=BASE_URL, rp_id="bench.example", user_handle=account.id.bytes)
        uow.session.add(account)
        uow.session.add(
            PortalPasskey(
                id=uuid.uuid4(),
                practice_id=practice.id,
                account_id=account.id,
                credential_id=key.credential_id,
                public_key=key.cose_key(),
                sign_count=0,
                transports=["internal"],
                name="Bench",
            )
        )
        keys.append(key)
    await uow.commit()
    await uow.close()
    await engine.dispose()
    return keys


async def run(database: BenchDatabase, n: int) -> list[str]:
    keys = await _seed(database, n)
    engine = make_engine(database.app_url, pool_size=5)
    settings = Settings(
        _env_file=None, ENVIRONMENT=Environment.test, DATABASE_URL=database.app_url,
        DATABASE_OWNER_URL=database.owner_url, APP_BASE_URL=BASE_URL,
    )  # fmt: skip
    app: FastAPI = create_app(settings, engine=engine)
    names = cookie_names(settings)
    seed = "bench-csrf-seed"
    csrf = keyed_hmac(settings.SECRET_KEY.get_secret_value(), "csrf-anon", seed)
    base = f"/portal/{LINK}"

    def visitor(i: int) -> httpx.AsyncClient:
        """A fresh client from its own address (the options are throttled per address)."""
        ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(ip, 50000)),
            base_url=BASE_URL,
            headers={"x-csrf-token": csrf},
        )
        client.cookies.set(names.csrf, seed)
        return client

    try:
        async with visitor(0) as anonymous:

            async def sign_in_page() -> None:
                (await anonymous.get(f"{base}/sign-in")).raise_for_status()

            baseline = await measure(n, sign_in_page, warmup=5)
        pending = iter(enumerate(keys))

        async def ceremony() -> None:
            i, key = next(pending)
            async with visitor(i + 1) as client:
                asked = await client.post(f"{base}/passkeys/sign-in/options")
                if asked.status_code != 200:
                    raise SystemExit(f"portal bench: options answered {asked.status_code}")
                data = asked.json()
                answer = {
                    "challenge_id": data["challenge_id"],
                    "credential": key.get(data["publicKey"]),
                }
                done = await client.post(f"{base}/passkeys/sign-in", data=answer)
                if done.status_code != 303:
                    raise SystemExit(f"portal bench: sign-in answered {done.status_code}")

        latency = await measure(n, ceremony, warmup=0)
    finally:
        await engine.dispose()
    return [ratio_line("pages/passkey-sign-in", latency, "portal sign-in page", baseline)]
