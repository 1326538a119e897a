"""Change notices: booked, moved, cancelled — one row per change and recipient, written in
the same transaction as the change, sent once through the mail outbox.

- Recipients: the case's participants on the appointment's day who take reminders by email
  (their reminder preference in the case), have an email address and accept email.
- The text is generic (decisions.md "Reminders"): the practice's name, the date and time
  with the zone named, and a portal link — no personal names, no service, nothing clinical.
- `dispatch_due` sends due rows exactly once (a row is marked sent in the transaction that
  queues its mail, under the mail outbox's idempotency key `notice:<id>`) and skips rows a
  later change made stale: a booking moved a minute later sends only "moved".
- The NoticeDispatch workflow calls it: every change that wrote rows nudges the practice's
  NoticeDispatch schedule through the outbox (one `schedule_trigger` in the change's
  transaction), and the schedule's 5-minute ticks catch a nudge that was lost.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from core.db import UnitOfWork
from models.orm.case import Participant, ReminderPreference
from models.orm.person import Person
from models.orm.practice import Practice
from models.orm.scheduling import Appointment, AppointmentNotice, NoticeKind
from services import schedules
from services.mail.outbox import queue_mail

BATCH = 500


async def record_change(
    uow: UnitOfWork, appointment: Appointment, kind: NoticeKind, tz: str
) -> int:
    """Notice rows for this change (its `sequence`), and a nudge to NoticeDispatch when
    there is anyone to tell; repeated calls add no rows."""
    assert uow.practice_id is not None
    day = appointment.starts_at.astimezone(ZoneInfo(tz)).date()
    people = list(
        await uow.session.scalars(
            select(Person.id)
            .join(
                Participant,
                (Participant.practice_id == Person.practice_id)
                & (Participant.person_id == Person.id),
            )
            .where(
                Participant.practice_id == uow.practice_id,
                Participant.case_id == appointment.case_id,
                Participant.joined_on <= day,
                (Participant.left_on.is_(None)) | (Participant.left_on >= day),
                Participant.reminder_preference == ReminderPreference.email,
                Person.email.is_not(None),
                Person.ok_to_email.is_(True),
            )
        )
    )
    for person_id in people:
        await uow.session.execute(
            insert(AppointmentNotice)
            .values(
                id=uuid.uuid4(),
                practice_id=uow.practice_id,
                appointment_id=appointment.id,
                person_id=person_id,
                kind=kind,
                sequence=appointment.sequence,
            )
            .on_conflict_do_nothing(
                index_elements=["practice_id", "appointment_id", "person_id", "sequence"]
            )
        )
    if people:
        await schedules.nudge(uow, schedules.NOTICE_DISPATCH)
    return len(people)


async def dispatch_due(uow: UnitOfWork, now: datetime, app_base_url: str) -> dict[str, int]:
    """Send what is due (rows locked, SKIP LOCKED: two dispatchers never send one twice)."""
    practice = await uow.session.scalar(select(Practice).where(Practice.id == uow.practice_id))
    if practice is None:
        return {}
    rows = (
        await uow.session.execute(
            select(AppointmentNotice, Appointment, Person.email)
            .join(
                Appointment,
                (Appointment.practice_id == AppointmentNotice.practice_id)
                & (Appointment.id == AppointmentNotice.appointment_id),
            )
            .join(
                Person,
                (Person.practice_id == AppointmentNotice.practice_id)
                & (Person.id == AppointmentNotice.person_id),
            )
            .where(
                AppointmentNotice.practice_id == uow.practice_id,
                AppointmentNotice.sent_at.is_(None),
                AppointmentNotice.skipped_at.is_(None),
            )
            .order_by(AppointmentNotice.created_at, AppointmentNotice.id)
            .limit(BATCH)
            .with_for_update(of=AppointmentNotice, skip_locked=True)
        )
    ).all()
    zone = ZoneInfo(practice.timezone)
    sent = skipped = 0
    link = f"{app_base_url.rstrip('/')}/portal/{practice.link_name}"
    for notice, appointment, email in rows:
        if appointment.sequence > notice.sequence or not email:
            notice.skipped_at = now  # a later change has its own notice (or no address now)
            skipped += 1
            continue
        when = appointment.starts_at.astimezone(zone)
        notice.mail_id = await queue_mail(
            uow,
            recipient=email,
            template="appointment_notice",
            context={
                "practice_name": practice.name,
                "kind": notice.kind,
                "link": link,
                "when": f"{when:%A, %B %-d, %Y at %H:%M} ({practice.timezone}, {when:%Z})",
            },
            idempotency_key=f"notice:{notice.id}",
        )
        notice.sent_at = now
        sent += 1
    await uow.session.flush()
    return {"sent": sent, "stale": skipped}
