"""Portal passkeys (PORT-2, PORT-3): a client who signed in with a link adds a passkey and
later signs in with it alone; a passkey session cannot add another; every forged,
replayed, phished, cloned, removed or late answer is refused with a message and signs
nobody in; another practice's portal does not know the passkey; on an IP address no
passkey is offered. The device is a software authenticator with real P-256 signatures
(tests/portal/authenticator.py); the browser test uses Chromium's."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import cbor2
import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from core.db import SessionMaker
from core.settings import Settings
from services.portal.passkeys import MAX_PASSKEYS, RelyingParty
from tests.auth.helpers import sign_in
from tests.fixtures.app import FrozenClock, client_for, settings_for
from tests.fixtures.cases import Crew, open_case, person
from tests.fixtures.db import Database
from tests.fixtures.factories import make_practice
from tests.portal.authenticator import SoftPasskey
from tests.portal.test_portal_access import invite, last_link, lopez, person_id, portal_mails
from tests.scheduling.test_calendar_pages import texts

ORIGIN = "http://practice.example"  # a host name: browsers allow no passkeys on an IP


@pytest.fixture
def app_settings(db: Database) -> Settings:
    return settings_for(db, APP_BASE_URL=ORIGIN)


def device(**changes: Any) -> SoftPasskey:
    return SoftPasskey(origin=ORIGIN, rp_id="practice.example", **changes)


async def enter_by_invitation(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database, portal: AsyncClient
) -> str:
    """Ana is invited to her own case and signs in with the link; the portal's base path."""
    family = await lopez(sessionmaker, crew, db)
    async with client_for(app) as staff:
        await sign_in(staff, crew.team.provider.email)
        await invite(staff, family.own, family.ana)
    entered = await portal.post(last_link(db), data={"answer": "1985-03-04"})
    assert entered.status_code == 303
    return f"/portal/{crew.team.practice.link_name}"


async def options(portal: AsyncClient, url: str) -> dict[str, Any]:
    answer = await portal.post(url)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


async def ceremony(
    portal: AsyncClient, url: str, answer: Callable[[dict[str, Any]], str], **fields: str
) -> Response:
    """Ask `{url}/options`, let the device answer, and post the answer to `url`."""
    asked = await options(portal, f"{url}/options")
    return await portal.post(
        url,
        data={
            "challenge_id": asked["challenge_id"],
            "credential": answer(asked["publicKey"]),
            **fields,
        },
    )


async def add_passkey(
    portal: AsyncClient, base: str, key: SoftPasskey, name: str = "My phone"
) -> Response:
    return await ceremony(portal, f"{base}/passkeys", key.create, name=name)


async def passkey_sign_in(portal: AsyncClient, base: str, key: SoftPasskey) -> Response:
    return await ceremony(portal, f"{base}/passkeys/sign-in", key.get)


