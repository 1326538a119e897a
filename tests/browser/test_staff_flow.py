"""The staff journey in Chromium: the owner invites a provider, the provider accepts from
the captured email, signs in, and finds the dashboard and settings. Screenshots go to
test-artifacts/screenshots/ (staff-*.png)."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from core.db import SessionMaker
from tests.browser.conftest import screenshot
from tests.fixtures.factories import PASSWORD, make_practice, set_password

NEW_PASSWORD = "window kettle harbour spruce"


async def sign_in(page: Page, base: str, email: str, password: str) -> None:
    await page.goto(base + "/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def test_invite_accept_sign_in_dashboard_settings(
    page: Page, browser: Browser, live_url: str, sessionmaker: SessionMaker
) -> None:
    practice = await make_practice(sessionmaker, "harbor")
    await set_password(sessionmaker, practice, practice.owner_id)

    # the owner signs in and invites a provider
    await sign_in(page, live_url, "owner@harbor.example", PASSWORD)
    await expect(page.get_by_role("heading", name="Getting started")).to_be_visible()
    await screenshot(page, "staff-1-owner-dashboard")
    await page.get_by_role("link", name="Settings", exact=True).click()
    await page.get_by_role("link", name="Staff", exact=True).click()
    await page.get_by_role("link", name="Invite staff").click()
    await page.get_by_label("Name").fill("Ana Silva, LMFT")
    await page.get_by_label("Email").fill("ana@harbor.example")
    await page.get_by_label("Role").select_option("provider")
    await screenshot(page, "staff-2-invite-form")
    await page.get_by_role("button", name="Send invitation").click()
    await expect(page.get_by_role("status")).to_contain_text(
        "Invitation sent to ana@harbor.example"
    )
    await expect(page.get_by_role("heading", name="Ana Silva, LMFT")).to_be_visible()
    await screenshot(page, "staff-3-invited")

    # the invitation is captured in the mail outbox (development)
    await page.goto(live_url + "/dev/outbox")
    await page.locator("summary", has_text="You are invited to join Practice harbor").click()
    body = await page.locator("pre.mail-body").first.inner_text()
    link = re.search(r"http://\S+/invitation/\S+", body)
    assert link is not None, body
    await screenshot(page, "staff-4-outbox")

    # the provider accepts in their own browser
    context = await browser.new_context(viewport={"width": 1200, "height": 800})
    ana = await context.new_page()
    await ana.goto(link.group(0))
    await expect(ana.get_by_role("heading", name="Join Practice harbor")).to_be_visible()
    await ana.get_by_label("New password", exact=True).fill("password123")
    await ana.get_by_label("New password again").fill("password123")
    await ana.get_by_role("button", name="Create my account").click()
    await expect(ana.get_by_text("Use at least 12 characters")).to_be_visible()
    await screenshot(ana, "staff-5-weak-password")
    await ana.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await ana.get_by_label("New password again").fill(NEW_PASSWORD)
    await ana.get_by_role("button", name="Create my account").click()
    await expect(ana.get_by_role("status")).to_contain_text("Welcome to Practice harbor!")
    await expect(
        ana.get_by_role("heading", name="Good to see you, Ana Silva, LMFT")
    ).to_be_visible()

    # signs out, signs in again, finds the dashboard and the settings
    await ana.get_by_role("button", name="Sign out").click()
    await expect(ana.get_by_role("status")).to_contain_text("You are signed out.")
    await sign_in(ana, live_url, "ana@harbor.example", NEW_PASSWORD)
    await expect(ana).to_have_url(live_url + "/dashboard")
    await screenshot(ana, "staff-6-provider-dashboard")
    await ana.get_by_role("link", name="Settings", exact=True).click()
    await expect(ana.get_by_role("heading", name="My account")).to_be_visible()
    await expect(ana.get_by_role("link", name="Staff", exact=True)).to_have_count(0)
    await screenshot(ana, "staff-7-provider-settings")
    await context.close()

    # the owner sees it all in the audit log
    await page.goto(live_url + "/settings/audit")
    # the weak-password attempt (rejected) and the acceptance (success)
    await expect(page.get_by_text("auth.invitation_accept")).to_have_count(2)
    await screenshot(page, "staff-8-audit-log")


async def test_a_wrong_password_keeps_the_email_and_says_why(page: Page, live_url: str) -> None:
    await sign_in(page, live_url, "nobody@harbor.example", "not the password at all")
    await expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    await expect(page.get_by_label("Email")).to_have_value("nobody@harbor.example")
    await screenshot(page, "staff-0-login-error")
