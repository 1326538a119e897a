"""Mail delivery through a real SMTP server (aiosmtpd): sent once, retried when the
server says "later", recorded as failed when it says "never"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from core.db import SessionMaker, open_unit
from models.contracts.mail import mail_dispatch_id
from services.mail.dispatch import drain
from services.mail.outbox import queue_mail
from services.mail.smtp import SmtpSender, parse_smtp_url
from services.outbox.relay import OutboxRelay
from tests.fixtures.db import Database
from tests.fixtures.factories import PracticeRef, make_practice
from tests.fixtures.smtp import SmtpServer
from tests.fixtures.temporal import FixedClient
from worker import Deps, build_registrations, build_workers

CONTEXT = {"practice_name": "Harbor Therapy", "app_url": "https://app.example"}


@pytest.fixture
async def practice(sessionmaker: SessionMaker, db: Database) -> PracticeRef:
    created = await make_practice(sessionmaker)
    with db.owner() as owner:
        owner.execute(
            "UPDATE workflow_outbox SET status = 'sent' WHERE practice_id = %s", (created.id,)
        )
    return created


async def queue(
    sessionmaker: SessionMaker, practice: PracticeRef, key: str, to: str = "ana@x.example"
) -> None:
    uow = await open_unit(sessionmaker, practice.id)
    await queue_mail(
        uow, recipient=to, template="practice_ready", context=CONTEXT, idempotency_key=key
    )
    await uow.commit()
    await uow.close()


def status(db: Database, practice: PracticeRef) -> list[tuple[object, ...]]:
    with db.owner() as owner:
        return owner.execute(
            "SELECT status, attempts, last_error_code FROM mail_outbox WHERE practice_id = %s ORDER BY created_at",
            (practice.id,),
        ).fetchall()


def sender(server: SmtpServer) -> SmtpSender:
    return SmtpSender(parse_smtp_url(server.url), "PracticeRunner <no-reply@x.example>")


class TestDrain:
    async def test_a_message_is_delivered_once(
        self,
        sessionmaker: SessionMaker,
        db: Database,
        practice: PracticeRef,
        smtp_server: SmtpServer,
    ) -> None:
        await queue(sessionmaker, practice, "k1")
        first = await drain(sessionmaker, practice.id, sender(smtp_server).send)
        again = await drain(sessionmaker, practice.id, sender(smtp_server).send)
        assert (first.sent, again.sent) == (1, 0)
        [message] = smtp_server.mailbox.messages
        assert message["To"] == "ana@x.example"
        assert message["Subject"] == "Your practice is ready on PracticeRunner"
        assert message["Message-ID"].endswith("@practicerunner.mail>")
        assert status(db, practice) == [("sent", 1, None)]

    async def test_later_means_retry_and_never_means_failed(
        self,
        sessionmaker: SessionMaker,
        db: Database,
        practice: PracticeRef,
        smtp_server: SmtpServer,
    ) -> None:
        await queue(sessionmaker, practice, "later", to="busy@x.example")
        smtp_server.mailbox.refusals = [451]
        result = await drain(sessionmaker, practice.id, sender(smtp_server).send)
        assert (result.sent, result.remaining_now) == (0, 0)
        assert result.next_retry_at is not None
        assert status(db, practice) == [("pending", 1, "smtp_451")]
        with db.owner() as owner:  # the retry time comes
            owner.execute(
                "UPDATE mail_outbox SET next_attempt_at = now() WHERE practice_id = %s",
                (practice.id,),
            )
        assert (await drain(sessionmaker, practice.id, sender(smtp_server).send)).sent == 1
        assert len(smtp_server.mailbox.messages) == 1
        await queue(sessionmaker, practice, "never", to="gone@x.example")
        smtp_server.mailbox.refusals = [550]
        failed = await drain(sessionmaker, practice.id, sender(smtp_server).send)
        assert failed.failed == 1
        assert status(db, practice)[-1] == ("failed", 1, "smtp_550")

    async def test_a_delivered_one_time_link_does_not_stay_in_the_database(
        self,
        sessionmaker: SessionMaker,
        db: Database,
        practice: PracticeRef,
        smtp_server: SmtpServer,
    ) -> None:
        uow = await open_unit(sessionmaker, practice.id)
        await queue_mail(uow, recipient="ana@x.example", template="password_reset",
                         context={"practice_name": "P", "link": "https://x/password/reset/SECRET-TOKEN",
                                  "minutes": 60}, idempotency_key="reset")  # fmt: skip
        await uow.commit()
        await uow.close()
        await drain(sessionmaker, practice.id, sender(smtp_server).send)
        [message] = smtp_server.mailbox.messages
        assert "SECRET-TOKEN" in message.as_string()  # the person got it
        with db.owner() as owner:
            body = owner.execute(
                "SELECT body_text, body_html FROM mail_outbox WHERE template = 'password_reset'"
            ).fetchone()
        assert body is not None
        assert "SECRET-TOKEN" not in body[0]
        assert body[1] is None

    async def test_without_smtp_the_outbox_keeps_the_mail(
        self, sessionmaker: SessionMaker, db: Database, practice: PracticeRef
    ) -> None:
        await queue(sessionmaker, practice, "dev")
        result = await drain(sessionmaker, practice.id, None)
        assert result.delivering is False
        assert status(db, practice) == [("pending", 0, None)]

    def test_smtp_urls(self) -> None:
        assert parse_smtp_url("smtp://u:p%40ss@mail.example:587").tls == "starttls"
        assert parse_smtp_url("smtp://u:p%40ss@mail.example:587").password == "p@ss"
        assert parse_smtp_url("smtps://mail.example").port == 465
        assert parse_smtp_url("smtp://mail.example:25?tls=none").tls == "none"
        with pytest.raises(ValueError, match="smtp://"):
            parse_smtp_url("http://mail.example")


async def test_queued_mail_wakes_the_dispatcher_which_delivers_it(
    ts_env: WorkflowEnvironment,
    sessionmaker: SessionMaker,
    db: Database,
    practice: PracticeRef,
    smtp_server: SmtpServer,
) -> None:
    relay = OutboxRelay(FixedClient(ts_env.client), sessionmaker)
    deps = Deps(sessionmaker, relay.relay, sender(smtp_server).send, "https://app.example")
    workers = build_workers(ts_env.client, build_registrations(deps))
    async with workers[0]:
        await queue(sessionmaker, practice, "w1")
        await queue(sessionmaker, practice, "w2", to="lee@x.example")
        assert await relay.sweep() == 2  # two signal-with-start commands, one workflow
        handle = ts_env.client.get_workflow_handle(mail_dispatch_id(practice.id))
        run_id = (await handle.describe()).run_id
        await ts_env.sleep(timedelta(minutes=11))  # past the idle wait: it finishes
        state = await ts_env.client.get_workflow_handle(
            mail_dispatch_id(practice.id), run_id=run_id
        ).result()
    assert state["sent"] == 2
    assert sorted(m["To"] for m in smtp_server.mailbox.messages) == [
        "ana@x.example",
        "lee@x.example",
    ]
    assert [s[0] for s in status(db, practice)] == ["sent", "sent"]
