"""The calendar in Chromium: a provider clicks an empty hour in their week, books a couple
into it, sees it in the week grid, marks attendance on the appointment page; books a
weekly series from a slot and moves "this and following" to another day from one of its
sessions. Screenshots: calendar-*.png."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Page, expect

from core.db import SessionMaker, unit_of_work
from services.scheduling.catalog import LocationIn, ServiceIn, create_location, create_service
from tests.browser.conftest import screenshot
from tests.browser.test_cases_flow import sign_in_provider
from tests.fixtures.cases import TODAY, Crew, open_case, person


async def test_book_from_the_week_and_mark_attendance(
    page: Page, live_url: str, crew: Crew, sessionmaker: SessionMaker
) -> None:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        await create_service(
            uow, ServiceIn(name="Couples therapy", duration_minutes=50, fee="175", cpt_code="90847")
        )
        await create_location(
            uow, LocationIn(name="Office", timezone="America/Chicago", formats=["in_person"])
        )
    await open_case(sessionmaker, crew, "couple", person("Maya", "Chen"), person("Jordan", "Lee"),
                    relationship_label="spouses")  # fmt: skip
    await sign_in_provider(page, live_url, crew)
    day = TODAY + timedelta(days=7)  # a day in a week ahead: the app's clock is earlier
    await page.goto(f"{live_url}/calendar?date={day.isoformat()}")
    await expect(page.get_by_role("heading", name="Week of")).to_be_visible()
    await page.get_by_role("link", name=f"Book {day:%a %b} {day.day} 10:00").click()
    await expect(page.get_by_role("heading", name="New appointment")).to_be_visible()
    await expect(page.get_by_label("Day")).to_have_value(day.isoformat())
    await page.get_by_label("Client or case").select_option(label="Maya Chen & Jordan Lee")
    await page.get_by_label("Service").select_option(label="Couples therapy · 50 min")
    await page.get_by_label("Location").select_option(label="Office")
    await screenshot(page, "calendar-new-appointment")
    await page.get_by_role("button", name="Book").click()
    await expect(page.get_by_text("The appointment was booked.")).to_be_visible()
    await expect(page.get_by_role("heading", name="10:00–10:50")).to_be_visible()
    await page.get_by_label("Attendance").first.select_option(label="Present")
    await page.get_by_role("button", name="Save attendance").click()
    await expect(page.get_by_text("Attendance saved.")).to_be_visible()
    await screenshot(page, "calendar-appointment")
    await page.locator(".eyebrow a", has_text="Calendar").click()  # back to its week
    block = page.locator("a.cal-appt", has_text="Maya Chen & Jordan Lee")
    await expect(block).to_be_visible()
    await expect(block).to_contain_text("10:00")
    await screenshot(page, "calendar-week")


async def test_schedule_a_weekly_series_from_the_calendar(
    page: Page, live_url: str, crew: Crew, sessionmaker: SessionMaker
) -> None:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        await create_service(
            uow, ServiceIn(name="Group therapy", duration_minutes=90, fee="60", cpt_code="90853")
        )
        await create_location(
            uow, LocationIn(name="Office", timezone="America/Chicago", formats=["in_person"])
        )
    await open_case(sessionmaker, crew, "therapy_group", person("Ann", "One"), person("Ben", "Two"),
                    name="Thursday DBT")  # fmt: skip
    await sign_in_provider(page, live_url, crew)
    thursday = TODAY + timedelta(days=(3 - TODAY.weekday()) % 7 + 7)
    await page.goto(f"{live_url}/calendar?date={thursday.isoformat()}")
    await page.get_by_role("link", name=f"Book {thursday:%a %b} {thursday.day} 17:00").click()
    await page.get_by_label("Client or case").select_option(label="Thursday DBT")
    await page.get_by_label("Service").select_option(label="Group therapy · 90 min")
    await page.get_by_label("Location").select_option(label="Office")
    await page.get_by_label("Repeats").select_option(label="Weekly")
    await page.get_by_label("Sessions (optional)").fill("6")
    await screenshot(page, "calendar-new-series")
    await page.get_by_role("button", name="Book").click()
    await expect(
        page.get_by_text("6 sessions booked (FREQ=WEEKLY;BYDAY=TH;COUNT=6).")
    ).to_be_visible()
    block = page.locator("a.cal-appt", has_text="Thursday DBT")
    await expect(block).to_have_count(1)
    await expect(block).to_contain_text("17:00")
    await screenshot(page, "calendar-series-week")
    await page.get_by_role("link", name="Next →").click()
    second = page.locator("a.cal-appt", has_text="Thursday DBT")
    await expect(second).to_contain_text("17:00")

    # from the second session on, the group meets on Fridays at 16:00
    await second.click()
    await expect(page.get_by_role("heading", name="Series")).to_be_visible()
    await expect(
        page.get_by_text("Weekly on Thursday at 17:00 (America/Chicago) · 6 sessions")
    ).to_be_visible()
    friday = thursday + timedelta(days=8)
    await page.get_by_label("Which sessions").select_option(label="This and following")
    await page.get_by_label("New first day").fill(friday.isoformat())
    await page.get_by_label("Time (America/Chicago)").last.fill("16:00")
    await screenshot(page, "calendar-series-edit")
    await page.get_by_role("button", name="Change the series").click()
    await expect(page.get_by_text("The series was changed: 5 sessions booked")).to_be_visible()
    moved = page.locator("a.cal-appt", has_text="Thursday DBT").filter(has_text="16:00")
    await expect(moved).to_have_count(1)
    # the Thursday it left stays on the calendar, struck out as cancelled by the practice
    await expect(page.locator("a.cal-appt.cancelled", has_text="17:00")).to_have_count(1)
    await expect(page.locator("a.cal-appt:not(.cancelled)", has_text="17:00")).to_have_count(0)
    await screenshot(page, "calendar-series-changed")
