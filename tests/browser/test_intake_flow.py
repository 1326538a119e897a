"""Intake in Chromium: staff send the packet from the case record; the client follows the
link from the captured email, confirms her date of birth, saves the demographics form as
a draft, submits the PHQ-9 and acknowledges the practice policies; staff see the
checklist move. Screenshots: intake-*.png."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from core.db import SessionMaker
from tests.browser.conftest import screenshot
from tests.browser.test_cases_flow import sign_in_provider
from tests.fixtures.cases import Crew, open_case, person
from tests.fixtures.db import Database
from tests.portal.test_intake_portal import invite
from tests.portal.test_portal_access import portal_mails


async def test_staff_send_intake_and_the_client_completes_items(
    page: Page, live_url: str, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    case = await open_case(sessionmaker, crew, "individual", person(
        "Rosa", "Diaz", email="rosa@example.org", date_of_birth="1990-04-23"))  # fmt: skip
    await sign_in_provider(page, live_url, crew)
    await page.goto(f"{live_url}/cases/{case}")
    await page.get_by_role("button", name="Send intake").click()
    await expect(page.get_by_text("Intake sent: the invitations are on their way.")).to_be_visible()
    await invite(sessionmaker, crew)  # the workflow's first step (end to end: its own test)
    body = [m for m in portal_mails(db) if "first session" in m[1]][-1][2]
    link = re.search(r"https?://[^/\s]+(/portal/\S+)", body)
    assert link is not None
    await page.context.clear_cookies()
    await page.goto(live_url + link.group(1))
    await page.get_by_label("Your date of birth").fill("1990-04-23")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="To do")).to_be_visible()
    await screenshot(page, "intake-portal-home")
    await page.get_by_role("link", name="About you").click()
    await page.get_by_label("The name you would like us to use").fill("Ro")
    await page.get_by_role("button", name="Save and finish later").click()
    await expect(page.get_by_text("Saved. You can finish later.")).to_be_visible()
    await expect(page.get_by_label("The name you would like us to use")).to_have_value("Ro")
    await page.get_by_role("button", name="Submit").click()
    await expect(
        page.get_by_text("Some answers need attention. Your answers are saved.")
    ).to_be_visible()
    await screenshot(page, "intake-form-errors")
    await page.goto(f"{live_url}/portal/{crew.team.practice.link_name}/")
    await page.get_by_role("link", name="How you have been feeling").click()
    for row in range(1, 10):
        await page.locator(f'input[name="phq9.q{row}"][value="1"]').check()
    await screenshot(page, "intake-phq9")
    await page.get_by_role("button", name="Submit").click()
    await expect(
        page.get_by_text("“How you have been feeling” is done. Thank you.")
    ).to_be_visible()
    await page.get_by_role("link", name="Practice policies").click()
    await page.get_by_label("I have read and understood this.").check()
    await page.get_by_role("button", name="Confirm").click()
    await expect(page.get_by_text("“Practice policies” is done. Thank you.")).to_be_visible()
    await screenshot(page, "intake-portal-progress")

    await page.context.clear_cookies()
    await sign_in_provider(page, live_url, crew)
    await page.goto(f"{live_url}/cases/{case}")
    card = page.locator("section.intake-card")
    await expect(card).to_contain_text("How you have been feeling done")
    await expect(card).to_contain_text("total 9 of 27 · Mild")
    await expect(card).to_contain_text("About you started")
    await screenshot(page, "intake-staff-checklist")
