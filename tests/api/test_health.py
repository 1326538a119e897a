from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from core.db import make_engine
from models.contracts.common import TaskQueue
from tests.fixtures.app import client_for, production_settings_for, settings_for
from tests.fixtures.db import Database
from workflows.system_check import SystemCheckWorkflow


def component(body: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in body["components"] if c["name"] == name)
    return found


class TestHealth:
    async def test_database_ok_and_temporal_down_is_degraded_not_fatal(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/api/v1/health")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "degraded"
        db = component(body, "Database")
        assert db["status"] == "ok"
        assert "connected as role pr_test_app" in db["details"]
        temporal = component(body, "Temporal")
        assert temporal["status"] == "degraded"
        assert "outbox" in str(temporal["summary"])

    async def test_a_worker_polling_makes_temporal_ok(
        self, db: Database, engine: AsyncEngine, dev_env: WorkflowEnvironment
    ) -> None:
        target = dev_env.client.service_client.config.target_host
        app = create_app(settings_for(db, TEMPORAL_ADDRESS=target), engine=engine)
        async with (
            Worker(dev_env.client, task_queue=TaskQueue.default, workflows=[SystemCheckWorkflow]),
            client_for(app) as client,
        ):
            body = (await client.get("/api/v1/health")).json()
        assert component(body, "Temporal")["status"] == "ok"
        assert "1 worker(s) polling" in str(component(body, "Temporal")["summary"])

    async def test_database_down_is_503(self, db: Database) -> None:
        broken = make_engine(db.app_url.replace(f"/{db.name}?", "/no_such_database?"), pool_size=1)
        app = create_app(settings_for(db), engine=broken)
        async with client_for(app) as client:
            api = await client.get("/api/v1/health")
            page = await client.get("/health")
        await broken.dispose()
        assert api.status_code == 503
        assert component(api.json(), "Database")["status"] == "down"
        assert page.status_code == 503
        assert "Postgres does not answer" in page.text

    async def test_the_page_renders_every_component(self, client: httpx.AsyncClient) -> None:
        page = await client.get("/health")
        assert page.status_code == 200
        for name in ("Database", "Temporal", "Stripe", "Mail"):
            assert f"<h2>{name}</h2>" in page.text
        root = await client.get("/")  # not signed in: the start page is sign-in
        assert root.status_code == 303
        assert root.headers["location"] == "/login"

    async def test_production_names_no_roles_or_hosts(
        self, db: Database, engine: AsyncEngine
    ) -> None:
        settings = production_settings_for(db)
        app = create_app(settings, engine=engine)
        async with client_for(app) as client:
            body = (await client.get("/api/v1/health")).json()
            hsts = (await client.get("/healthz")).headers.get("strict-transport-security")
        text = str(body)
        assert "pr_test_app" not in text
        assert "127.0.0.1" not in text
        assert hsts is not None


class TestDevOutbox:
    async def test_it_lists_each_practices_mail_and_is_audited(
        self, app: FastAPI, client: httpx.AsyncClient, sessionmaker: object, db: Database
    ) -> None:
        from core.db import open_unit
        from services.mail.outbox import queue_mail
        from tests.fixtures.factories import make_practice

        a = await make_practice(sessionmaker, "alpha")  # type: ignore[arg-type]
        b = await make_practice(sessionmaker, "bravo")  # type: ignore[arg-type]
        for practice in (a, b):
            uow = await open_unit(sessionmaker, practice.id)  # type: ignore[arg-type]
            await queue_mail(
                uow,
                recipient=f"owner@{practice.link_name}.example",
                template="practice_ready",
                context={"practice_name": practice.link_name, "app_url": "http://x"},
                idempotency_key="welcome",
            )
            await uow.commit()
            await uow.close()
        response = await client.get("/dev/outbox")
        assert response.status_code == 200
        assert "owner@alpha.example" in response.text
        assert "owner@bravo.example" in response.text
        assert "2 messages" in response.text
        with db.owner() as owner:
            rows = owner.execute(
                "SELECT action, outcome, cardinality(subject_ids) FROM audit_events"
            ).fetchall()
        assert rows == [("dev.mail_outbox.view", "success", 2)]

    async def test_it_refuses_clients_that_are_not_on_this_machine(self, app: FastAPI) -> None:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as remote:
            response = await remote.get("/dev/outbox")
        assert response.status_code == 404

    async def test_it_does_not_exist_in_production(self, db: Database, engine: AsyncEngine) -> None:
        settings = production_settings_for(db)
        async with client_for(create_app(settings, engine=engine)) as client:
            response = await client.get("/dev/outbox")
            page = await client.get("/health")
        assert response.status_code == 404
        assert "Mail outbox" not in page.text
