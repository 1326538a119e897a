"""What staff change on an open intake (issue 8 §5), each a row change plus the outbox
signal (services.intake.signal), so it works while the worker is down:

- resend: a new invitation for a recipient who has not finished (the workflow emails a
  fresh 7-day link; the older one is revoked then);
- add an item: to one recipient or to everyone; a recipient who had finished is no longer
  complete, and is sent a new invitation so they know;
- remove an item that is not done yet (a done one stays in the record); removing a
  recipient's last outstanding item completes them;
- cancel the intake.

Closing the case or a participant leaving it ends the open intake (`case_changed`, called
by services.cases).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from models.orm.case import Case
from models.orm.intake import (
    EndReason,
    IntakeItem,
    IntakeRecipient,
    IntakeRequest,
    IntakeStatus,
    ItemStatus,
)
from services import library
from services.intake import signal
from services.intake.items import settle
from services.intake.process import end, ending_reason
from services.intake.requests import generated_bodies, new_item
from services.practices import get_practice


async def open_for_change(
    uow: UnitOfWork, case_id: uuid.UUID, request_id: uuid.UUID
) -> IntakeRequest:
    request: IntakeRequest | None = await uow.session.scalar(
        select(IntakeRequest)
        .where(
            IntakeRequest.practice_id == uow.practice_id,
            IntakeRequest.case_id == case_id,
            IntakeRequest.id == request_id,
        )
        .with_for_update()
    )
    if request is None:
        raise NotFound("No such intake")
    if request.status != IntakeStatus.open:
        raise InvalidInput(
            "This intake is closed",
            field_errors={"intake": "This intake is no longer open: send a new one instead."},
        )
    return request


async def _recipient(
    uow: UnitOfWork, request: IntakeRequest, recipient_id: uuid.UUID
) -> IntakeRecipient:
    recipient: IntakeRecipient | None = await uow.session.scalar(
        select(IntakeRecipient).where(
            IntakeRecipient.practice_id == uow.practice_id,
            IntakeRecipient.request_id == request.id,
            IntakeRecipient.id == recipient_id,
        )
    )
    if recipient is None:
        raise NotFound("No such recipient")
    return recipient


async def resend(
    uow: UnitOfWork, request: IntakeRequest, recipient_id: uuid.UUID, now: datetime
) -> None:
    recipient = await _recipient(uow, request, recipient_id)
    if recipient.completed_at is not None:
        raise InvalidInput(
            "Already complete", field_errors={"intake": "They have completed everything already."}
        )
    recipient.invite_requested_at = now
    await uow.session.flush()
    await signal.rows_changed(uow, request)


async def add_item(
    uow: UnitOfWork,
    request: IntakeRequest,
    library_item_id: uuid.UUID,
    recipient_id: uuid.UUID | None,
    now: datetime,
) -> int:
    """Adds the item's latest published version; returns to how many recipients."""
    item = await library.get_item(uow, library_item_id)
    version = await library.latest_published(uow, item)
    if version is None or not item.shareable or not item.active:
        raise InvalidInput(
            "Not ready to send",
            field_errors={
                "item_id": f"“{item.staff_name}” is not published or not shared with clients."
            },
        )
    recipients = (
        [await _recipient(uow, request, recipient_id)]
        if recipient_id is not None
        else list(
            await uow.session.scalars(
                select(IntakeRecipient).where(
                    IntakeRecipient.practice_id == uow.practice_id,
                    IntakeRecipient.request_id == request.id,
                )
            )
        )
    )
    have = set(
        await uow.session.scalars(
            select(IntakeItem.recipient_id).where(
                IntakeItem.practice_id == uow.practice_id,
                IntakeItem.request_id == request.id,
                IntakeItem.library_item_id == item.id,
                IntakeItem.status != ItemStatus.removed,
            )
        )
    )
    case = await uow.session.get(Case, request.case_id)
    assert case is not None
    today = now.astimezone(ZoneInfo((await get_practice(uow)).timezone)).date()
    fresh = [r for r in recipients if r.id not in have]
    if not fresh:
        raise InvalidInput(
            "Already there",
            field_errors={"item_id": f"“{item.staff_name}” is already in this intake."},
        )
    last = await uow.session.scalar(
        select(func.coalesce(func.max(IntakeItem.position), -1)).where(
            IntakeItem.practice_id == uow.practice_id, IntakeItem.request_id == request.id
        )
    )
    assert uow.practice_id is not None
    for recipient in fresh:
        bodies = await generated_bodies(uow, case, [(item, version.id)], today, recipient.person_id)
        row = new_item(
            request, recipient, item.id, version.id, int(last or 0) + 1, bodies.get(item.id)
        )
        row.updated_at = now
        uow.session.add(row)
        if recipient.completed_at is not None:
            recipient.invite_requested_at = now  # they had finished: tell them there is more
        await uow.session.flush()
        await settle(uow, request, recipient, now)
    await signal.rows_changed(uow, request)
    return len(fresh)


async def remove_item(
    uow: UnitOfWork, request: IntakeRequest, item_id: uuid.UUID, now: datetime
) -> None:
    item = await uow.session.scalar(
        select(IntakeItem).where(
            IntakeItem.practice_id == uow.practice_id,
            IntakeItem.request_id == request.id,
            IntakeItem.id == item_id,
            IntakeItem.status != ItemStatus.removed,
        )
    )
    if item is None:
        raise NotFound("No such item")
    if item.status == ItemStatus.done:
        raise InvalidInput(
            "Already completed",
            field_errors={"intake": "That one is completed: it stays in the record."},
        )
    item.status, item.removed_at, item.updated_at = ItemStatus.removed, now, now
    await settle(uow, request, await _recipient(uow, request, item.recipient_id), now)
    await signal.rows_changed(uow, request)


async def cancel(uow: UnitOfWork, request: IntakeRequest, now: datetime) -> None:
    end(request, EndReason.cancelled, now)
    await uow.session.flush()
    await signal.rows_changed(uow, request)


async def case_changed(uow: UnitOfWork, case_id: uuid.UUID, now: datetime) -> None:
    """The case closed or a participant left: its open intake ends if it can no longer
    complete (the workflow then closes its tasks)."""
    request = await uow.session.scalar(
        select(IntakeRequest)
        .where(
            IntakeRequest.practice_id == uow.practice_id,
            IntakeRequest.case_id == case_id,
            IntakeRequest.status == IntakeStatus.open,
        )
        .with_for_update()
    )
    if request is None:
        return
    await uow.session.flush()
    reason = await ending_reason(uow, request)
    if reason is None:
        return
    end(request, reason, now)
    await uow.session.flush()
    await signal.rows_changed(uow, request)
