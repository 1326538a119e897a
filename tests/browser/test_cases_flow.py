"""Cases in Chromium: a provider opens a couple and a therapy group from "New client or
case" (review first, then create), sees the errors of a half-filled form beside their
fields with nothing written, finds cases on the client list and by a misspelt name, adds an
organization that pays half on the Billing tab, and a relationship on a person's page.
Screenshots: cases-*.png."""

from __future__ import annotations

import re

from playwright.async_api import Locator, Page, expect

from core.db import SessionMaker
from tests.browser.conftest import screenshot
from tests.browser.test_staff_flow import sign_in
from tests.fixtures.cases import Crew, open_case, person


async def sign_in_provider(page: Page, live_url: str, crew: Crew) -> None:
    provider = crew.team.provider
    await sign_in(page, live_url, provider.email, provider.password)
    await expect(page).to_have_url(live_url + "/dashboard")


def person_block(page: Page, number: int) -> Locator:
    return page.get_by_role("group", name=f"Person {number}", exact=True)


def tab(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Record sections").get_by_role(
        "link", name=name, exact=True
    )


async def test_a_couple_is_reviewed_then_created(page: Page, live_url: str, crew: Crew) -> None:
    await sign_in_provider(page, live_url, crew)
    await page.goto(live_url + "/clients")
    await page.get_by_role("link", name="New client or case").click()
    await expect(page.get_by_role("heading", name="New client or case")).to_be_visible()
    await screenshot(page, "cases-new-kind")

    await page.get_by_role("link", name="Couple / two-person").click()
    await expect(page.get_by_role("heading", name="New couple")).to_be_visible()
    first, second = person_block(page, 1), person_block(page, 2)
    await first.get_by_label("First name", exact=True).fill("Maya")
    await first.get_by_label("Last name", exact=True).fill("Chen")
    await first.get_by_label("Email", exact=True).fill("maya@example.org")
    await second.get_by_label("First name", exact=True).fill("Jordan")
    await second.get_by_label("Last name", exact=True).fill("Lee")
    await second.get_by_label("Mobile phone", exact=True).fill("(312) 555-0190")
    await page.get_by_label("How are they related?").select_option(label="Spouses")
    await screenshot(page, "cases-new-couple-form")

    await page.get_by_role("button", name="Review", exact=True).click()
    review = page.locator("section.review")
    await expect(review.get_by_role("heading", name="Review")).to_be_visible()
    await expect(review).to_contain_text("Couple / two-person · Spouses")
    await expect(review).to_contain_text("Maya Chen")
    await expect(review).to_contain_text("Jordan Lee")
    await expect(review).to_contain_text("identified client")
    await screenshot(page, "cases-new-couple-review")

    await page.get_by_role("button", name="Create couple").click()
    await expect(page).to_have_url(re.compile(re.escape(live_url) + r"/cases/[0-9a-f-]{36}$"))
    await expect(page.get_by_role("status")).to_contain_text(
        "The couple Maya Chen & Jordan Lee was created."
    )
    await expect(page.get_by_role("heading", name="Maya Chen & Jordan Lee")).to_be_visible()
    summary = page.locator("section.summary")
    await expect(summary.get_by_role("heading", name="Workflow summary")).to_be_visible()
    await expect(summary).to_contain_text("Ready to schedule")
    people = page.locator(".people-list")
    await expect(people.get_by_role("link", name="Maya Chen")).to_be_visible()
    await expect(people.get_by_role("link", name="Jordan Lee")).to_be_visible()
    await expect(people).to_contain_text("maya@example.org")
    await expect(people).to_contain_text("identified client")
    await screenshot(page, "cases-record-couple")


