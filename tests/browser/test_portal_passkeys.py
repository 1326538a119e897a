"""Passkeys in Chromium with its virtual authenticator (DevTools `WebAuthn` domain): a
client who signed in by invitation adds a passkey from her portal home, signs out, and
signs in again with the passkey alone; when the device does not verify her (no PIN or
fingerprint) the page says so beside the button and she stays signed out. The portal runs
at http://localhost (browsers allow no passkeys on an IP address).
Screenshots: portal-passkey-*.png."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from playwright.async_api import Page, expect

from core.db import SessionMaker
from core.settings import Settings
from tests.auth.helpers import sign_in as staff_sign_in
from tests.browser.conftest import screenshot
from tests.fixtures.app import client_for, settings_for
from tests.fixtures.cases import Crew
from tests.fixtures.db import Database
from tests.portal.test_portal_access import invite, last_link, lopez


@pytest.fixture
def app_settings(db: Database, live_port: int) -> Settings:
    return settings_for(db, APP_BASE_URL=f"http://localhost:{live_port}")


async def test_a_client_adds_a_passkey_and_signs_in_with_it(
    page: Page, live_url: str, app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    origin = live_url.replace("127.0.0.1", "localhost")
    family = await lopez(sessionmaker, crew, db)
    async with client_for(app) as staff:
        await staff_sign_in(staff, crew.team.provider.email)
        await invite(staff, family.own, family.ana)
    devtools = await page.context.new_cdp_session(page)
    await devtools.send("WebAuthn.enable")
    added = await devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    authenticator = added["authenticatorId"]

    await page.goto(origin + last_link(db))
    await page.get_by_label("Your date of birth").fill("1985-03-04")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Hello, Ana")).to_be_visible()
    await expect(page.get_by_role("heading", name="Passkeys")).to_be_visible()
    await expect(page.get_by_text("This browser cannot create passkeys")).to_be_hidden()
    await screenshot(page, "portal-passkey-home")
    await page.get_by_label("Name it (optional)").fill("My laptop")
    await page.get_by_role("button", name="Add a passkey").click()
    await expect(page.get_by_text("Passkey added.")).to_be_visible()
    await expect(page.get_by_text("My laptop")).to_be_visible()
    await expect(page.get_by_text("not used yet")).to_be_visible()
    await screenshot(page, "portal-passkey-added")
    stored = await devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1 and stored["credentials"][0]["isResidentCredential"]

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
    await devtools.send(
        "WebAuthn.setUserVerified", {"authenticatorId": authenticator, "isUserVerified": False}
    )
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await expect(page.get_by_role("alert")).to_contain_text("No passkey was used.")
    await screenshot(page, "portal-passkey-not-verified")
    await devtools.send(
        "WebAuthn.setUserVerified", {"authenticatorId": authenticator, "isUserVerified": True}
    )
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await expect(page.get_by_role("heading", name="Hello, Ana")).to_be_visible()
    await expect(page.get_by_text("last used")).to_be_visible()
    await expect(
        page.get_by_text("To add a passkey, sign out and sign in with an emailed link")
    ).to_be_visible()
    await screenshot(page, "portal-passkey-signed-in")
