from __future__ import annotations

import pytest

from core.db import SessionMaker, open_unit
from core.errors import InvalidInput, NotFound
from services.mail.outbox import queue_mail, recent_mail
from tests.fixtures.factories import make_practice

CONTEXT = {"practice_name": "Harbor Therapy", "app_url": "https://app.example"}


class TestQueueMail:
    async def test_a_message_is_rendered_and_stored_pending(
        self, sessionmaker: SessionMaker
    ) -> None:
        practice = await make_practice(sessionmaker)
        uow = await open_unit(sessionmaker, practice.id)
        await queue_mail(
            uow,
            recipient="owner@example.com",
            template="practice_ready",
            context=CONTEXT,
            idempotency_key="k1",
        )
        await uow.commit()
        [message] = await recent_mail(uow)
        await uow.close()
        assert message.status == "pending"
        assert message.subject == "Your practice is ready on PracticeRunner"
        assert "Harbor Therapy" in message.body_text
        assert "https://app.example" in message.body_text
        assert message.body_html is not None
        assert 'href="https://app.example"' in message.body_html

    async def test_the_same_key_twice_queues_one_message(self, sessionmaker: SessionMaker) -> None:
        practice = await make_practice(sessionmaker)
        uow = await open_unit(sessionmaker, practice.id)
        first = await queue_mail(
            uow,
            recipient="a@example.com",
            template="practice_ready",
            context=CONTEXT,
            idempotency_key="same",
        )
        second = await queue_mail(
            uow,
            recipient="a@example.com",
            template="practice_ready",
            context=CONTEXT,
            idempotency_key="same",
        )
        await uow.commit()
        assert first == second
        assert len(await recent_mail(uow)) == 1
        await uow.close()

    async def test_html_bodies_escape_what_they_are_given(self, sessionmaker: SessionMaker) -> None:
        practice = await make_practice(sessionmaker)
        uow = await open_unit(sessionmaker, practice.id)
        await queue_mail(
            uow,
            recipient="a@example.com",
            template="practice_ready",
            context={**CONTEXT, "practice_name": "<script>x</script>"},
            idempotency_key="x",
        )
        [message] = await recent_mail(uow)
        await uow.close()
        assert message.body_html is not None
        assert "<script>" not in message.body_html

    @pytest.mark.parametrize(
        ("recipient", "template", "error"),
        [
            ("nobody", "practice_ready", InvalidInput),
            ("a@example.com", "no_such_template", InvalidInput),
        ],
    )
    async def test_bad_requests_are_refused(
        self, sessionmaker: SessionMaker, recipient: str, template: str, error: type[Exception]
    ) -> None:
        practice = await make_practice(sessionmaker)
        uow = await open_unit(sessionmaker, practice.id)
        with pytest.raises(error):
            await queue_mail(
                uow, recipient=recipient, template=template, context=CONTEXT, idempotency_key="k"
            )
        await uow.close()

    async def test_no_practice_no_mail(self, sessionmaker: SessionMaker) -> None:
        uow = await open_unit(sessionmaker)
        with pytest.raises(NotFound):
            await queue_mail(
                uow,
                recipient="a@example.com",
                template="practice_ready",
                context=CONTEXT,
                idempotency_key="k",
            )
        await uow.close()
