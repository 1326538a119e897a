"""Draining a practice's mail outbox: one message per short transaction, so a crash in
the middle of a batch keeps what was sent marked as sent. Bodies holding one-time links
are removed once the message is delivered or given up."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from core.db import SessionMaker, unit_of_work
from models.contracts.mail import DrainResult
from models.orm.mail import MailStatus, OutboundMail
from services.mail.smtp import PermanentMailError, TransientMailError

MAX_ATTEMPTS = 8
# Messages whose body is a key to an account (one-time links): once delivered or given up,
# the body is removed, so the database and its backups do not keep working links.
ONE_TIME_LINK_TEMPLATES = frozenset({"staff_invitation", "password_reset"})
REMOVED = "[Removed after delivery: this message held a one-time link.]"
Send = Callable[[OutboundMail], Awaitable[None]]


def retry_delay(attempts: int) -> timedelta:
    return min(timedelta(hours=1), timedelta(seconds=30 * 2 ** max(0, attempts - 1)))


async def drain(
    sessionmaker: SessionMaker, practice_id: uuid.UUID, send: Send | None, *, batch: int = 50
) -> DrainResult:
    if send is None:
        return DrainResult(delivering=False)
    sent = failed = 0
    for _ in range(batch):
        now = datetime.now(UTC)
        async with unit_of_work(sessionmaker, practice_id) as uow:
            mail = await uow.session.scalar(
                select(OutboundMail)
                .where(
                    OutboundMail.practice_id == practice_id,
                    OutboundMail.status == MailStatus.pending,
                    OutboundMail.next_attempt_at <= now,
                )
                .order_by(OutboundMail.next_attempt_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if mail is None:
                break
            mail.attempts += 1
            try:
                await send(mail)
            except PermanentMailError as exc:
                mail.status, mail.last_error_code = MailStatus.failed, exc.code
                failed += 1
            except TransientMailError as exc:
                mail.last_error_code = exc.code
                if mail.attempts >= MAX_ATTEMPTS:
                    mail.status = MailStatus.failed
                    failed += 1
                else:
                    mail.next_attempt_at = now + retry_delay(mail.attempts)
            else:
                mail.status, mail.sent_at, mail.last_error_code = MailStatus.sent, now, None
                sent += 1
            if mail.status != MailStatus.pending and mail.template in ONE_TIME_LINK_TEMPLATES:
                mail.body_text, mail.body_html = REMOVED, None
    now = datetime.now(UTC)
    async with unit_of_work(sessionmaker, practice_id) as uow:
        pending = OutboundMail.status == MailStatus.pending
        mine = OutboundMail.practice_id == practice_id
        due = await uow.session.scalar(
            select(func.count()).where(mine, pending, OutboundMail.next_attempt_at <= now)
        )
        later = await uow.session.scalar(
            select(func.min(OutboundMail.next_attempt_at)).where(
                mine, pending, OutboundMail.next_attempt_at > now
            )
        )
    return DrainResult(
        delivering=True, sent=sent, failed=failed, remaining_now=int(due or 0), next_retry_at=later
    )
