"""The mail outbox: messages are rendered and stored here; delivery drains it.

Templates live in `services/mail/templates/<name>.{subject,txt,html}` and receive only
generic context (practice name, times, links): emails name no person and carry no
clinical detail (ARCHITECTURE §6). Queuing is idempotent per (practice, key).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from models.contracts.common import TaskQueue
from models.contracts.mail import MAIL_DISPATCH_WORKFLOW, MAIL_QUEUED_SIGNAL, mail_dispatch_id
from models.orm.mail import MailStatus, OutboundMail
from services.email_address import normalise_email
from services.outbox import commands

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def render(template: str, context: Mapping[str, Any]) -> tuple[str, str, str | None]:
    if not (TEMPLATES / f"{template}.subject").exists():
        raise InvalidInput(f"Unknown mail template {template!r}")
    subject = _env.get_template(f"{template}.subject").render(context).strip()
    body_text = _env.get_template(f"{template}.txt").render(context)
    html_path = TEMPLATES / f"{template}.html"
    body_html = (
        _env.get_template(f"{template}.html").render(context) if html_path.exists() else None
    )
    return subject, body_text, body_html


async def queue_mail(
    uow: UnitOfWork,
    *,
    recipient: str,
    template: str,
    context: Mapping[str, Any],
    idempotency_key: str,
    created_by_staff_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Store a rendered message; the same key twice keeps the first. Returns its id."""
    if uow.practice_id is None:
        raise NotFound("No practice selected")
    recipient = normalise_email(recipient)
    subject, body_text, body_html = render(template, context)
    stmt = (
        insert(OutboundMail)
        .values(
            id=uuid.uuid4(),
            practice_id=uow.practice_id,
            recipient=recipient,
            template=template,
            subject=subject,
            body_text=body_text,
            body_html=body_html,
            idempotency_key=idempotency_key,
            status=MailStatus.pending,
            created_by_staff_id=created_by_staff_id,
        )
        .on_conflict_do_nothing(index_elements=["practice_id", "idempotency_key"])
        .returning(OutboundMail.id)
    )
    new_id = (await uow.session.execute(stmt)).scalar_one_or_none()
    if new_id is not None:
        # Wake the practice's dispatcher (it drains the outbox; without SMTP it does nothing).
        await commands.signal_with_start(
            uow,
            workflow_type=MAIL_DISPATCH_WORKFLOW,
            workflow_id=mail_dispatch_id(uow.practice_id),
            task_queue=TaskQueue.default,
            args={"practice_id": str(uow.practice_id)},
            signal_name=MAIL_QUEUED_SIGNAL,
            subject_type="practice",
            subject_id=uow.practice_id,
        )
        return new_id
    existing = await uow.session.scalar(
        select(OutboundMail.id).where(
            OutboundMail.practice_id == uow.practice_id,
            OutboundMail.idempotency_key == idempotency_key,
        )
    )
    if existing is None:  # cannot happen: the conflicting row is in this practice (RLS)
        raise NotFound("Queued message not found")
    return existing


async def recent_mail(uow: UnitOfWork, *, limit: int = 50) -> list[OutboundMail]:
    if uow.practice_id is None:
        raise NotFound("No practice selected")
    result = await uow.session.scalars(
        select(OutboundMail)
        .where(OutboundMail.practice_id == uow.practice_id)
        .order_by(OutboundMail.created_at.desc(), OutboundMail.id)
        .limit(limit)
    )
    return list(result)