async def test_a_therapy_group_gets_new_members_and_an_existing_client(
    page: Page, live_url: str, crew: Crew, sessionmaker: SessionMaker
) -> None:
    await open_case(
        sessionmaker, crew, "individual", person("Priya", "Natarajan", email="priya@example.org")
    )
    await sign_in_provider(page, live_url, crew)
    await page.goto(live_url + "/clients/new")
    await page.get_by_role("link", name="Therapy group").click()
    await expect(page.get_by_role("heading", name="New group")).to_be_visible()
    await expect(person_block(page, 2)).to_have_count(0)
    await page.get_by_role("button", name="Add another person").click()
    await expect(person_block(page, 2)).to_be_visible()
    await page.get_by_role("button", name="Add another person").click()
    await expect(person_block(page, 3)).to_be_visible()

    await page.get_by_label("Group name").fill("Tuesday DBT skills")
    await person_block(page, 1).get_by_label("First name", exact=True).fill("Sam")
    await person_block(page, 1).get_by_label("Last name", exact=True).fill("Ortiz")
    await person_block(page, 2).get_by_label("First name", exact=True).fill("Lena")
    await person_block(page, 2).get_by_label("Last name", exact=True).fill("Brooks")
    await (
        person_block(page, 3)
        .get_by_role("button", name="Choose an existing client instead")
        .click()
    )
    third = person_block(page, 3)
    await third.get_by_label("Find a person").fill("natara")
    await third.get_by_role("button", name="Find", exact=True).click()
    third = person_block(page, 3)
    await third.get_by_role("radio", name="Priya Natarajan").check()
    # what was typed into the other blocks survived the round trips
    await expect(person_block(page, 1).get_by_label("First name", exact=True)).to_have_value("Sam")
    await expect(page.get_by_label("Group name")).to_have_value("Tuesday DBT skills")
    await screenshot(page, "cases-new-group-form")

    await page.get_by_role("button", name="Review", exact=True).click()
    review = page.locator("section.review")
    await expect(review).to_contain_text("Tuesday DBT skills")
    await expect(review).to_contain_text("Sam Ortiz")
    await expect(review).to_contain_text("Lena Brooks")
    await expect(review).to_contain_text("Priya Natarajan (already a client)")
    await page.get_by_role("button", name="Create group").click()
    await expect(page.get_by_role("status")).to_contain_text(
        "The group Tuesday DBT skills was created."
    )
    await expect(page.get_by_role("heading", name="Tuesday DBT skills")).to_be_visible()
    people = page.locator(".people-list")
    for name in ("Sam Ortiz", "Lena Brooks", "Priya Natarajan"):
        await expect(people.get_by_role("link", name=name)).to_be_visible()
    await screenshot(page, "cases-record-group")

    # the existing client is now in both cases
    await people.get_by_role("link", name="Priya Natarajan").click()
    cases = page.locator("section.card", has=page.get_by_role("heading", name="Cases"))
    await expect(cases.get_by_role("link", name="Tuesday DBT skills")).to_be_visible()
    await expect(cases.get_by_role("link", name="Priya Natarajan")).to_be_visible()


async def test_a_half_filled_couple_shows_errors_beside_fields_and_writes_nothing(
    page: Page, live_url: str, crew: Crew
) -> None:
    await sign_in_provider(page, live_url, crew)
    await page.goto(live_url + "/clients/new?kind=couple")
    await person_block(page, 1).get_by_label("Last name", exact=True).fill("Chen")
    await page.get_by_role("button", name="Review", exact=True).click()

    await expect(page.get_by_role("alert")).to_be_visible()
    error = page.locator('[id="e-participants.0.first_name"]')
    await expect(error).to_be_visible()
    await expect(error).to_have_text("Enter the first name.")
    first_name = page.locator('[id="f-participants.0.first_name"]')
    await expect(first_name).to_have_attribute("aria-invalid", "true")
    await expect(first_name).to_have_attribute("aria-describedby", "e-participants.0.first_name")
    # what was typed is kept, and the form is not on the review step
    await expect(page.locator('[id="f-participants.0.last_name"]')).to_have_value("Chen")
    await expect(page.get_by_role("button", name="Create couple")).to_have_count(0)
    await screenshot(page, "cases-new-errors")

    await page.goto(live_url + "/clients")
    await expect(page.get_by_text("No cases here yet.")).to_be_visible()
    await expect(page.locator("table.clients")).to_have_count(0)


