"""Intake end to end, every part real: the app relays to the Temporal dev server, a worker
runs IntakeOnboarding and MailDispatch and delivers to aiosmtpd. Staff send the intake
from the case record in Chromium; the client follows the link in the email she received,
confirms her date of birth, fills the PHQ-9, signs the consent and acknowledges the
policies; staff then see the checklist complete, the client Active and a review task —
and no email carried her name or anything clinical. Screenshots: intake-e2e-*.png."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import Message

import pytest
import pytest_asyncio
from playwright.async_api import Page, expect
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.db import SessionMaker
from core.settings import Settings
from models.contracts.common import TaskQueue
from services.mail.smtp import SmtpSender, parse_smtp_url
from services.outbox.relay import OutboxRelay
from tests.browser.conftest import screenshot
from tests.browser.test_cases_flow import sign_in_provider
from tests.fixtures.app import FrozenClock, settings_for
from tests.fixtures.cases import Crew, open_case, person
from tests.fixtures.db import Database
from tests.fixtures.smtp import SmtpServer
from tests.fixtures.temporal import FixedClient
from tests.fixtures.waiting import until
from tests.portal.test_portal_access import person_id
from worker import Deps, build_registrations, build_workers

# Words that would tell a reader of the inbox (or of a forwarded email) something
# clinical about the client.
CLINICAL = ("phq", "gad", "depress", "anxi", "worry", "feeling", "diagnos", "therap", "psych",
            "mental", "symptom", "suicid", "assessment", "consent")  # fmt: skip
PACKET = ("phq9", "consent_to_treatment", "practice_policies")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))  # the workflow runs on the real clock


@pytest.fixture
def app_settings(db: Database, live_port: int, dev_env: WorkflowEnvironment) -> Settings:
    return settings_for(
        db,
        APP_BASE_URL=f"http://127.0.0.1:{live_port}",
        TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host,
    )


@pytest_asyncio.fixture
async def mailing_worker(
    dev_env: WorkflowEnvironment, sessionmaker: SessionMaker, smtp_server: SmtpServer,
    live_port: int,
) -> AsyncIterator[Worker]:  # fmt: skip
    """The production registrations, delivering mail to aiosmtpd with links to the app."""
    relay = OutboxRelay(FixedClient(dev_env.client), sessionmaker)
    send = SmtpSender(parse_smtp_url(smtp_server.url), "Harbor <office@x.example>").send
    deps = Deps(sessionmaker, relay.relay, send, f"http://127.0.0.1:{live_port}")
    [worker] = [
        w for w in build_workers(dev_env.client, build_registrations(deps))
        if w.task_queue == TaskQueue.default
    ]  # fmt: skip
    async with worker:
        yield worker


def text_of(message: Message) -> str:
    parts = [message] if not message.is_multipart() else list(message.walk())
    out = [str(message["Subject"])]
    for part in parts:
        if part.get_content_type() in ("text/plain", "text/html"):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                out.append(payload.decode(part.get_content_charset() or "utf-8"))
    return "\n".join(out)


async def test_staff_send_intake_and_the_client_completes_it_from_the_email(
    page: Page, live_url: str, crew: Crew, sessionmaker: SessionMaker, db: Database,
    smtp_server: SmtpServer, mailing_worker: Worker,
) -> None:  # fmt: skip
    case = await open_case(sessionmaker, crew, "individual", person(
        "Rosa", "Diaz", email="rosa@example.org", date_of_birth="1990-04-23"))  # fmt: skip
    rosa = person_id(db, "Rosa")
    with db.owner() as owner:  # the practice's packet (Settings → Documents & forms)
        owner.execute(
            "UPDATE library_items SET include_in_intake = (key = ANY(%s)) WHERE practice_id = %s",
            (list(PACKET), crew.practice_id),
        )
    await sign_in_provider(page, live_url, crew)
    await page.goto(f"{live_url}/cases/{case}")
    await page.get_by_role("button", name="Send intake").click()
    await expect(page.get_by_text("Intake sent: the invitations are on their way.")).to_be_visible()

    mailbox = smtp_server.mailbox
    await until(lambda: _now(len(mailbox.messages) >= 1), within=30)
    [invitation] = mailbox.messages
    assert invitation["To"] == "rosa@example.org"
    link = re.search(r"http://127\.0\.0\.1:\d+(/portal/\S+/invitation/\S+)", text_of(invitation))
    assert link is not None, text_of(invitation)
    await page.reload()
    await expect(page.locator("section.intake-card")).to_contain_text("Invited")
    await screenshot(page, "intake-e2e-1-sent")

    await page.context.clear_cookies()
    await page.goto(live_url + link.group(1))
    await page.get_by_label("Your date of birth").fill("1990-04-23")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="To do")).to_be_visible()
    await screenshot(page, "intake-e2e-2-portal-home")
    await page.get_by_role("link", name="How you have been feeling").click()
    for row in range(1, 10):
        await page.locator(f'input[name="phq9.q{row}"][value="0"]').check()
    await page.get_by_role("button", name="Submit").click()
    await expect(
        page.get_by_text("“How you have been feeling” is done. Thank you.")
    ).to_be_visible()
    await page.get_by_role("link", name="Consent to treatment").click()
    await page.locator('input[name="understood"][value="yes"]').check()
    await page.get_by_label("Type your full name to sign").fill("Rosa Diaz")
    await screenshot(page, "intake-e2e-3-signing")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_text("“Consent to treatment” is done. Thank you.")).to_be_visible()
    await page.get_by_role("link", name="Practice policies").click()
    await page.get_by_label("I have read and understood this.").check()
    await page.get_by_role("button", name="Confirm").click()
    await expect(page.get_by_text("“Practice policies” is done. Thank you.")).to_be_visible()
    await screenshot(page, "intake-e2e-4-portal-done")

    # The workflow finishes onboarding once the portal's signal reaches it.
    async def onboarded() -> bool:
        with db.owner() as owner:
            row = owner.execute("SELECT lifecycle FROM people WHERE id = %s", (rosa,)).fetchone()
        return row is not None and row[0] == "active"

    await until(onboarded, within=30)
    await page.context.clear_cookies()
    await sign_in_provider(page, live_url, crew)
    await page.goto(f"{live_url}/cases/{case}")
    card = page.locator("section.intake-card")
    await expect(card).to_contain_text("completed")
    await expect(card).to_contain_text("How you have been feeling done")
    await expect(card).to_contain_text("Consent to treatment done")
    summary = page.locator("section.summary")
    await expect(summary).to_contain_text("Rosa Diaz: Active")
    await expect(summary).to_contain_text("Intake review: Review the completed intake")
    await screenshot(page, "intake-e2e-5-staff-complete")

    for message in mailbox.messages:
        body = text_of(message).lower()
        assert "rosa" not in body and "diaz" not in body, body
        assert not [w for w in CLINICAL if w in body], body


async def _now(value: object) -> object:
    return value
