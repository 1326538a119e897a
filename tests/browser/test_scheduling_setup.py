"""Setting up scheduling in Chromium: the owner adds a service (a typo in the fee is
explained beside the field) and a location in Settings, then adds their own weekly hours
on the Availability page. Screenshots: setup-*.png."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_staff_flow import sign_in
from tests.fixtures.cases import Crew


async def test_owner_sets_up_services_locations_and_hours(
    page: Page, live_url: str, crew: Crew
) -> None:
    owner = crew.team.owner
    await sign_in(page, live_url, owner.email, owner.password)
    await page.goto(f"{live_url}/settings/scheduling")
    await expect(page.get_by_text("No services yet")).to_be_visible()
    await page.get_by_role("link", name="Add a service").click()
    await page.get_by_label("Name").fill("Psychotherapy, 53 min")
    await page.get_by_label("CPT code (optional)").fill("90837")
    await page.get_by_label("Default minutes").fill("53")
    await page.get_by_label("Fee (USD)").fill("1,80.x")
    await page.get_by_role("button", name="Save service").click()
    await expect(page.get_by_text("Enter a fee like 150 or 150.00.")).to_be_visible()
    await expect(page.get_by_label("Name")).to_have_value("Psychotherapy, 53 min")  # kept
    await screenshot(page, "setup-service-error")
    await page.get_by_label("Fee (USD)").fill("180")
    await page.get_by_role("button", name="Save service").click()
    await expect(page.get_by_text("Service “Psychotherapy, 53 min” saved.")).to_be_visible()

    await page.get_by_role("link", name="Add a location").click()
    await page.get_by_label("Name").fill("Telehealth")
    await page.get_by_label("In person").uncheck()
    await page.get_by_label("Video").check()
    await page.get_by_label("Place-of-service code").fill("10")
    await page.get_by_role("button", name="Save location").click()
    await expect(page.get_by_text("Location “Telehealth” saved.")).to_be_visible()
    row = page.get_by_role("row", name="Telehealth")
    await expect(row).to_contain_text("Video")
    await screenshot(page, "setup-services-locations")

    await page.get_by_role("link", name="Availability").click()
    await page.get_by_label("Fri").check()
    await page.get_by_label("From").fill("13:00")
    await page.get_by_label("To", exact=True).fill("18:30")
    await page.get_by_label("For").select_option(label="Existing clients only")
    await page.get_by_role("button", name="Add hours").click()
    await expect(page.get_by_text("Availability added.")).to_be_visible()
    hours = page.get_by_role("row", name="Mon, Tue, Wed, Thu, Fri")
    await expect(hours).to_contain_text("13:00–18:30")
    await expect(hours).to_contain_text("Existing clients only")
    await screenshot(page, "setup-availability")
