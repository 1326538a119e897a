"""Invitation and password-reset links: shown on GET, used once on POST, with expiry."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from core.db import SessionMaker
from models.orm.staff import StaffRole
from tests.auth.helpers import latest_mail, link_in, session_cookie, sign_in
from tests.fixtures.app import FrozenClock, client_for
from tests.fixtures.db import Database
from tests.fixtures.factories import PracticeRef, StaffRef, make_staff

NEW_PASSWORD = "window kettle harbour spruce"


@pytest.fixture
def owner_email(practice: PracticeRef) -> str:
    return f"owner@{practice.link_name}.example"


async def invite(app: FastAPI, owner_email: str, email: str, role: str = "provider") -> None:
    async with client_for(app) as owner:
        await sign_in(owner, owner_email)
        response = await owner.post(
            "/settings/staff/invite",
            data={
                "display_name": "Ana Silva, LMFT",
                "email": email,
                "role": role,
                "supervisor_id": "",
            },
        )
        assert response.status_code == 303, response.text


class TestInvitation:
    async def test_an_invited_provider_sets_a_password_and_is_signed_in(
        self, app: FastAPI, db: Database, owner_email: str
    ) -> None:
        await invite(app, owner_email, "ana@clinic.example")
        mail = latest_mail(db, "ana@clinic.example")
        assert mail["template"] == "staff_invitation"
        assert "Ana" not in mail["body"] and "Ana" not in mail["subject"]  # no names in mail
        link = link_in(mail["body"])
        async with client_for(app) as ana:
            page = await ana.get(link)
            assert page.status_code == 200 and "ana@clinic.example" in page.text
            assert (await ana.get(link)).status_code == 200  # opening it does not use it up
            weak = await ana.post(link, data={"password": "password123", "confirm": "password123"})
            assert weak.status_code == 422 and "at least 12 characters" in weak.text
            differ = await ana.post(link, data={"password": NEW_PASSWORD, "confirm": "other"})
            assert differ.status_code == 422 and "Type the same password twice" in differ.text
            done = await ana.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
            assert done.status_code == 303 and done.headers["location"] == "/dashboard"
            assert session_cookie(ana) is not None
            assert (await ana.get("/dashboard")).status_code == 200
        async with client_for(app) as again:
            used = await again.get(link)
            assert used.status_code == 410
            replay = await again.post(
                link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
            )
            assert replay.status_code == 410
            assert (await sign_in(again, "ana@clinic.example", NEW_PASSWORD)).status_code == 303

    async def test_an_invitation_expires_after_seven_days(
        self, app: FastAPI, db: Database, owner_email: str, clock: FrozenClock
    ) -> None:
        await invite(app, owner_email, "late@clinic.example")
        link = link_in(latest_mail(db, "late@clinic.example")["body"])
        clock.advance(days=7, minutes=1)
        async with client_for(app) as late:
            response = await late.get(link)
        assert response.status_code == 410 and "expired" in response.text

    async def test_a_new_invitation_replaces_the_old_link(
        self, app: FastAPI, db: Database, owner_email: str
    ) -> None:
        await invite(app, owner_email, "twice@clinic.example")
        first = link_in(latest_mail(db, "twice@clinic.example")["body"])
        with db.owner() as owner:
            row = owner.execute(
                "SELECT id FROM staff_members WHERE email = 'twice@clinic.example'"
            ).fetchone()
        assert row is not None
        async with client_for(app) as client:
            await sign_in(client, owner_email)
            assert (await client.post(f"/settings/staff/{row[0]}/resend")).status_code == 303
        second = link_in(latest_mail(db, "twice@clinic.example")["body"])
        assert first != second
        async with client_for(app) as client:
            assert (await client.get(first)).status_code == 410
            assert (await client.get(second)).status_code == 200

    async def test_a_made_up_link_is_refused(self, app: FastAPI) -> None:
        async with client_for(app) as client:
            assert (await client.get("/invitation/not-a-real-token-at-all-xyz")).status_code == 410


class TestPasswordReset:
    async def test_the_answer_is_the_same_and_only_real_accounts_get_mail(
        self, app: FastAPI, db: Database, owner_email: str
    ) -> None:
        async with client_for(app) as client:
            known = await client.post("/password/forgot", data={"email": owner_email})
            unknown = await client.post("/password/forgot", data={"email": "nobody@x.example"})
        assert known.status_code == unknown.status_code == 303
        assert known.headers["location"] == unknown.headers["location"] == "/login"
        assert latest_mail(db, owner_email)["template"] == "password_reset"
        with db.owner() as owner:
            assert owner.execute(
                "SELECT count(*) FROM mail_outbox WHERE recipient = 'nobody@x.example'"
            ).fetchone() == (0,)

    async def test_a_reset_works_once_within_the_hour_and_ends_other_sessions(
        self, app: FastAPI, db: Database, owner_email: str, clock: FrozenClock
    ) -> None:
        async with client_for(app) as elsewhere:
            await sign_in(elsewhere, owner_email)
            async with client_for(app) as client:
                await client.post("/password/forgot", data={"email": owner_email})
                link = link_in(latest_mail(db, owner_email)["body"])
                clock.advance(minutes=59)
                done = await client.post(
                    link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
                )
                assert done.status_code == 303
                assert (
                    await client.post(
                        link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
                    )
                ).status_code == 410
            # the session opened before the reset is over
            assert (await elsewhere.get("/dashboard")).status_code == 303
            assert (await sign_in(elsewhere, owner_email, NEW_PASSWORD)).status_code == 303

    async def test_a_reset_link_expires_after_an_hour(
        self, app: FastAPI, db: Database, owner_email: str, clock: FrozenClock
    ) -> None:
        async with client_for(app) as client:
            await client.post("/password/forgot", data={"email": owner_email})
            link = link_in(latest_mail(db, owner_email)["body"])
            clock.advance(minutes=61)
            response = await client.post(
                link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
            )
        assert response.status_code == 410


async def test_invited_staff_cannot_sign_in_before_accepting(
    app: FastAPI, sessionmaker: SessionMaker, practice: PracticeRef
) -> None:
    staff: StaffRef = await make_staff(sessionmaker, practice, StaffRole.provider, password=None)
    async with client_for(app) as client:
        assert (await sign_in(client, staff.email, "anything at all really")).status_code == 401
