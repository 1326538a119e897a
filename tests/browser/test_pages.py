from __future__ import annotations

from playwright.async_api import Page, expect

from core.db import SessionMaker, open_unit
from services.mail.outbox import queue_mail
from tests.browser.conftest import screenshot
from tests.fixtures.factories import make_practice


class TestHealthPage:
    async def test_it_shows_each_part_and_the_overall_state(
        self, page: Page, live_url: str
    ) -> None:
        await page.goto(live_url + "/health")
        await expect(page.get_by_role("heading", name="System health")).to_be_visible()
        for name in ("Database", "Temporal", "Stripe", "Mail"):
            await expect(page.get_by_role("heading", name=name)).to_be_visible()
        # the test stack has no Temporal: the page says so plainly
        await expect(page.locator(".status-pill")).to_have_text("Degraded")
        await expect(page.get_by_text("commands wait in the outbox")).to_be_visible()
        # the stylesheet loaded (the strict CSP allows it): the top bar is coloured
        colour = await page.locator(".topbar").evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour == "rgb(47, 93, 98)"
        await screenshot(page, "health")


class TestMailOutboxPage:
    async def test_a_queued_message_can_be_read(
        self, page: Page, live_url: str, sessionmaker: SessionMaker
    ) -> None:
        practice = await make_practice(sessionmaker, "harbor")
        uow = await open_unit(sessionmaker, practice.id)
        await queue_mail(
            uow,
            recipient="owner@harbor.example",
            template="practice_ready",
            context={"practice_name": "Harbor Therapy", "app_url": live_url},
            idempotency_key="welcome",
        )
        await uow.commit()
        await uow.close()
        await page.goto(live_url + "/health")
        await page.get_by_role("link", name="Mail outbox").click()
        await expect(page.get_by_role("heading", name="Mail outbox")).to_be_visible()
        await expect(page.get_by_text("owner@harbor.example")).to_be_visible()
        body = page.locator("pre.mail-body")
        await expect(body).to_be_hidden()
        await page.get_by_text("Your practice is ready on PracticeRunner").click()
        await expect(body).to_contain_text("Harbor Therapy is set up on PracticeRunner.")
        await screenshot(page, "mail-outbox")

    async def test_an_unknown_page_is_a_friendly_404(self, page: Page, live_url: str) -> None:
        response = await page.goto(live_url + "/no/such/page")
        assert response is not None
        assert response.status == 404
        await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        await expect(page.get_by_text("Request id")).to_be_visible()
        await screenshot(page, "not-found")
