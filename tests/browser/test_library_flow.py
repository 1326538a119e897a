"""The library in Chromium: the owner reads the PHQ-9 as clients will see it, adds a
question to the demographics intake (a choice without options is refused beside the
field), and publishes version 2. Screenshots: library-*.png."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_staff_flow import sign_in
from tests.fixtures.cases import Crew


async def test_owner_edits_and_publishes_a_form(page: Page, live_url: str, crew: Crew) -> None:
    owner = crew.team.owner
    await sign_in(page, live_url, owner.email, owner.password)
    await page.goto(f"{live_url}/settings/library")
    await screenshot(page, "library-list")
    await page.get_by_role("link", name="PHQ-9 (depression)", exact=True).click()
    await expect(page.get_by_role("heading", name="PHQ-9 (depression)")).to_be_visible()
    await expect(
        page.get_by_role("rowheader", name="1. Little interest or pleasure")
    ).to_be_visible()
    await screenshot(page, "library-phq9")

    await page.goto(f"{live_url}/settings/library")
    await page.get_by_role("link", name="Demographics intake", exact=True).click()
    await page.get_by_label("Type").select_option(label="Dropdown")
    await page.get_by_label("Question", exact=True).fill("Preferred session time")
    await page.get_by_role("button", name="Add question").click()
    await expect(page.get_by_text("A choice needs at least two options.")).to_be_visible()
    await screenshot(page, "library-question-error")
    await page.get_by_label("Options (choices and grids; one per line)").fill(
        "Mornings\nAfternoons\nEvenings"
    )
    await page.get_by_role("button", name="Add question").click()
    await expect(page.get_by_text("Question added to the draft.")).to_be_visible()
    await expect(page.get_by_label("Preferred session time")).to_be_visible()  # the preview
    await page.get_by_role("button", name="Publish v2").click()
    await expect(
        page.get_by_text("Version 2 published: new intake packets use it.")
    ).to_be_visible()
    await screenshot(page, "library-published")
