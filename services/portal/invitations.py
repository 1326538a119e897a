"""Staff open the portal for a participant of a case: grants (services.portal.access),
then an invitation link per recipient (7 days, confirm the date of birth) sent through
the mail outbox with generic text — the practice's name and the link, no client name,
nothing clinical. Sending again sends a new link and revokes the old one (a locked or
lost invitation is fixed this way)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from core.db import UnitOfWork
from models.orm.case import Case
from models.orm.portal import PortalLinkPurpose
from services.mail.outbox import queue_mail
from services.portal import access, links
from services.practices import get_practice


@dataclass(frozen=True)
class Sent:
    recipients: int
    scopes: tuple[str, ...]


def invitation_url(base_url: str, link_name: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/portal/{link_name}/invitation/{token}"


async def invite_participant(
    uow: UnitOfWork,
    case: Case,
    person_id: uuid.UUID,
    *,
    staff_id: uuid.UUID,
    today: date,
    now: datetime,
    age_of_consent: int,
    base_url: str,
) -> Sent:
    participant = await access.current_participant(uow, case.id, person_id)
    practice = await get_practice(uow)
    recipients = await access.invite(
        uow, participant, today=today, age_of_consent=age_of_consent, staff_id=staff_id
    )
    for r in recipients:
        token = await links.issue(
            uow,
            account_id=r.account.id,
            purpose=PortalLinkPurpose.invitation,
            now=now,
            confirm_person_id=r.person.id,
            staff_id=staff_id,
        )
        await queue_mail(
            uow,
            recipient=r.account.email,
            template="portal_invitation",
            context={
                "practice_name": practice.name,
                "link": invitation_url(base_url, practice.link_name, token),
            },
            idempotency_key=f"portal-invitation:{uuid.uuid4()}",
            created_by_staff_id=staff_id,
        )
    return Sent(len(recipients), tuple(r.scope.value for r in recipients))
