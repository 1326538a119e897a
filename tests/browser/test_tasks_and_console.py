"""Tasks and the workflow console in Chromium: the owner finds the Needs-attention counts on
the home page, adds a task with a form error first, filters, reassigns and closes one, then
opens the workflow console and a run's history. Screenshots: tasks-*.png, console-*.png."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import Page, expect
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.db import SessionMaker
from core.settings import Settings
from services.outbox.relay import OutboxRelay
from services.tasks.kinds import TaskKind
from tests.browser.conftest import screenshot
from tests.browser.test_staff_flow import sign_in
from tests.fixtures.app import settings_for
from tests.fixtures.db import Database
from tests.fixtures.factories import Team
from tests.fixtures.tasks import open_for


@pytest.fixture
def app_settings(
    db: Database, live_port: int, dev_env: WorkflowEnvironment, ours: Team
) -> Settings:
    return settings_for(
        db,
        APP_BASE_URL=f"http://127.0.0.1:{live_port}",
        TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host,
        OPERATOR_EMAILS=ours.owner.email,
    )


async def test_needs_attention_and_the_workflow_console(
    page: Page, live_url: str, ours: Team, sessionmaker: SessionMaker,
    dev_worker: tuple[Worker, OutboxRelay],
) -> None:  # fmt: skip
    _, relay = dev_worker
    await relay.sweep()  # the practice's welcome run and its schedule
    # the test's tasks are relative to NOW; the app runs on the real clock, so keep them
    # clearly in the past or the future
    past, future = timedelta(days=-30), timedelta(days=400)
    await open_for(sessionmaker, ours, "Return the call about the Thursday slot",
                   assignee=ours.owner.id, due_in=past)  # fmt: skip
    await open_for(sessionmaker, ours, "Confirm the sliding-scale paperwork",
                   assignee=ours.owner.id, kind=TaskKind.billing, due_in=future)  # fmt: skip
    await open_for(sessionmaker, ours, "Intake packet not completed", assignee=ours.provider.id,
                   workflow_id="intake-demo", kind=TaskKind.intake_overdue, due_in=past)  # fmt: skip
    await open_for(sessionmaker, ours, "Order new intake folders", assignee=ours.admin.id)

    await sign_in(page, live_url, ours.owner.email, ours.owner.password)
    card = page.locator("section.attention")
    await expect(card).to_contain_text("2 open tasks")
    await expect(card).to_contain_text("1 overdue")
    await screenshot(page, "tasks-1-home")

    await page.get_by_role("link", name="Tasks", exact=True).click()
    await expect(page.get_by_role("heading", name="Needs attention")).to_be_visible()
    await page.get_by_label("Assigned to").select_option("everyone")
    await page.get_by_role("button", name="Show").click()
    rows = page.locator("table.tasks tbody tr")
    await expect(rows).to_have_count(4)
    await expect(page.locator("tr.overdue")).to_have_count(2)
    await screenshot(page, "tasks-2-everyone")

    await page.get_by_role("link", name="New task").click()
    await page.get_by_label("Due day").fill("2026-12-04")
    await page.get_by_role("button", name="Add task").click()
    await expect(page.locator("#e-title")).to_contain_text("Enter a short title")
    await screenshot(page, "tasks-3-new-task-error")
    await page.get_by_label("Title").fill("Renew the liability policy")
    await page.get_by_label("Assigned to").select_option(str(ours.provider.id))
    await page.get_by_role("button", name="Add task").click()
    await expect(page.get_by_role("status")).to_contain_text("Task added.")
    await expect(page.get_by_role("heading", name="Renew the liability policy")).to_be_visible()
    await page.get_by_role("button", name="Reassign").click()  # (unchanged: still valid)
    await expect(page.get_by_role("status")).to_contain_text("Task reassigned.")
    await screenshot(page, "tasks-4-detail")
    await page.get_by_role("button", name="Mark done").click()
    await expect(page.get_by_role("status")).to_contain_text("Marked done.")
    await page.goto(live_url + "/tasks?who=everyone&overdue=1")
    await expect(rows).to_have_count(2)
    await screenshot(page, "tasks-5-overdue")

    await page.get_by_role("link", name="Workflows", exact=True).click()
    await expect(page.get_by_role("heading", name="Workflows")).to_be_visible()
    welcome = page.get_by_role("link", name="PracticeWelcome")
    for _ in range(50):  # visibility lags a moment behind the start
        if await welcome.count():
            break
        await page.wait_for_timeout(200)
        await page.reload()
    await expect(page.locator("section.card").first).to_contain_text("Attention sweep")
    await screenshot(page, "console-1-list")
    await welcome.first.click()
    await expect(page.get_by_text("send_welcome")).to_be_visible()
    await expect(page.get_by_text("Timer 3 days")).to_be_visible()
    await expect(page.locator("pre.state")).to_contain_text("waiting_to_nudge")
    await expect(page.get_by_role("link", name="Open in Temporal Web UI")).to_be_visible()
    await screenshot(page, "console-2-detail")
