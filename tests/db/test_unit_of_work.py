"""The unit of work: the practice holds for its whole life; hooks run only after a commit."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select, text

from core.db import SessionMaker, open_unit
from models.orm.practice import Practice
from tests.fixtures.factories import make_practice


async def visible_practices(uow_session: object) -> int:
    return int(await uow_session.scalar(select(func.count()).select_from(Practice)))  # type: ignore[attr-defined]


class TestPracticeScope:
    async def test_the_practice_holds_across_transactions(self, sessionmaker: SessionMaker) -> None:
        a = await make_practice(sessionmaker)
        await make_practice(sessionmaker)
        uow = await open_unit(sessionmaker, a.id)
        try:
            assert await visible_practices(uow.session) == 1
            await uow.commit()
            # a new transaction on the same unit is still scoped to A
            assert await visible_practices(uow.session) == 1
            await uow.set_practice(None)
            assert await visible_practices(uow.session) == 0
        finally:
            await uow.close()

    async def test_a_pooled_connection_keeps_no_practice(self, sessionmaker: SessionMaker) -> None:
        a = await make_practice(sessionmaker)
        uow = await open_unit(sessionmaker, a.id)
        await visible_practices(uow.session)
        await uow.commit()
        await uow.close()
        async with sessionmaker() as session:  # the same pooled connection, most likely
            setting = await session.scalar(text("SELECT current_setting('app.practice_id', true)"))
            assert setting in ("", None)
            assert await visible_practices(session) == 0


class TestAfterCommit:
    async def test_hooks_run_after_a_successful_commit_only(
        self, sessionmaker: SessionMaker
    ) -> None:
        ran: list[str] = []

        async def hook() -> None:
            ran.append("relayed")

        uow = await open_unit(sessionmaker)
        uow.after_commit(hook)
        await uow.rollback()
        await uow.commit()
        assert ran == []  # dropped by the rollback
        uow.after_commit(hook)
        assert ran == []
        await uow.commit()
        assert ran == ["relayed"]
        await uow.close()

    async def test_a_failing_hook_does_not_undo_the_commit(
        self, sessionmaker: SessionMaker, caplog: pytest.LogCaptureFixture
    ) -> None:
        async def broken() -> None:
            raise ConnectionError("temporal is down")

        later: list[int] = []

        async def fine() -> None:
            later.append(1)

        uow = await open_unit(sessionmaker)
        uow.after_commit(broken)
        uow.after_commit(fine)
        with caplog.at_level(logging.ERROR):
            await uow.commit()
        await uow.close()
        assert uow.committed
        assert later == [1]  # the next hook still ran
        assert "sweeper will retry" in caplog.text
