"""The operators' workflow console against the real dev server: this practice's runs only
(filters included), a readable detail page with the `state` query, another practice's run
is a 404 however it is asked for, cancel is a domain command that `workflow_runs`
follows, the Web UI link only for operators, and who may open the console at all."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.staff import workflows as console
from core.db import SessionMaker, unit_of_work
from core.settings import Settings
from models.contracts.welcome import practice_welcome_id
from services.outbox.relay import OutboxRelay
from services.practice_settings import AdminArea, update_security
from services.practices import get_practice
from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for, settings_for
from tests.fixtures.db import Database
from tests.fixtures.factories import Team
from tests.fixtures.temporal import FixedClient
from tests.fixtures.waiting import until


@pytest.fixture
def app_settings(db: Database, dev_env: WorkflowEnvironment, ours: Team) -> Settings:
    target = dev_env.client.service_client.config.target_host
    return settings_for(db, TEMPORAL_ADDRESS=target, OPERATOR_EMAILS=ours.owner.email)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
async def running(dev_worker: tuple[Worker, OutboxRelay], ours: Team, theirs: Team) -> None:
    """Both practices' PracticeWelcome started through the outbox; each now waits three
    days for its nudge."""
    _, relay = dev_worker
    await relay.sweep()


class TestConsole:
    async def test_lists_this_practices_runs_and_shows_one(
        self, app: FastAPI, running: None, ours: Team, theirs: Team
    ) -> None:
        ours_id, theirs_id = (
            practice_welcome_id(ours.practice.id),
            practice_welcome_id(theirs.practice.id),
        )
        async with client_for(app) as client:
            await sign_in(client, ours.owner.email)

            async def listed() -> str | None:
                page = await client.get("/app/workflows")
                return page.text if ours_id in page.text else None

            body = await until(listed)
            assert theirs_id not in body
            assert "Attention sweep" in text(body)  # the practice's schedule
            only_mail = await client.get("/app/workflows?type=MailDispatch")
            assert ours_id not in only_mail.text
            done = await client.get("/app/workflows?status=Completed")
            assert ours_id not in done.text
            odd = await client.get("/app/workflows?type=x' OR '1'='1&status=nope")
            assert odd.status_code == 200 and ours_id in odd.text  # unknown values: no filter
            forged = await client.get("/app/workflows?page=bm90LWEtdG9rZW4")
            assert forged.status_code == 200 and ours_id in forged.text  # back to page one

            detail = await client.get(f"/app/workflows/{quote(ours_id, safe='')}")
            assert detail.status_code == 200
            shown = text(detail.text)
            assert "send_welcome" in shown and "completed" in shown
            assert "Timer 3 days" in shown and "waiting" in shown
            assert "waiting_to_nudge" in detail.text  # the state query
            assert "Open in Temporal Web UI" in shown  # the owner is an operator here
            assert "Cancel run" in shown

    async def test_another_practices_run_is_not_found(
        self, app: FastAPI, running: None, ours: Team, theirs: Team, db: Database
    ) -> None:
        theirs_id = practice_welcome_id(theirs.practice.id)
        async with client_for(app) as client:
            await sign_in(client, ours.owner.email)
            for url in (
                f"/app/workflows/{theirs_id}",
                f"/app/workflows/{theirs_id}?run_id=not-a-run",
                "/app/workflows/no-such-workflow",
            ):
                assert (await client.get(url)).status_code == 404, url
            refused = await client.post(f"/app/workflows/{theirs_id}/cancel", data={"run_id": ""})
            assert refused.status_code == 404
        with db.owner() as owner:
            assert owner.execute(
                "SELECT count(*) FROM workflow_outbox WHERE command = 'cancel'"
            ).fetchone() == (0,)

    async def test_cancel_is_a_domain_command_that_workflow_runs_follows(
        self, app: FastAPI, running: None, ours: Team, db: Database, dev_env: WorkflowEnvironment,
        sessionmaker: SessionMaker,
    ) -> None:  # fmt: skip
        ours_id = practice_welcome_id(ours.practice.id)
        run_id = (await dev_env.client.get_workflow_handle(ours_id).describe()).run_id
        held: list[object] = []

        async def hold(practice_id: object, command_id: object) -> None:
            held.append(command_id)  # as if Temporal were away right after the commit

        app.state.relay.relay_soon = hold
        async with client_for(app) as client:
            await sign_in(client, ours.owner.email)
            response = await client.post(
                f"/app/workflows/{ours_id}/cancel", data={"run_id": run_id}
            )
            assert response.status_code == 303
            with db.owner() as owner:  # the request is recorded before Temporal hears of it
                step = owner.execute(
                    "SELECT status, step FROM workflow_runs WHERE workflow_id = %s", (ours_id,)
                ).fetchone()
                command = owner.execute(
                    "SELECT status, args->>'run_id' FROM workflow_outbox WHERE command = 'cancel'"
                ).fetchone()
            assert step == ("running", "cancel_requested")
            assert command == ("pending", run_id) and len(held) == 1
            # the sweeper delivers it; the workflow's own cancellation path closes the run
            assert await OutboxRelay(FixedClient(dev_env.client), sessionmaker).sweep() >= 1

            def row() -> tuple[Any, ...] | None:
                with db.owner() as owner:
                    return owner.execute(
                        "SELECT status, step FROM workflow_runs WHERE workflow_id = %s", (ours_id,)
                    ).fetchone()

            async def closed() -> bool:
                found = row()
                return found is not None and found[0] == "cancelled"

            await until(closed)
            assert row() == ("cancelled", "waiting_to_nudge")  # where it was when cancelled
            described = await dev_env.client.get_workflow_handle(ours_id, run_id=run_id).describe()
            assert described.status == WorkflowExecutionStatus.CANCELED
            again = await client.post(f"/app/workflows/{ours_id}/cancel", data={"run_id": run_id})
            assert again.status_code == 409  # not running any more
            page = text((await client.get(f"/app/workflows/{ours_id}?run_id={run_id}")).text)
            assert "Cancellation requested" in page and "Cancelled" in page

    async def test_pages_follow_temporals_own_page_tokens(
        self, app: FastAPI, running: None, ours: Team, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(console, "PAGE_SIZE", 1)
        async with client_for(app) as client:
            await sign_in(client, ours.owner.email)

            async def two_runs() -> bool:  # PracticeWelcome and its MailDispatch
                page = await client.get("/app/workflows?type=MailDispatch")
                return "mail-dispatch-" in page.text

            await until(two_runs)
            first = await client.get("/app/workflows")
            ids = set(re.findall(r'<code class="wid">([^<]+)</code>', first.text))
            marker = re.search(r"page=([A-Za-z0-9_.\-]+)", first.text)
            assert len(ids) == 1 and marker is not None
            second = await client.get(f"/app/workflows?page={marker.group(1)}")
            more = set(re.findall(r'<code class="wid">([^<]+)</code>', second.text))
            assert len(more) == 1 and more != ids


class TestWhoMayUseIt:
    async def test_owner_and_allowed_admins_only_and_the_web_ui_link_for_operators(
        self, app: FastAPI, running: None, ours: Team, sessionmaker: SessionMaker
    ) -> None:
        async def status_of(email: str, url: str = "/app/workflows") -> httpx.Response:
            async with client_for(app) as client:
                await sign_in(client, email)
                return await client.get(url)

        for person in (ours.provider, ours.associate, ours.admin):
            assert (await status_of(person.email)).status_code == 403
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            practice = await get_practice(uow)
            await update_security(uow, practice, idle_timeout_minutes=15, totp_required=False,
                                  admin_areas=[AdminArea.staff, AdminArea.workflow_console])  # fmt: skip
        assert (await status_of(ours.admin.email)).status_code == 200
        detail = await status_of(
            ours.admin.email, f"/app/workflows/{practice_welcome_id(ours.practice.id)}"
        )
        assert detail.status_code == 200
        assert "Open in Temporal Web UI" not in detail.text  # not an operator
