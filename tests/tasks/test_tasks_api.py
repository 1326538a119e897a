"""`/api/v1/tasks` end to end through the app: create (idempotent with a key), filters,
keyset pages, assign / resolve / dismiss / reopen, bad input as problem+json that changes
nothing, 404 for what the caller may not see, an audit event per request."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI

from core.db import SessionMaker, unit_of_work
from services.auth.api_tokens import create_token
from services.tasks.commands import get_task
from services.tasks.kinds import TaskKind
from tests.auth.helpers import sign_in
from tests.fixtures.app import FrozenClock, client_for
from tests.fixtures.db import Database
from tests.fixtures.factories import Team
from tests.fixtures.tasks import open_for


def count_tasks(db: Database) -> int:
    with db.owner() as owner:
        row = owner.execute("SELECT count(*) FROM tasks").fetchone()
    assert row is not None
    return int(row[0])


@asynccontextmanager
async def signed_in(app: FastAPI, email: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        assert (await sign_in(client, email)).status_code == 303
        yield client


class TestCreate:
    async def test_a_follow_up_with_a_due_day_and_a_key(
        self, app: FastAPI, ours: Team, db: Database
    ) -> None:
        async with signed_in(app, ours.provider.email) as client:
            body = {"title": "Call the lab back", "due_date": "2026-12-02", "key": "lab-call"}
            first = await client.post("/api/v1/tasks", json=body)
            assert first.status_code == 201, first.text
            task = first.json()
            assert task["assignee_id"] == str(ours.provider.id)  # a follow-up: its opener
            assert task["due_all_day"] is True
            # due by the end of Dec 2 in Chicago = 06:00 UTC on Dec 3
            assert task["due_at"] == "2026-12-03T06:00:00Z"
            assert task["due_label"] == "Wed Dec 2, 2026"
            assert task["overdue"] is False  # the clock says Dec 1
            again = await client.post("/api/v1/tasks", json={**body, "title": "Twice"})
            assert again.status_code == 200
            assert again.json()["id"] == task["id"]
        async with signed_in(app, ours.associate.email) as other:
            # the same key from someone else is their own key: a task of their own
            theirs = await other.post("/api/v1/tasks", json={**body, "title": "Mine"})
            assert theirs.status_code == 201 and theirs.json()["id"] != task["id"]
        assert count_tasks(db) == 2

    async def test_bad_input_is_a_problem_and_writes_nothing(
        self, app: FastAPI, ours: Team, db: Database
    ) -> None:
        async with signed_in(app, ours.provider.email) as client:
            cases = [
                ({"title": ""}, "title"),
                ({"title": "x", "kind": "missing_note"}, "kind"),  # workflows open those
                ({"title": "x", "due_at": "2026-12-01T10:00:00"}, "due_at"),  # no offset
                ({"title": "x", "due_at": "2026-12-01T10:00:00Z", "due_date": "2026-12-01"},
                 "due_date"),
                ({"title": "x", "assignee_id": str(uuid.uuid4())}, "assignee_id"),
                ({"title": "x", "due_date": "31/12/2026"}, "due_date"),
                ({"title": "x", "due_date": "9999-12-31"}, "due_date"),  # no overflow: a 422
                ({"title": "x", "due_at": "9999-12-31T23:00:00-05:00"}, "due_at"),
                ({"title": "x", "due_at": "0001-01-01T01:00:00+05:00"}, "due_at"),
            ]  # fmt: skip
            for body, field in cases:
                response = await client.post("/api/v1/tasks", json=body)
                assert response.status_code == 422, (body, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                fields = {e["field"] for e in response.json().get("errors", [])}
                assert field in fields, (body, response.json())
        assert count_tasks(db) == 0

    async def test_an_api_token_can_create_and_list(
        self, app: FastAPI, ours: Team, sessionmaker: SessionMaker, clock: FrozenClock
    ) -> None:
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            made_token = await create_token(uow, staff_id=ours.owner.id, name="script",
                                            now=clock.now())  # fmt: skip
        headers = {"Authorization": f"Bearer {made_token.token}"}
        async with client_for(app, csrf=False) as client:
            made = await client.post(
                "/api/v1/tasks", json={"title": "From a script", "kind": "billing"},
                headers=headers,
            )  # fmt: skip
            assert made.status_code == 201, made.text
            listed = await client.get("/api/v1/tasks?who=everyone", headers=headers)
        assert [t["title"] for t in listed.json()["items"]] == ["From a script"]


class TestListing:
    async def test_filters_and_pages_cover_every_task_once(
        self, app: FastAPI, ours: Team, sessionmaker: SessionMaker
    ) -> None:
        # 23 due tasks (the first 11 overdue), 4 undated ones last, one billing task
        for n in range(23):
            await open_for(sessionmaker, ours, f"Due {n:02d}", assignee=ours.provider.id,
                           due_in=timedelta(hours=n - 10))  # fmt: skip
        for n in range(4):
            await open_for(sessionmaker, ours, f"Someday {n}", assignee=ours.provider.id)
        await open_for(sessionmaker, ours, "Invoice question", assignee=ours.owner.id,
                       kind=TaskKind.billing)  # fmt: skip
        async with signed_in(app, ours.provider.email) as client:
            seen: list[str] = []
            url = "/api/v1/tasks?who=mine&limit=10"
            while True:
                page = (await client.get(url)).json()
                seen += [t["title"] for t in page["items"]]
                if not page["next_cursor"]:
                    break
                url = f"/api/v1/tasks?who=mine&limit=10&cursor={page['next_cursor']}"
            assert seen[:23] == [f"Due {n:02d}" for n in range(23)]  # by due time
            assert sorted(seen[23:]) == [f"Someday {n}" for n in range(4)]  # undated last
            overdue = (await client.get("/api/v1/tasks?overdue=1&limit=100")).json()["items"]
            assert [t["title"] for t in overdue] == [f"Due {n:02d}" for n in range(11)]
            assert all(t["overdue"] for t in overdue)
            counts = (await client.get("/api/v1/tasks/counts")).json()
            assert counts == {"mine_open": 27, "mine_overdue": 11, "everyone_open": 27,
                              "everyone_overdue": 11}  # fmt: skip
            # the provider does not reach the owner's billing task
            everyone = (await client.get("/api/v1/tasks?who=everyone&kind=billing")).json()
            assert everyone["items"] == []
        async with signed_in(app, ours.owner.email) as client:
            billing = (await client.get("/api/v1/tasks?who=everyone&kind=billing")).json()
            assert [t["title"] for t in billing["items"]] == ["Invoice question"]
            for bad in ("who=nobody", "kind=chores", "status=maybe", "cursor=%%%", "limit=0",
                        "overdue=perhaps"):  # fmt: skip
                response = await client.get(f"/api/v1/tasks?{bad}")
                assert response.status_code == 422, bad
                assert response.headers["content-type"] == "application/problem+json"


class TestHandling:
    async def test_assign_resolve_dismiss_reopen(
        self, app: FastAPI, ours: Team, sessionmaker: SessionMaker, db: Database
    ) -> None:
        tid = await open_for(sessionmaker, ours, "Send the superbill", assignee=ours.owner.id)
        async with signed_in(app, ours.owner.email) as client:
            moved = await client.post(f"/api/v1/tasks/{tid}/assign",
                                      json={"assignee_id": str(ours.admin.id)})  # fmt: skip
            assert moved.json()["assignee_name"].startswith("Admin")
            refused = await client.post(f"/api/v1/tasks/{tid}/dismiss", json={})
            assert refused.status_code == 422
            assert (await client.get(f"/api/v1/tasks/{tid}")).json()["status"] == "open"
            done = await client.post(f"/api/v1/tasks/{tid}/resolve", json={"note": "Sent"})
            assert (done.json()["status"], done.json()["resolution_note"]) == ("done", "Sent")
            assert (await client.post(f"/api/v1/tasks/{tid}/resolve", json={})).status_code == 409
            closed = (await client.get("/api/v1/tasks?who=everyone&status=closed")).json()
            assert [t["id"] for t in closed["items"]] == [str(tid)]
            reopened = await client.post(f"/api/v1/tasks/{tid}/reopen")
            assert reopened.json()["status"] == "open"
        with db.owner() as owner:
            actions = [r[0] for r in owner.execute(
                "SELECT action FROM audit_events WHERE practice_id = %s AND subject_type = 'task'"
                " AND %s = ANY(subject_ids) ORDER BY occurred_at", (ours.practice.id, tid),
            )]  # fmt: skip
        assert actions[:3] == ["api.tasks_assign", "api.tasks_dismiss", "api.tasks_get"]
        assert "api.tasks_reopen" in actions

    async def test_what_one_may_not_see_is_not_found(
        self, app: FastAPI, ours: Team, theirs: Team, sessionmaker: SessionMaker
    ) -> None:
        owners = await open_for(sessionmaker, ours, "Owner's own", assignee=ours.owner.id)
        foreign = await open_for(sessionmaker, theirs, "Elsewhere", assignee=theirs.owner.id)
        async with signed_in(app, ours.associate.email) as client:
            for tid in (owners, foreign):
                assert (await client.get(f"/api/v1/tasks/{tid}")).status_code == 404
                response = await client.post(f"/api/v1/tasks/{tid}/resolve", json={})
                assert response.status_code == 404
        async with unit_of_work(sessionmaker, ours.practice.id) as uow:
            assert (await get_task(uow, owners)).status == "open"
