"""Mail delivery through a real SMTP server (aiosmtpd): sent once, retried when the
server says "later", recorded as failed when it says "never"."""

from __future__ import annotations

import asyncio
import contextlib
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
from tests.fixtures.factories import PracticeRef
from tests.fixtures.smtp import SmtpServer
from tests.fixtures.temporal import FixedClient
from worker import Deps, build_registrations, build_workers

CONTEXT = {"practice_name": "Harbor Therapy", "app_url": "https://app.example"}


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
        assert result.retry_in is not None
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


class TestHardCases:
    async def test_a_refused_sender_blames_no_message(
        self,
        sessionmaker: SessionMaker,
        db: Database,
        practice: PracticeRef,
        smtp_server: SmtpServer,
    ) -> None:
        await queue(sessionmaker, practice, "a")
        await queue(sessionmaker, practice, "b", to="b@x.example")
        smtp_server.mailbox.refuse_sender = 530  # our credentials, not the messages
        result = await drain(sessionmaker, practice.id, sender(smtp_server).send)
        assert (result.sent, result.failed) == (0, 0)
        assert [s[:2] for s in status(db, practice)] == [("pending", 0), ("pending", 0)]
        assert status(db, practice)[0][2] == "smtp_530"

    async def test_a_crash_after_sending_cannot_resend_forever(
        self,
        sessionmaker: SessionMaker,
        db: Database,
        practice: PracticeRef,
        smtp_server: SmtpServer,
    ) -> None:
        from services.mail import dispatch

        await queue(sessionmaker, practice, "crash")
        sends = 0

        async def send_then_crash(mail: object) -> None:
            nonlocal sends
            sends += 1
            await sender(smtp_server).send(mail)  # type: ignore[arg-type]
            raise asyncio.CancelledError  # the worker dies before it marks the message

        for _ in range(dispatch.MAX_ATTEMPTS + 3):
            with contextlib.suppress(asyncio.CancelledError):
                await drain(sessionmaker, practice.id, send_then_crash)
            with db.owner() as owner:  # the lease runs out
                owner.execute(
                    "UPDATE mail_outbox SET next_attempt_at = now() WHERE practice_id = %s AND status = 'pending'",
                    (practice.id,),
                )
        assert sends == dispatch.MAX_ATTEMPTS  # every attempt was counted before sending
        await drain(sessionmaker, practice.id, sender(smtp_server).send)
        assert status(db, practice)[0][:2] == ("failed", dispatch.MAX_ATTEMPTS)  # given up

    async def test_two_drains_at_once_send_each_message_once(
        self,
        sessionmaker: SessionMaker,
        db: Database,
        practice: PracticeRef,
        smtp_server: SmtpServer,
    ) -> None:
        for n in range(6):
            await queue(sessionmaker, practice, f"m{n}", to=f"p{n}@x.example")
        results = await asyncio.gather(
            drain(sessionmaker, practice.id, sender(smtp_server).send),
            drain(sessionmaker, practice.id, sender(smtp_server).send),
        )
        assert sum(r.sent for r in results) == 6
        assert sorted(m["To"] for m in smtp_server.mailbox.messages) == [
            f"p{n}@x.example" for n in range(6)
        ]

    async def test_a_message_that_cannot_be_written_does_not_block_the_queue(
        self,
        sessionmaker: SessionMaker,
        db: Database,
        practice: PracticeRef,
        smtp_server: SmtpServer,
    ) -> None:
        await queue(sessionmaker, practice, "bad")
        await queue(sessionmaker, practice, "good", to="good@x.example")
        with db.owner() as owner:  # a subject no mail header can carry
            owner.execute(
                "UPDATE mail_outbox SET subject = 'line\nbreak' WHERE idempotency_key = 'bad'"
            )
        result = await drain(sessionmaker, practice.id, sender(smtp_server).send)
        assert (result.sent, result.failed) == (1, 1)
        assert [m["To"] for m in smtp_server.mailbox.messages] == ["good@x.example"]
        assert status(db, practice)[0] == ("failed", 1, "unbuildable_ValueError")


async def test_the_dispatcher_waits_for_a_retry_and_then_delivers(
    ts_env: WorkflowEnvironment,
    sessionmaker: SessionMaker,
    db: Database,
    practice: PracticeRef,
    smtp_server: SmtpServer,
) -> None:
    relay = OutboxRelay(FixedClient(ts_env.client), sessionmaker)
    deps = Deps(sessionmaker, relay.relay, sender(smtp_server).send, "https://app.example")
    workers = build_workers(ts_env.client, build_registrations(deps))
    smtp_server.mailbox.refusals = [451]
    async with workers[0]:
        await queue(sessionmaker, practice, "later")
        await relay.sweep()
        handle = ts_env.client.get_workflow_handle(mail_dispatch_id(practice.id))
        run_id = (await handle.describe()).run_id
        await ts_env.sleep(timedelta(seconds=5))
        assert smtp_server.mailbox.messages == []
        assert status(db, practice)[0][:2] == ("pending", 1)
        with db.owner() as owner:  # the database's clock reaches the retry time too
            owner.execute(
                "UPDATE mail_outbox SET next_attempt_at = now() WHERE practice_id = %s",
                (practice.id,),
            )
        await ts_env.sleep(timedelta(seconds=40))  # the workflow's 30 s retry timer fires
        assert len(smtp_server.mailbox.messages) == 1
        await ts_env.sleep(timedelta(minutes=20))  # then the idle wait ends the run
        state = await ts_env.client.get_workflow_handle(
            mail_dispatch_id(practice.id), run_id=run_id
        ).result()
    assert state["sent"] == 1
    assert status(db, practice) == [("sent", 2, None)]
    with db.owner() as owner:
        run = owner.execute("SELECT status, step FROM workflow_runs WHERE workflow_id = %s",
                            (mail_dispatch_id(practice.id),)).fetchone()  # fmt: skip
    assert run == ("completed", "idle")