async def test_the_client_list_and_a_search_for_a_misspelt_name(
    page: Page, live_url: str, crew: Crew, sessionmaker: SessionMaker
) -> None:
    await open_case(
        sessionmaker, crew, "couple", person("Maya", "Chen", email="maya@example.org"),
        person("Jordan", "Lee", phone_mobile="312 555 0144"), relationship_label="co_parents",
    )  # fmt: skip
    await open_case(sessionmaker, crew, "individual", person("Priya", "Natarajan"))
    await open_case(
        sessionmaker, crew, "therapy_group", person("Sam", "Ortiz"), person("Lena", "Brooks"),
        name="Tuesday DBT skills",
    )  # fmt: skip
    await sign_in_provider(page, live_url, crew)
    await page.get_by_role("link", name="Clients", exact=True).click()
    await expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    rows = page.locator("table.clients tbody tr")
    await expect(rows).to_have_count(3)
    couple = rows.filter(has_text="Maya Chen & Jordan Lee")
    await expect(couple.get_by_role("link", name="Maya Chen", exact=True)).to_be_visible()
    await expect(couple.get_by_role("link", name="Jordan Lee", exact=True)).to_be_visible()
    await expect(couple).to_contain_text("co-parents")
    await screenshot(page, "cases-list")

    await page.get_by_label("Search clients and cases").fill("Jordn Le")
    await page.get_by_role("button", name="Search", exact=True).click()
    await expect(page).to_have_url(live_url + "/search")  # the name is not in the URL
    await expect(page.get_by_role("heading", name="Search", exact=True)).to_be_visible()
    await expect(page.get_by_label("Search clients and cases")).to_have_value("Jordn Le")
    people = page.locator("section.card", has=page.get_by_role("heading", name="People"))
    await expect(people.get_by_role("link", name="Jordan Lee")).to_be_visible()
    couples = page.locator("section.card", has=page.get_by_role("heading", name="Couples"))
    await expect(couples.get_by_role("link", name="Maya Chen & Jordan Lee")).to_be_visible()
    await expect(page.get_by_text("Priya Natarajan")).to_have_count(0)
    await screenshot(page, "cases-search")


async def test_billing_details_and_a_relationship_on_the_person_page(
    page: Page, live_url: str, crew: Crew, sessionmaker: SessionMaker
) -> None:
    case_id = await open_case(
        sessionmaker, crew, "couple", person("Maya", "Chen", email="maya@example.org"),
        person("Jordan", "Lee", phone_mobile="312 555 0144"), relationship_label="spouses",
    )  # fmt: skip
    await sign_in_provider(page, live_url, crew)
    await page.goto(f"{live_url}/cases/{case_id}")
    await expect(page.locator("section.summary")).to_contain_text("Each client pays for themselves")

    # Billing: an organization pays half
    await tab(page, "Billing").click()
    await expect(page.get_by_role("heading", name="Who pays")).to_be_visible()
    await page.locator("summary", has_text="Add a payer").click()
    await page.get_by_label("Who pays").select_option("organization")
    await page.get_by_label("Organization name").fill("Acme EAP")
    await page.get_by_label("Kind", exact=True).select_option("employer")
    await page.get_by_label("Share (%)").fill("50")
    await page.get_by_role("button", name="Add payer").click()
    await expect(page.get_by_role("status")).to_contain_text("The payer was added.")
    payers = page.locator("table.table tbody tr")
    await expect(payers).to_have_count(1)
    await expect(payers).to_contain_text("Acme EAP")
    await expect(payers).to_contain_text("50 %")
    await screenshot(page, "cases-record-billing")

    await tab(page, "Overview").click()
    await expect(page.locator("section.summary")).to_contain_text(
        "Acme EAP pays 50 % for the whole case"
    )

    # Details
    await tab(page, "Details").click()
    await expect(page.get_by_role("heading", name="Case details")).to_be_visible()
    await expect(page.get_by_label("Relationship")).to_have_value("spouses")
    await expect(page.get_by_role("heading", name="Close the case")).to_be_visible()
    await screenshot(page, "cases-record-details")

    # a person's page: Jordan is Maya's spouse
    await tab(page, "Overview").click()
    await page.locator(".people-list").get_by_role("link", name="Maya Chen").click()
    await expect(page.get_by_role("heading", name="Maya Chen")).to_be_visible()
    await page.locator("summary", has_text="+ Relationship").click()
    await page.get_by_label("Search for a person").fill("jordan")
    await page.get_by_role("button", name="Find", exact=True).click()
    await page.get_by_role("radio", name="Jordan Lee").check()
    await page.get_by_label("They are Maya's").select_option(label="Spouse")
    await page.get_by_role("button", name="Add relationship").click()
    await expect(page.get_by_role("status")).to_contain_text("The relationship was added.")
    relationships = page.locator("#relationships")
    await expect(relationships.get_by_role("link", name="Jordan Lee")).to_be_visible()
    await expect(relationships).to_contain_text("Jordan Lee · Spouse")
    await screenshot(page, "cases-person")
