"""How every request ends: commit before the response, rollback on anything else, and one
audit event in its own transaction whatever happened (ARCHITECTURE §6)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import text

from api.deps import Audit, Uow
from api.routing import AppRoute
from core.db import SessionMaker, make_engine, make_sessionmaker
from core.errors import InvalidInput, NotFound
from services.audit import AuditRecorder
from services.mail.outbox import queue_mail
from tests.fixtures.app import client_for
from tests.fixtures.db import Database
from tests.fixtures.factories import PracticeRef, make_practice

CONTEXT = {"practice_name": "P", "app_url": "https://x.example"}


def lifecycle_router(practice: PracticeRef, db: Database) -> APIRouter:
    """Routes that behave like real pages: scope to a practice, write, then end in
    different ways. They exercise the real route class, unit of work and audit recorder."""
    router = APIRouter(route_class=AppRoute, prefix="/t")

    async def write(uow: Any, audit: Any, key: str) -> uuid.UUID:
        await uow.set_practice(practice.id)
        audit.practice_id = practice.id
        mail_id: uuid.UUID = await queue_mail(
            uow,
            recipient="a@example.com",
            template="practice_ready",
            context=CONTEXT,
            idempotency_key=key,
        )
        audit.subject("mail_message", [mail_id])
        return mail_id

    @router.post("/ok", name="test.ok")
    async def ok(uow: Uow, audit: Audit) -> Response:
        await write(uow, audit, "ok")
        return RedirectResponse("/t/done", status_code=303)

    @router.post("/not-found", name="test.not_found")
    async def not_found(uow: Uow, audit: Audit) -> Response:
        await write(uow, audit, "nf")
        raise NotFound("No such case")

    @router.post("/invalid", name="test.invalid")
    async def invalid(uow: Uow, audit: Audit) -> Response:
        await write(uow, audit, "inv")
        raise InvalidInput("Fix the form", field_errors={"email": "Enter a valid email address."})

    @router.post("/rerender", name="test.rerender")
    async def rerender(uow: Uow, audit: Audit) -> Response:
        await write(uow, audit, "re")
        return JSONResponse({"form": "again"}, status_code=422)  # a form shown again

    @router.post("/boom", name="test.boom")
    async def boom(uow: Uow, audit: Audit) -> Response:
        await write(uow, audit, "boom")
        raise RuntimeError("row data: Jane Doe, DOB 1980-01-01")

    @router.post("/commit-fails", name="test.commit_fails")
    async def commit_fails(uow: Uow, audit: Audit) -> Response:
        await write(uow, audit, "cf")  # refused by a deferred check, at COMMIT
        return RedirectResponse("/t/done", status_code=303)

    @router.post("/connection-lost", name="test.connection_lost")
    async def connection_lost(uow: Uow, audit: Audit) -> Response:
        await write(uow, audit, "cl")
        pid = await uow.session.scalar(text("SELECT pg_backend_pid()"))
        with db.server.admin() as admin:  # the database goes away between work and commit
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return RedirectResponse("/t/done", status_code=303)

    return router


@pytest.fixture
async def practice(sessionmaker: SessionMaker) -> PracticeRef:
    return await make_practice(sessionmaker)


@pytest.fixture
def test_app(app: FastAPI, practice: PracticeRef, db: Database) -> FastAPI:
    app.include_router(lifecycle_router(practice, db))
    return app


def mail_keys(db: Database) -> list[str]:
    with db.owner() as owner:
        return [r[0] for r in owner.execute("SELECT idempotency_key FROM mail_outbox ORDER BY 1")]


def audit_rows(db: Database) -> list[tuple[Any, ...]]:
    with db.owner() as owner:
        return owner.execute(
            "SELECT action, outcome, status_code, subject_type,"
            " cardinality(subject_ids), request_id"
            " FROM audit_events ORDER BY occurred_at"
        ).fetchall()


class TestOutcomes:
    async def test_success_commits_and_is_audited(self, test_app: FastAPI, db: Database) -> None:
        async with client_for(test_app) as client:
            response = await client.post("/t/ok")
        assert response.status_code == 303
        assert mail_keys(db) == ["ok"]
        [(action, outcome, status, subject, n, rid)] = audit_rows(db)
        assert (action, outcome, status, subject, n) == (
            "test.ok",
            "success",
            303,
            "mail_message",
            1,
        )
        assert rid == response.headers["x-request-id"]

    async def test_denied_rolls_back_and_is_audited(self, test_app: FastAPI, db: Database) -> None:
        async with client_for(test_app) as client:
            response = await client.post("/t/not-found", headers={"accept": "application/json"})
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "No such case"
        assert mail_keys(db) == []
        assert [r[:3] for r in audit_rows(db)] == [("test.not_found", "denied", 404)]

    async def test_bad_input_changes_nothing_and_names_the_field(
        self, test_app: FastAPI, db: Database
    ) -> None:
        async with client_for(test_app) as client:
            api = await client.post("/t/invalid", headers={"accept": "application/json"})
            html = await client.post("/t/invalid", headers={"accept": "text/html"})
            again = await client.post("/t/rerender")
        assert api.status_code == 422
        assert api.json()["errors"] == [
            {"field": "email", "message": "Enter a valid email address."}
        ]
        assert html.status_code == 422
        assert "Enter a valid email address." in html.text
        assert again.status_code == 422
        assert mail_keys(db) == []
        assert [r[1] for r in audit_rows(db)] == ["rejected", "rejected", "rejected"]

    async def test_an_unexpected_error_is_a_500_that_leaks_nothing(
        self, test_app: FastAPI, db: Database, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.INFO):
            async with client_for(test_app) as client:
                response = await client.post("/t/boom", headers={"accept": "application/json"})
        assert response.status_code == 500
        body = response.json()
        assert body["request_id"] == response.headers["x-request-id"]
        assert "Jane" not in response.text
        assert "Jane" not in caplog.text
        assert mail_keys(db) == []
        assert [r[:3] for r in audit_rows(db)] == [("test.boom", "failed", 500)]

    async def test_a_failed_commit_is_an_error_never_a_success(
        self, test_app: FastAPI, db: Database
    ) -> None:
        with db.owner() as owner:  # what the deferred invariants of later tables will do
            owner.execute(
                "CREATE FUNCTION refuse_cf() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " IF NEW.idempotency_key = 'cf' THEN RAISE EXCEPTION 'refused at commit'; END IF;"
                " RETURN NULL; END $$"
            )
            owner.execute(
                "CREATE CONSTRAINT TRIGGER refuse_cf AFTER INSERT ON mail_outbox"
                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_cf()"
            )
        async with client_for(test_app) as client:
            response = await client.post("/t/commit-fails", headers={"accept": "text/html"})
        assert response.status_code == 503
        assert "Your change was not saved" in response.text
        assert "location" not in response.headers
        assert mail_keys(db) == []
        # the success event went down with the commit; the failure is recorded apart
        assert [r[:3] for r in audit_rows(db)] == [("test.commit_fails", "failed", 503)]

    async def test_a_lost_connection_is_an_error_never_a_success(
        self, test_app: FastAPI, db: Database
    ) -> None:
        async with client_for(test_app) as client:
            response = await client.post("/t/connection-lost", headers={"accept": "text/html"})
        assert response.status_code == 503
        assert "location" not in response.headers
        assert mail_keys(db) == []
        assert [r[:3] for r in audit_rows(db)] == [("test.connection_lost", "failed", 503)]


class TestAuditFailsClosed:
    async def test_work_whose_event_cannot_be_written_is_not_saved(
        self, app: FastAPI, practice: PracticeRef, sessionmaker: SessionMaker, db: Database
    ) -> None:
        other = await make_practice(sessionmaker)
        router = APIRouter(route_class=AppRoute)

        @router.post("/t/mis-scoped", name="test.mis_scoped")
        async def mis_scoped(uow: Uow, audit: Audit) -> Response:
            await uow.set_practice(practice.id)
            await queue_mail(
                uow,
                recipient="a@example.com",
                template="practice_ready",
                context=CONTEXT,
                idempotency_key="lost",
            )
            audit.practice_id = other.id  # a bug: the event names another practice
            return RedirectResponse("/", status_code=303)

        app.include_router(router)
        async with client_for(app) as client:
            response = await client.post("/t/mis-scoped", headers={"accept": "application/json"})
        assert response.status_code == 503
        assert response.json()["type"] == "/problems/audit_unavailable"
        assert mail_keys(db) == []  # the change went with its event: both or neither
        assert [r[:3] for r in audit_rows(db)] == [("test.mis_scoped", "failed", 503)]

    async def test_a_refusal_stands_when_its_event_cannot_be_written(
        self, test_app: FastAPI, db: Database, caplog: pytest.LogCaptureFixture
    ) -> None:
        broken = make_engine(db.app_url.replace(f"/{db.name}?", "/no_such_database?"), pool_size=1)
        test_app.state.audit = AuditRecorder(make_sessionmaker(broken))
        with caplog.at_level(logging.ERROR):
            async with client_for(test_app) as client:
                response = await client.post("/t/not-found", headers={"accept": "application/json"})
        await broken.dispose()
        assert response.status_code == 404
        assert "audit write failed" in caplog.text
        assert mail_keys(db) == []


class TestOnlyOurRoutesCommit:
    async def test_a_route_of_another_class_cannot_open_a_unit_of_work(
        self, app: FastAPI, practice: PracticeRef, db: Database
    ) -> None:
        router = APIRouter()  # FastAPI's own APIRoute: nobody would commit

        @router.post("/t/plain-fastapi")
        async def plain(uow: Uow) -> Response:
            await uow.set_practice(practice.id)
            await queue_mail(
                uow,
                recipient="a@example.com",
                template="practice_ready",
                context=CONTEXT,
                idempotency_key="dropped",
            )
            return JSONResponse({"saved": True})

        app.include_router(router)
        async with client_for(app) as client:
            response = await client.post("/t/plain-fastapi", headers={"accept": "application/json"})
        assert response.status_code == 500
        assert mail_keys(db) == []

    async def test_routes_declared_on_the_app_are_committed_and_audited(
        self, app: FastAPI, practice: PracticeRef, db: Database
    ) -> None:
        @app.post("/t/on-app", name="test.on_app")
        async def on_app(uow: Uow) -> Response:
            await uow.set_practice(practice.id)
            await queue_mail(
                uow,
                recipient="a@example.com",
                template="practice_ready",
                context=CONTEXT,
                idempotency_key="kept",
            )
            return JSONResponse({"saved": True})

        async with client_for(app) as client:
            response = await client.post("/t/on-app")
        assert response.status_code == 200
        assert mail_keys(db) == ["kept"]
        rows = audit_rows(db)
        assert [r[:3] for r in rows] == [("test.on_app", "success", 200)]


class TestHeadersAndLogs:
    async def test_security_headers_and_request_id(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz", headers={"x-request-id": "forged-audit-id"})
        # the request id is the audit log's: always ours, never the client's
        assert response.headers["x-request-id"] != "forged-audit-id"
        assert len(response.headers["x-request-id"]) == 32
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

    async def test_the_access_log_drops_query_strings_and_tokens(
        self, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        token = "Zm9yLXRlc3RzLW9ubHktYS1sb25nLXRva2Vu"
        with caplog.at_level(logging.INFO, logger="access"):
            await client.get(f"/portal/invite/{token}?email=jane@example.com")
        assert "GET /portal/invite/[redacted] 404" in caplog.text
        assert token not in caplog.text
        assert "jane" not in caplog.text

    async def test_unknown_api_paths_are_problem_json(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/nothing-here")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
