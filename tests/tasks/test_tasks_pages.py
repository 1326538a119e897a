"""The staff pages for tasks: the Needs-attention dashboard and its counts on the home
page, the New task form (errors beside the field, nothing saved), a task's page and its
actions, the practice's task settings."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import FastAPI

from core.db import SessionMaker
from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.db import Database
from tests.fixtures.factories import Team
from tests.fixtures.tasks import open_for


def texts(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


class TestDashboard:
    async def test_the_list_the_counts_and_done_from_the_list(
        self, app: FastAPI, ours: Team, sessionmaker: SessionMaker, db: Database
    ) -> None:
        late = await open_for(sessionmaker, ours, "Return the call", assignee=ours.provider.id,
                              due_in=timedelta(hours=-3))  # fmt: skip
        await open_for(sessionmaker, ours, "Order intake folders", assignee=ours.provider.id,
                       due_in=timedelta(days=2))  # fmt: skip
        await open_for(sessionmaker, ours, "Owner's own", assignee=ours.owner.id)
        async with client_for(app) as client:
            await sign_in(client, ours.provider.email)
            home = texts((await client.get("/dashboard")).text)
            assert "2 open tasks assigned to you" in home
            assert "1 overdue" in home
            page = await client.get("/tasks")
            assert page.status_code == 200
            body = texts(page.text)
            assert "Return the call" in body and "Order intake folders" in body
            assert "Owner's own" not in body  # not in the provider's reach
            assert "overdue" in body
            only_late = texts((await client.get("/tasks?overdue=1")).text)
            assert "Return the call" in only_late and "Order intake folders" not in only_late
            done = await client.post(f"/tasks/{late}/resolve", data={"next": "/tasks"})
            assert done.status_code == 303 and done.headers["location"] == "/tasks"
            after = texts((await client.get("/tasks")).text)
            assert "Return the call" not in after
            assert "Return the call" in texts((await client.get("/tasks?status=closed")).text)

    async def test_a_bad_filter_is_explained_not_a_500(self, app: FastAPI, ours: Team) -> None:
        async with client_for(app) as client:
            await sign_in(client, ours.owner.email)
            page = await client.get("/tasks?kind=chores&cursor=zzz")
            assert page.status_code == 200
            body = texts(page.text)
            assert "Choose one of the task kinds." in body
            assert "page marker is not valid" in body


class TestForms:
    async def test_a_new_task_with_errors_then_saved(
        self, app: FastAPI, ours: Team, db: Database
    ) -> None:
        async with client_for(app) as client:
            await sign_in(client, ours.owner.email)
            form = await client.get("/tasks/new")
            assert form.status_code == 200
            bad = await client.post("/tasks", data={"title": " ", "kind": "follow_up",
                                                    "assignee_id": str(ours.provider.id),
                                                    "due_time": "09:00"})  # fmt: skip
            assert bad.status_code == 422
            assert 'id="e-title"' in bad.text  # the message sits beside the field
            for day, at in (("9999-12-31", ""), ("9999-12-31", "10:00"), ("1899-01-01", "")):
                odd = await client.post("/tasks", data={"title": "Far away", "kind": "follow_up",
                                                        "due_date": day, "due_time": at})  # fmt: skip
                assert odd.status_code == 422 and 'id="e-due_date"' in odd.text, (day, at)
            with db.owner() as owner:
                assert owner.execute("SELECT count(*) FROM tasks").fetchone() == (0,)
            made = await client.post("/tasks", data={
                "title": "Renew the liability policy", "kind": "follow_up",
                "assignee_id": str(ours.provider.id), "due_date": "2026-12-04",
                "due_time": "09:30",
            })  # fmt: skip
            assert made.status_code == 303
            detail = texts((await client.get(made.headers["location"])).text)
            assert "Renew the liability policy" in detail
            assert "Fri Dec 4, 2026 09:30 CST" in detail
            tid = made.headers["location"].rsplit("/", 1)[1]
            refused = await client.post(f"/tasks/{tid}/dismiss", data={"note": ""})
            assert refused.status_code == 422 and 'id="e-note"' in refused.text
            moved = await client.post(f"/tasks/{tid}/assign",
                                      data={"assignee_id": str(ours.admin.id)})  # fmt: skip
            assert moved.status_code == 303
            assert (await client.post(f"/tasks/{tid}/explode")).status_code == 404
        with db.owner() as owner:
            row = owner.execute("SELECT assignee_id, status FROM tasks").fetchone()
        assert row == (ours.admin.id, "open")

    async def test_another_practices_task_page_is_not_found(
        self, app: FastAPI, ours: Team, theirs: Team, sessionmaker: SessionMaker
    ) -> None:
        foreign = await open_for(sessionmaker, theirs, "Elsewhere", assignee=theirs.owner.id)
        async with client_for(app) as client:
            await sign_in(client, ours.owner.email)
            assert (await client.get(f"/tasks/{foreign}")).status_code == 404
            assert (await client.post(f"/tasks/{foreign}/resolve")).status_code == 404

    async def test_task_settings_are_validated_and_saved(
        self, app: FastAPI, ours: Team, db: Database
    ) -> None:
        async with client_for(app) as client:
            await sign_in(client, ours.owner.email)
            bad = await client.post("/settings/practice/tasks", data={
                "tasks_contact_id": str(ours.admin.id), "task_escalation_hours": "0",
            })  # fmt: skip
            assert bad.status_code == 422 and 'id="e-task_escalation_hours"' in bad.text
            ok = await client.post("/settings/practice/tasks", data={
                "tasks_contact_id": str(ours.admin.id), "task_escalation_hours": "24",
            })  # fmt: skip
            assert ok.status_code == 303
        with db.owner() as owner:
            row = owner.execute(
                "SELECT settings->>'tasks_contact_id', settings->>'task_escalation_hours'"
                " FROM practices WHERE id = %s", (ours.practice.id,),
            ).fetchone()  # fmt: skip
        assert row == (str(ours.admin.id), "24")
        async with client_for(app) as client:
            await sign_in(client, ours.provider.email)
            refused = await client.post("/settings/practice/tasks",
                                        data={"task_escalation_hours": "5"})  # fmt: skip
            assert refused.status_code == 403
