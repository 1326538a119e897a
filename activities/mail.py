from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity

from core.db import SessionMaker
from models.contracts.mail import DrainResult, MailQueued
from services.mail.dispatch import Send, drain


@dataclass(frozen=True)
class MailActivities:
    sessionmaker: SessionMaker
    send: Send | None  # None without SMTP_URL: mail stays in the outbox (development)

    @activity.defn
    async def drain_mail(self, inp: MailQueued) -> DrainResult:
        """Send what is due for one practice; idempotent (re-reads the outbox rows)."""
        return await drain(
            self.sessionmaker, inp.practice_id, self.send, progress=activity.heartbeat
        )
