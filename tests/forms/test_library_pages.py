"""Settings → Documents & forms in the browser's shoes (HTTP): the shipped library is
listed; a form is edited on a draft (a bad question or bad JSON is refused beside the
field and changes nothing), published as the next version; a document's Markdown is
previewed inert and a PDF attached (not a PDF: refused); who may open it."""

from __future__ import annotations

import uuid

from fastapi import FastAPI

from core.db import SessionMaker, unit_of_work
from services import library
from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.db import Database
from tests.fixtures.factories import Team, make_practice
from tests.scheduling.test_calendar_pages import texts


def item_id(db: Database, practice_id: uuid.UUID, key: str) -> str:
    with db.owner() as owner:
        row = owner.execute(
            "SELECT id FROM library_items WHERE practice_id = %s AND key = %s", (practice_id, key)
        ).fetchone()
    assert row is not None
    return str(row[0])


def versions(db: Database, item: str) -> list[tuple[int, bool]]:
    with db.owner() as owner:
        return [(r[0], r[1]) for r in owner.execute(
            "SELECT version, published_at IS NOT NULL FROM library_versions WHERE item_id = %s"
            " ORDER BY version", (item,)).fetchall()]  # fmt: skip


async def test_edit_a_form_on_a_draft_and_publish_it(
    app: FastAPI, ours: Team, db: Database
) -> None:
    demographics = item_id(db, ours.practice.id, "demographics")
    url = f"/settings/library/{demographics}"
    async with client_for(app) as client:
        await sign_in(client, ours.owner.email)
        listing = texts((await client.get("/settings/library")).text)
        no_options = await client.post(f"{url}/questions", data={
            "section": "0", "type": "single_choice", "label": "Preferred session time"})  # fmt: skip
        untouched = versions(db, demographics)
        added = await client.post(f"{url}/questions", data={
            "section": "0", "type": "single_choice", "label": "Preferred session time",
            "options": "Mornings\nAfternoons\nevening | Evenings", "required": "on"})  # fmt: skip
        drafted = versions(db, demographics)
        page = (await client.get(url)).text
        duplicate = await client.post(f"{url}/questions", data={
            "section": "0", "type": "short_text", "label": "Again", "key": "pronouns"})  # fmt: skip
        not_json = await client.post(f"{url}/json", data={"definition": "{nope"})
        moved = await client.post(f"{url}/questions/preferred_session_time/up")
        published = await client.post(f"{url}/publish")
        again = await client.post(f"{url}/publish")
        after = texts((await client.get(url)).text)
    assert "Demographics intake intake About you Form Intake v1" in listing
    assert "PHQ-9 (depression)" in listing and "Good Faith Estimate (self-pay)" in listing
    assert no_options.status_code == 422
    assert "A choice needs at least two options." in texts(no_options.text)
    assert untouched == [(1, True)]  # a refused change opens no draft
    assert added.status_code == 303 and drafted == [(1, True), (2, False)]
    assert 'name="preferred_session_time" value="evening"' in page  # the preview
    assert duplicate.status_code == 422 and "The key pronouns is used twice" in texts(
        duplicate.text
    )
    assert not_json.status_code == 422 and "Not JSON" in texts(not_json.text)
    assert 'value="{nope"' in not_json.text or "{nope</textarea>" in not_json.text  # kept
    assert moved.status_code == 303
    assert published.status_code == 303 and versions(db, demographics) == [(1, True), (2, True)]
    assert again.status_code == 422  # nothing left to publish
    assert "version 2 published" in after and "Preferred session time" in after


async def test_documents_render_inert_and_take_only_a_pdf(
    app: FastAPI, ours: Team, db: Database
) -> None:
    policies = item_id(db, ours.practice.id, "practice_policies")
    url = f"/settings/library/{policies}"
    body = (
        "# Fees\n\n<script>alert('x')</script> [pay](javascript:alert(1)) **Due** at the session."
    )
    async with client_for(app) as client:
        await sign_in(client, ours.owner.email)
        saved = await client.post(f"{url}/document", data={"body_markdown": body,
                                                           "requires": "signature"})  # fmt: skip
        page = (await client.get(url)).text
        not_pdf = await client.post(
            f"{url}/pdf", files={"file": ("fees.pdf", b"just text", "application/pdf")}
        )
        pdf = await client.post(
            f"{url}/pdf", files={"file": ("fees.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")}
        )
        with_pdf = texts((await client.get(url)).text)
        empty = await client.post(f"{url}/document", data={"body_markdown": "", "requires": "none"})
        removed = await client.post(f"{url}/pdf", data={"remove": "1"})
        published = await client.post(f"{url}/publish")
    assert saved.status_code == 303
    preview = page.split("(as clients see it)")[1]
    assert "<script>alert" not in preview and "&lt;script&gt;" in preview
    assert 'href="javascript' not in preview and "<strong>Due</strong>" in preview
    assert not_pdf.status_code == 422 and "Attach a PDF file." in texts(not_pdf.text)
    assert pdf.status_code == 303 and "Attached: fees.pdf" in with_pdf
    assert empty.status_code == 303  # a PDF document may have no preamble
    assert removed.status_code == 303
    assert published.status_code == 422  # no text and no PDF: nothing to sign
    assert "Write the document, or attach a PDF." in texts(published.text)
    assert versions(db, policies) == [(1, True), (2, False)]


async def test_a_new_form_needs_a_question_before_publishing(
    app: FastAPI, ours: Team, db: Database
) -> None:
    async with client_for(app) as client:
        await sign_in(client, ours.owner.email)
        nameless = await client.post("/settings/library", data={"kind": "form", "staff_name": "",
                                                                "client_title": ""})  # fmt: skip
        made = await client.post("/settings/library", data={
            "kind": "form", "staff_name": "Couples intake", "client_title": "About your relationship"})  # fmt: skip
        url = made.headers["location"]
        early = await client.post(f"{url}/publish")
    assert nameless.status_code == 422 and "Give it a name." in texts(nameless.text)
    assert (
        made.status_code == 303
        and url == f"/settings/library/{item_id(db, ours.practice.id, 'couples_intake')}"
    )
    assert early.status_code == 422 and "Add a question first." in texts(early.text)


async def test_who_may_keep_the_library(
    app: FastAPI, ours: Team, db: Database, sessionmaker: SessionMaker
) -> None:
    other = await make_practice(sessionmaker)
    async with unit_of_work(sessionmaker, other.id) as uow:
        foreign = (await library.items(uow))[0].id
    async with client_for(app) as client:
        await sign_in(client, ours.provider.email)
        provider = await client.get("/settings/library")
    async with client_for(app) as client:
        await sign_in(client, ours.admin.email)
        admin = await client.get("/settings/library")
    async with client_for(app) as client:
        await sign_in(client, ours.owner.email)
        theirs = await client.get(f"/settings/library/{foreign}")
        change = await client.post(f"/settings/library/{foreign}/sections", data={"title": "X"})
    assert provider.status_code == 403 and admin.status_code == 403
    assert theirs.status_code == 404 and change.status_code == 404
