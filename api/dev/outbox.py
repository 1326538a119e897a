"""Development only: the mail outbox viewer (there is no SMTP on a laptop).

Not mounted when ENVIRONMENT=production. It spans every practice of the installation,
so it walks them through the cross-practice id lookup and reads each one's messages
under row-level security with that practice set — the app role never sees two at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import Audit, Uow
from api.routing import AppRoute
from api.templating import templates
from core.errors import NotFound
from core.settings import LOOPBACK_HOSTS
from models.orm.mail import OutboundMail
from services import cross_practice
from services.mail.outbox import recent_mail
from services.practices import get_practice


def loopback_only(request: Request) -> None:
    host = request.client.host if request.client else ""
    if host not in LOOPBACK_HOSTS:
        raise NotFound("Not found")


router = APIRouter(route_class=AppRoute, prefix="/dev", dependencies=[Depends(loopback_only)])

PER_PRACTICE = 50


@dataclass
class PracticeMail:
    practice_name: str
    link_name: str
    timezone: str
    messages: list[OutboundMail]


@router.get("/outbox", name="dev.mail_outbox.view", include_in_schema=False)
async def mail_outbox(request: Request, uow: Uow, audit: Audit) -> Response:
    sections: list[PracticeMail] = []
    shown: list[UUID] = []
    for practice_id in await cross_practice.all_practice_ids(uow.session):
        await uow.set_practice(practice_id)
        practice = await get_practice(uow)
        messages = await recent_mail(uow, limit=PER_PRACTICE)
        shown.extend(m.id for m in messages)
        sections.append(
            PracticeMail(practice.name, practice.link_name, practice.timezone, messages)
        )
    await uow.set_practice(None)
    audit.subject("mail_message", shown)
    return templates.TemplateResponse(
        request, "dev/outbox.html", {"sections": sections, "total": len(shown)}
    )
