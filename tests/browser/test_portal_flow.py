"""The portal in Chromium: a parent follows the invitation link from the captured email,
confirms her date of birth (a wrong one first), lands on her portal home and switches to
acting for her daughter. Screenshots: portal-*.png."""

from __future__ import annotations

from fastapi import FastAPI
from playwright.async_api import Page, expect

from core.db import SessionMaker
from tests.auth.helpers import sign_in as staff_sign_in
from tests.browser.conftest import screenshot
from tests.fixtures.app import client_for
from tests.fixtures.cases import Crew
from tests.fixtures.db import Database
from tests.portal.test_portal_access import invite, last_link, lopez


async def test_a_parent_signs_in_and_acts_for_her_child(
    page: Page, live_url: str, app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    family = await lopez(sessionmaker, crew, db)
    async with client_for(app) as staff:
        await staff_sign_in(staff, crew.team.provider.email)
        await invite(staff, family.family, family.mia)
        await invite(staff, family.own, family.ana)
    await page.goto(live_url + last_link(db))
    await expect(page.get_by_role("heading", name="Welcome to the")).to_be_visible()
    await page.get_by_label("Your date of birth").fill("1985-04-03")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_text("4 tries left.")).to_be_visible()
    await screenshot(page, "portal-invitation-wrong")
    await page.get_by_label("Your date of birth").fill("1985-03-04")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Hello, Ana")).to_be_visible()
    await screenshot(page, "portal-home")
    await page.get_by_label("Acting for").select_option(label="Mia")
    await page.get_by_role("button", name="Switch").click()
    await expect(
        page.get_by_text("You are acting for Mia as their representative.")
    ).to_be_visible()
    await screenshot(page, "portal-acting-for-child")