def passkey_rows(db: Database) -> list[tuple[str, int, bool, bool]]:
    with db.owner() as owner:
        rows = owner.execute(
            "SELECT name, sign_count, last_used_at IS NOT NULL, removed_at IS NOT NULL"
            " FROM portal_passkeys ORDER BY name"
        ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def used_challenges(db: Database) -> int:
    with db.owner() as owner:
        row = owner.execute(
            "SELECT count(*) FROM portal_webauthn_challenges WHERE used_at IS NOT NULL"
        ).fetchone()
    assert row is not None
    return int(row[0])


def error_beside_button(page: Response) -> str:
    found = re.search(r'id="e-passkey"[^>]*>([^<]*)<', page.text)
    assert found is not None, texts(page.text)
    return found.group(1).strip()


async def test_a_client_adds_a_passkey_after_a_link_sign_in_and_signs_in_with_it(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    key = device()
    async with client_for(app) as portal:
        base = await enter_by_invitation(app, crew, sessionmaker, db, portal)
        before = texts((await portal.get(f"{base}/")).text)
        added = await add_passkey(portal, base, key)
        home = texts((await portal.get(f"{base}/")).text)
        await portal.post(f"{base}/sign-out")
    assert "Passkeys" in before and "Add a passkey" in before
    assert added.status_code == 303 and added.headers["location"] == f"{base}/#passkeys"
    assert "Passkey added." in home and "My phone" in home and "not used yet" in home
    recipient, subject, body = portal_mails(db)[-1]
    assert recipient == "ana@example.org" and "passkey was added" in subject.lower()
    for word in ("ana", "lopez", "my phone", "therapy"):  # no name, not even the label
        assert word not in re.sub(r"https?://\S+", "", f"{subject} {body}").lower()

    async with client_for(app) as later:  # another day, no cookie: the passkey alone
        page = await later.get(f"{base}/sign-in")
        signed_in = await passkey_sign_in(later, base, key)
        home_again = texts((await later.get(f"{base}/")).text)
        may_not_add = await later.post(f"{base}/passkeys/options")
    assert "Sign in with a passkey" in texts(page.text)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == f"{base}/"
    assert "Hello, Ana" in home_again and "last used" in home_again
    assert "To add a passkey, sign out and sign in with an emailed link" in home_again
    assert "Add a passkey" not in home_again
    assert may_not_add.status_code == 422
    assert "sign in with an emailed link first" in may_not_add.json()["message"]
    assert passkey_rows(db) == [("My phone", 1, True, False)]
    with db.owner() as owner:
        kinds = owner.execute(
            "SELECT signed_in_with FROM portal_sessions ORDER BY created_at"
        ).fetchall()
        audited = owner.execute(
            "SELECT actor_type, outcome FROM audit_events WHERE action = 'portal.passkey_sign_in'"
        ).fetchall()
    assert [k[0] for k in kinds] == ["link", "passkey"]
    assert [(str(a[0]), str(a[1])) for a in audited] == [("portal", "success")]


async def test_refused_answers_sign_nobody_in_and_use_their_challenge_up(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    key = device()
    async with client_for(app) as portal:
        base = await enter_by_invitation(app, crew, sessionmaker, db, portal)
        assert (await add_passkey(portal, base, key)).status_code == 303
    async with client_for(app) as first:
        assert (await passkey_sign_in(first, base, key)).status_code == 303  # counter now 1
    attackers = {
        "a phishing site": replace(key, origin="http://practice.example.evil.test"),
        "another relying party": replace(key, rp_id="evil.test"),
        "no user verification": replace(key, user_verified=False),
        "a clone whose counter did not move": replace(key, count_step=0),
        "a passkey never added": device(),
        "another account's user handle": replace(key, user_handle=uuid.uuid4().bytes),
        "no user handle": replace(key, send_user_handle=False),
    }
    refusals: dict[str, tuple[int, str, bool]] = {}
    for label, attacker in attackers.items():
        async with client_for(app) as client:
            answer = await passkey_sign_in(client, base, attacker)
            cookie = any(c.startswith("pr_portal") for c in answer.headers.get_list("set-cookie"))
            refusals[label] = (answer.status_code, error_beside_button(answer), cookie)
    for label, (status, message, cookie) in refusals.items():
        assert status == 422, label
        assert message.startswith("That passkey did not sign you in."), label
        assert not cookie, label

    async with client_for(app) as client:  # one answer played twice
        ceremony = await options(client, f"{base}/passkeys/sign-in/options")
        form = {
            "challenge_id": ceremony["challenge_id"],
            "credential": key.get(ceremony["publicKey"]),
        }
        once = await client.post(f"{base}/passkeys/sign-in", data=form)
        twice = await client.post(f"{base}/passkeys/sign-in", data=form)
        made_up = await client.post(
            f"{base}/passkeys/sign-in", data={"challenge_id": "nope", "credential": "{}"}
        )
        junk: dict[str, Response] = {}
        for label, credential in {
            "not JSON": "{not json",
            "nested too deep": "[" * 2000,
            "a JSON list": "[]",
            "no answer": "",
            "too long": "x" * 20_000,
        }.items():
            fresh = await options(client, f"{base}/passkeys/sign-in/options")
            junk[label] = await client.post(
                f"{base}/passkeys/sign-in",
                data={"challenge_id": fresh["challenge_id"], "credential": credential},
            )
    assert once.status_code == 303
    assert twice.status_code == 422
    assert error_beside_button(twice) == "That passkey attempt is not valid. Try again."
    assert made_up.status_code == 422
    assert {k: v.status_code for k, v in junk.items()} == dict.fromkeys(junk, 422)
    # Every ceremony that named its challenge used it up, the refused ones too: adding,
    # the first sign-in, the attackers, the replayed answer, the junk.
    assert used_challenges(db) == 1 + 1 + len(attackers) + 1 + len(junk)
    assert passkey_rows(db)[0][1] == 2  # the counter moved only for accepted answers


async def test_a_ceremony_lasts_five_minutes(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database, clock: FrozenClock
) -> None:
    key = device()
    async with client_for(app) as portal:
        base = await enter_by_invitation(app, crew, sessionmaker, db, portal)
        ceremony = await options(portal, f"{base}/passkeys/options")
        clock.advance(minutes=5, seconds=1)
        late_add = await portal.post(
            f"{base}/passkeys",
            data={"challenge_id": ceremony["challenge_id"],
                  "credential": key.create(ceremony["publicKey"]), "name": "Late"},
        )  # fmt: skip
        assert (await add_passkey(portal, base, key)).status_code == 303
    async with client_for(app) as later:
        ceremony = await options(later, f"{base}/passkeys/sign-in/options")
        clock.advance(minutes=6)
        late = await later.post(
            f"{base}/passkeys/sign-in",
            data={
                "challenge_id": ceremony["challenge_id"],
                "credential": key.get(ceremony["publicKey"]),
            },
        )
    assert late_add.status_code == 422
    assert error_beside_button(late_add) == "That passkey attempt took too long. Try again."
    assert late.status_code == 422 and "took too long" in error_beside_button(late)
    assert [r[0] for r in passkey_rows(db)] == ["My phone"]


async def test_adding_is_checked_against_the_session_the_name_and_the_limit(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    key = device()
    async with client_for(app) as portal:
        base = await enter_by_invitation(app, crew, sessionmaker, db, portal)
        ceremony = await options(portal, f"{base}/passkeys/options")
        async with client_for(app) as second:  # Ana signs in elsewhere with a fresh link
            await second.post(f"{base}/sign-in", data={"email": "ana@example.org"})
            await second.post(last_link(db))
            stolen = await second.post(
                f"{base}/passkeys",
                data={"challenge_id": ceremony["challenge_id"],
                      "credential": key.create(ceremony["publicKey"]), "name": ""},
            )  # fmt: skip
        too_long = await portal.post(f"{base}/passkeys/options", data={"name": "x" * 61})
        too_long_no_js = await portal.post(
            f"{base}/passkeys", data={"challenge_id": "", "credential": "", "name": "x" * 61}
        )
        phished = await add_passkey(portal, base, replace(key, origin="https://evil.test"))
        not_a_key = await add_passkey(portal, base, device(public_key_cbor=cbor2.dumps([1, 2])))
        bad_point = await add_passkey(
            portal,
            base,
            device(public_key_cbor=cbor2.dumps({1: 2, 3: -7, -1: 1, -2: b"x", -3: b"y"})),
        )
        first = await add_passkey(portal, base, key, name="  Work   laptop ")
        again = await add_passkey(portal, base, key)
        for n in range(MAX_PASSKEYS - 2):
            assert (await add_passkey(portal, base, device(), name=f"Key {n}")).status_code == 303
        # One place left and two ceremonies racing for it: the account lock lets one in.
        racing = [device(), device()]
        asked = [await options(portal, f"{base}/passkeys/options") for _ in racing]
        raced = await asyncio.gather(
            *(
                portal.post(
                    f"{base}/passkeys",
                    data={
                        "challenge_id": a["challenge_id"],
                        "credential": d.create(a["publicKey"]),
                    },
                )
                for a, d in zip(asked, racing, strict=True)
            )
        )
        full = await portal.post(f"{base}/passkeys/options")
    assert stolen.status_code == 422 and "not valid" in error_beside_button(stolen)
    assert too_long.status_code == 422
    assert too_long.json()["message"] == "Keep the name to 60 characters."
    assert too_long_no_js.status_code == 422
    assert "Keep the name to 60 characters." in texts(too_long_no_js.text)
    for refused in (phished, not_a_key, bad_point):
        assert refused.status_code == 422 and "could not be verified" in error_beside_button(
            refused
        )
    assert first.status_code == 303
    assert (
        again.status_code == 422
        and error_beside_button(again) == "This passkey is already registered."
    )
    assert sorted(r.status_code for r in raced) == [303, 422]
    assert "Remove one you no longer use first." in texts(
        max(raced, key=lambda r: r.status_code).text
    )
    assert (
        full.status_code == 422 and "Remove one you no longer use first." in full.json()["message"]
    )
    names = [r[0] for r in passkey_rows(db)]
    assert "Work laptop" in names and len(names) == MAX_PASSKEYS


async def test_passkey_sign_in_options_are_throttled_per_address(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    base = f"/portal/{crew.team.practice.link_name}"
    async with client_for(app, ip="203.0.113.9") as flooder:
        answers = [
            (await flooder.post(f"{base}/passkeys/sign-in/options")).status_code for _ in range(61)
        ]
        last = await flooder.post(f"{base}/passkeys/sign-in/options")
    async with client_for(app, ip="198.51.100.7") as elsewhere:
        other = await elsewhere.post(f"{base}/passkeys/sign-in/options")
    assert answers[:60] == [200] * 60 and answers[60] == 429
    assert "Try again in 15 minutes." in last.json()["message"]
    assert other.status_code == 200  # another address is not held


async def test_a_removed_passkey_or_a_closed_account_signs_nobody_in(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    key, spare = device(), device()
    zed_case = await open_case(
        sessionmaker, crew, "individual",
        person("Zed", "Quinn", email="zed@example.org", date_of_birth="1990-01-02"),
    )  # fmt: skip
    async with client_for(app) as portal:
        base = await enter_by_invitation(app, crew, sessionmaker, db, portal)
        await add_passkey(portal, base, key)
        await add_passkey(portal, base, spare, name="Spare")
        with db.owner() as owner:
            rows = owner.execute("SELECT id, name FROM portal_passkeys").fetchall()
        ids = {r[1]: str(r[0]) for r in rows}
        async with client_for(app) as phone:  # the phone signs in with its passkey
            assert (await passkey_sign_in(phone, base, key)).status_code == 303
            removed = await portal.post(f"{base}/passkeys/{ids['My phone']}/remove")
            phone_after = await phone.get(f"{base}/")  # removing it signed the phone out
        home = texts((await portal.get(f"{base}/")).text)
        removed_again = await portal.post(f"{base}/passkeys/{ids['My phone']}/remove")
        made_up = await portal.post(f"{base}/passkeys/{uuid.uuid4()}/remove")
        not_an_id = await portal.post(f"{base}/passkeys/1/remove")
    async with client_for(app) as staff:
        await sign_in(staff, crew.team.provider.email)
        await invite(staff, zed_case, person_id(db, "Zed"))
    async with client_for(app) as zed:  # another client cannot remove Ana's passkey
        await zed.post(last_link(db), data={"answer": "1990-01-02"})
        foreign = await zed.post(f"{base}/passkeys/{ids['Spare']}/remove")
    async with client_for(app) as later:
        with_removed = await passkey_sign_in(later, base, key)
        with db.owner() as owner:
            owner.execute(
                "UPDATE portal_accounts SET disabled_at = now() WHERE email = 'ana@example.org'"
            )
        closed = await passkey_sign_in(later, base, spare)
    assert removed.status_code == 303 and "Passkey removed." in home and "Spare" in home
    assert "My phone added" not in home and "Spare added" in home
    assert phone_after.status_code == 303 and phone_after.headers["location"] == f"{base}/sign-in"
    notices = [m for m in portal_mails(db) if "passkey was removed" in m[1].lower()]
    assert [m[0] for m in notices] == ["ana@example.org"]
    assert "ended" in notices[0][2] and "my phone" not in notices[0][2].lower()
    assert (removed_again.status_code, made_up.status_code, not_an_id.status_code) == (
        404,
        404,
        404,
    )
    assert foreign.status_code == 404
    assert with_removed.status_code == 422 and closed.status_code == 422
    assert passkey_rows(db) == [("My phone", 1, True, True), ("Spare", 0, False, False)]


async def test_removing_the_passkey_a_session_signed_in_with_signs_it_out(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    key = device()
    async with client_for(app) as portal:
        base = await enter_by_invitation(app, crew, sessionmaker, db, portal)
        await add_passkey(portal, base, key)
    with db.owner() as owner:
        [(passkey_id,)] = owner.execute("SELECT id FROM portal_passkeys").fetchall()
    async with client_for(app) as phone:
        await passkey_sign_in(phone, base, key)
        removed = await phone.post(f"{base}/passkeys/{passkey_id}/remove")
        page = await phone.get(removed.headers["location"])
        home = await phone.get(f"{base}/")
    assert removed.status_code == 303 and removed.headers["location"] == f"{base}/sign-in"
    assert "You had signed in with it, so you are signed out." in texts(page.text)
    assert home.status_code == 303


async def test_another_practices_portal_does_not_know_the_passkey(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    key = device()
    other = await make_practice(sessionmaker)
    async with client_for(app) as portal:
        base = await enter_by_invitation(app, crew, sessionmaker, db, portal)
        await add_passkey(portal, base, key)
    async with client_for(app) as elsewhere:
        answer = await passkey_sign_in(elsewhere, f"/portal/{other.link_name}", key)
        home = await elsewhere.get(f"/portal/{other.link_name}/")
    assert answer.status_code == 422 and "did not sign you in" in error_beside_button(answer)
    assert home.status_code == 303  # not signed in there


async def test_no_passkeys_where_the_portal_runs_at_an_ip_address(
    db: Database, engine: AsyncEngine, clock: FrozenClock, crew: Crew
) -> None:
    app = create_app(
        settings_for(db, APP_BASE_URL="http://127.0.0.1:8000"), engine=engine, clock=clock
    )
    base = f"/portal/{crew.team.practice.link_name}"
    async with client_for(app) as portal:
        page = await portal.get(f"{base}/sign-in")
        asked = await portal.post(f"{base}/passkeys/sign-in/options")
    assert page.status_code == 200 and "passkey" not in page.text.lower()
    assert asked.status_code == 404


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://portal.example.com", ("portal.example.com", "https://portal.example.com")),
        ("http://localhost:8000/", ("localhost", "http://localhost:8000")),
        ("https://Care.Example.org:8443", ("care.example.org", "https://care.example.org:8443")),
        ("https://portal.example.com:443/", ("portal.example.com", "https://portal.example.com")),
        ("https://user@portal.example.com", ("portal.example.com", "https://portal.example.com")),
        ("https://portal.example.com:notaport", None),
        ("http://127.0.0.1:8000", None),
        ("http://[::1]:8000", None),
        ("ftp://files.example.com", None),
        ("not a url", None),
    ],
)
def test_the_relying_party_is_the_portals_host_name(
    base_url: str, expected: tuple[str, str] | None
) -> None:
    rp = RelyingParty.of(base_url)
    assert (None if rp is None else (rp.id, rp.origin)) == expected
