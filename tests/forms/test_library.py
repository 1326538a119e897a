"""The practice library in Postgres: a new practice has the shipped forms and documents
(version 1, published, hashed); editing works on one draft, refused when the definition
is bad; publishing makes the next version; a published version never changes; another
practice's item is a 404."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from core.db import SessionMaker, unit_of_work
from core.errors import InvalidInput, NotFound
from services import library
from tests.fixtures.db import Database
from tests.fixtures.factories import Team, make_practice

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


async def test_a_new_practice_has_the_shipped_library(db: Database, ours: Team) -> None:
    with db.owner() as owner:
        rows = owner.execute(
            "SELECT i.key, i.kind, i.include_in_intake, v.version, v.published_at IS NOT NULL,"
            " length(v.content_sha256), v.requires FROM library_items i"
            " JOIN library_versions v ON v.item_id = i.id WHERE i.practice_id = %s ORDER BY i.key",
            (ours.practice.id,),
        ).fetchall()
    assert [(r[0], r[1], r[2], r[6]) for r in rows] == [
        ("consent_to_treatment", "form", True, "none"),
        ("demographics", "form", True, "none"),
        ("gad7", "form", True, "none"),
        ("good_faith_estimate", "document", False, "acknowledgement"),
        ("phq9", "form", True, "none"),
        ("practice_policies", "document", True, "acknowledgement"),
        ("privacy_notice", "document", True, "acknowledgement"),
        ("release_of_information", "form", False, "none"),
    ]
    assert {(r[3], r[4], r[5]) for r in rows} == {(1, True, 32)}


async def test_edit_a_draft_publish_the_next_version(
    sessionmaker: SessionMaker, ours: Team, db: Database
) -> None:
    async with unit_of_work(sessionmaker, ours.practice.id) as uow:
        gad = next(i for i in await library.items(uow) if i.key == "gad7")
        draft = await library.open_draft(uow, gad, ours.owner.id)
        again = await library.open_draft(uow, gad, ours.owner.id)
        assert again.id == draft.id and draft.version == 2  # one draft per item
        assert draft.definition is not None
        bad = {**draft.definition, "sections": [{"title": "S", "questions": [
            {"key": "q", "type": "single_choice", "label": "Pick"}]}]}  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            await library.save_form(uow, gad, draft, bad)
        assert refused.value.field_errors == {
            "sections[0].questions[0].options": "A choice needs at least two options."
        }
        changed = {**draft.definition, "title": "GAD-7 (2026 wording)"}
        await library.save_form(uow, gad, draft, changed)
        first = await library.latest_published(uow, gad)
        assert first is not None and first.version == 1
        number = await library.publish(uow, gad, draft, NOW)
        latest = await library.latest_published(uow, gad)
    assert number == 2 and latest is not None and latest.definition is not None
    assert latest.definition["title"] == "GAD-7 (2026 wording)"
    assert latest.content_sha256 != first.content_sha256
    # nothing can change a published version, not even the owner
    with db.owner() as owner, pytest.raises(Exception, match="never changed"):
        owner.execute("UPDATE library_versions SET body_markdown = 'x' WHERE version = 1")


async def test_a_document_needs_text_or_a_pdf_and_knows_what_it_requires(
    sessionmaker: SessionMaker, ours: Team
) -> None:
    async with unit_of_work(sessionmaker, ours.practice.id) as uow:
        policies = next(i for i in await library.items(uow) if i.key == "practice_policies")
        draft = await library.open_draft(uow, policies, ours.owner.id)
        with pytest.raises(InvalidInput) as refused:
            await library.save_document(uow, policies, draft, body="  ", requires="stamp")
    assert refused.value.field_errors == {
        "requires": "Nothing, an acknowledgement or a signature.",
        "body_markdown": "Write the document, or attach a PDF.",
    }


async def test_another_practices_item_is_not_found(sessionmaker: SessionMaker, ours: Team) -> None:
    other = await make_practice(sessionmaker)
    async with unit_of_work(sessionmaker, other.id) as uow:
        theirs = (await library.items(uow))[0].id
    async with unit_of_work(sessionmaker, ours.practice.id) as uow:
        with pytest.raises(NotFound):
            await library.get_item(uow, theirs)
        with pytest.raises(NotFound):
            await library.get_item(uow, uuid.uuid4())


async def test_installing_again_adds_nothing(sessionmaker: SessionMaker, ours: Team) -> None:
    async with unit_of_work(sessionmaker, ours.practice.id) as uow:
        assert await library.install_starter(uow, NOW) == 0
