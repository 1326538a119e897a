"""Draining a practice's mail outbox.

Each message is first *leased* in its own short transaction (attempts + 1, held for
`LEASE` from other drains), then sent, then marked in another: a crash after the SMTP
server's OK cannot roll the attempt count back, so a message is never resent without
limit (at most MAX_ATTEMPTS; the Message-ID stays the same, so a resend is recognisable).
A message that cannot even be built fails for good instead of blocking the queue. A
server that refuses *us* (connection, TLS, credentials, sender) pauses the drain without
blaming any message. Bodies holding one-time links are removed once the message is
delivered or given up. The drain stops after a time budget and reports progress, so the
activity can heartbeat and stay well inside its timeout.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from core.db import SessionMaker, unit_of_work
from models.contracts.mail import DrainResult
from models.orm.mail import MailStatus, OutboundMail
from services.mail.smtp import MailSetupError, PermanentMailError, TransientMailError

MAX_ATTEMPTS = 12  # backoff 30 s doubling to 1 h: about half a day of retries
LEASE = timedelta(minutes=5)
SETUP_RETRY = timedelta(minutes=2)
BUDGET_SECONDS = 40.0
# Messages whose body is a key to an account (one-time links): once delivered or given up,
# the body is removed, so the database and its backups do not keep working links.
ONE_TIME_LINK_TEMPLATES = frozenset({"staff_invitation", "password_reset"})
REMOVED = "[Removed after delivery: this message held a one-time link.]"

Send = Callable[[OutboundMail], Awaitable[None]]
Progress = Callable[[], None]


def retry_delay(attempts: int) -> timedelta:
    return min(timedelta(hours=1), timedelta(seconds=30 * 2 ** max(0, attempts - 1)))


def _give_up(mail: OutboundMail, code: str | None) -> None:
    mail.status = MailStatus.failed
    mail.last_error_code = code
    if mail.template in ONE_TIME_LINK_TEMPLATES:
        mail.body_text, mail.body_html = REMOVED, None


async def _lease(sessionmaker: SessionMaker, practice_id: uuid.UUID) -> OutboundMail | None:
    """The next due message, its attempt counted and committed before it is sent. One whose
    attempts are used up (earlier tries died before they could be marked) is given up."""
    while True:
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
                return None
            if mail.attempts >= MAX_ATTEMPTS:
                _give_up(mail, mail.last_error_code or "gave_up")
                continue
            mail.attempts += 1
            mail.next_attempt_at = now + LEASE
            return mail


async def _settle(
    sessionmaker: SessionMaker, mail: OutboundMail, outcome: str, code: str | None
) -> None:
    now = datetime.now(UTC)
    async with unit_of_work(sessionmaker, mail.practice_id) as uow:
        row = await uow.session.scalar(
            select(OutboundMail)
            .where(OutboundMail.practice_id == mail.practice_id, OutboundMail.id == mail.id)
            .with_for_update()
        )
        if row is None or row.status != MailStatus.pending:
            return
        row.last_error_code = code
        if outcome == "sent":
            row.status, row.sent_at = MailStatus.sent, now
            if row.template in ONE_TIME_LINK_TEMPLATES:
                row.body_text, row.body_html = REMOVED, None
        elif outcome == "failed" or (outcome == "retry" and row.attempts >= MAX_ATTEMPTS):
            _give_up(row, code)
        elif outcome == "setup":
            row.attempts -= 1  # not this message's fault
            row.next_attempt_at = now + SETUP_RETRY
        else:
            row.next_attempt_at = now + retry_delay(row.attempts)


async def drain(
    sessionmaker: SessionMaker,
    practice_id: uuid.UUID,
    send: Send | None,
    *,
    batch: int = 50,
    progress: Progress | None = None,
    budget_seconds: float = BUDGET_SECONDS,
) -> DrainResult:
    if send is None:
        return DrainResult(delivering=False)
    sent = failed = 0
    started = time.monotonic()
    for _ in range(batch):
        if time.monotonic() - started > budget_seconds:
            break
        mail = await _lease(sessionmaker, practice_id)
        if mail is None:
            break
        try:
            await send(mail)
        except PermanentMailError as exc:
            await _settle(sessionmaker, mail, "failed", exc.code)
            failed += 1
        except MailSetupError as exc:
            await _settle(sessionmaker, mail, "setup", exc.code)
            break  # the server refuses us: stop here, retry later
        except TransientMailError as exc:
            await _settle(sessionmaker, mail, "retry", exc.code)
        except Exception as exc:  # anything else: this message waits, the queue goes on
            await _settle(sessionmaker, mail, "retry", type(exc).__name__)
        else:
            await _settle(sessionmaker, mail, "sent", None)
            sent += 1
        if progress is not None:
            progress()
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
    retry_in = later - now if later is not None else None
    return DrainResult(
        delivering=True, sent=sent, failed=failed, remaining_now=int(due or 0), retry_in=retry_in
    )
