"""Overdue tasks that people opened: one reminder to the assignee, then one escalation.

- A task a *person* opened, still open, whose due time is at or before the sweep's
  `as_of`, gets one reminder to its (active) assignee.
- Once it is overdue by the practice's escalation delay (Settings → Practice → Tasks), each
  active owner other than the assignee is told once.
- Tasks a workflow opened are left to their workflow (it follows them up itself); they
  are only counted (`owned_skipped`).

What was sent is a `task_alerts` row, unique per (task, kind, recipient, due time),
inserted with ON CONFLICT DO NOTHING in the same transaction as the emails: a repeated
sweep or an overlapping one finds the rows and sends nothing again; a rolled-back attempt
leaves neither. Recorded alerts are skipped first by a per-task probe of the unique index
(a scalar subquery, so no stale statistics can turn it into a join over every alert):
that is the steady state of a sweep every 15 minutes. Emails are one per recipient per
run, with a count and a link — no task title, no client, nothing clinical (ARCHITECTURE
§6). A changed due time is a new deadline: the assignee is reminded again when it passes.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, text

from core.db import UnitOfWork
from models.orm.staff import StaffMember
from services.attention.context import CheckContext
from services.mail.outbox import queue_mail
from services.practice_settings import settings_of

REMIND = text(
    """
    WITH sent AS (
      INSERT INTO task_alerts (practice_id, task_id, kind, recipient_id, due_at, sweep_run_id)
      SELECT t.practice_id, t.id, 'reminder', t.assignee_id, t.due_at, :run
      FROM tasks t
      WHERE t.practice_id = :p AND t.status = 'open' AND t.opened_by_workflow_id IS NULL
        AND t.due_at IS NOT NULL AND t.due_at <= :until
        AND EXISTS (SELECT 1 FROM staff_members s WHERE s.practice_id = t.practice_id
                    AND s.id = t.assignee_id AND s.status = 'active')
        AND (SELECT 1 FROM task_alerts a WHERE a.practice_id = t.practice_id
             AND a.task_id = t.id AND a.kind = 'reminder'
             AND a.recipient_id = t.assignee_id AND a.due_at = t.due_at LIMIT 1) IS NULL
      ON CONFLICT DO NOTHING
      RETURNING recipient_id
    )
    SELECT recipient_id, count(*) FROM sent GROUP BY recipient_id
    """
)

ESCALATE = text(
    """
    WITH sent AS (
      INSERT INTO task_alerts (practice_id, task_id, kind, recipient_id, due_at, sweep_run_id)
      SELECT t.practice_id, t.id, 'escalation', o.id, t.due_at, :run
      FROM tasks t
      JOIN staff_members o ON o.practice_id = t.practice_id AND o.role = 'owner'
        AND o.status = 'active' AND o.id <> t.assignee_id
      WHERE t.practice_id = :p AND t.status = 'open' AND t.opened_by_workflow_id IS NULL
        AND t.due_at IS NOT NULL AND t.due_at <= :until
        AND (SELECT 1 FROM task_alerts a WHERE a.practice_id = t.practice_id
             AND a.task_id = t.id AND a.kind = 'escalation'
             AND a.recipient_id = o.id AND a.due_at = t.due_at LIMIT 1) IS NULL
      ON CONFLICT DO NOTHING
      RETURNING recipient_id, task_id
    )
    SELECT recipient_id, count(*), (SELECT count(DISTINCT task_id) FROM sent) FROM sent
    GROUP BY recipient_id
    """
)

OWNED = text(
    """
    SELECT count(*) FROM tasks t
    WHERE t.practice_id = :p AND t.status = 'open' AND t.opened_by_workflow_id IS NOT NULL
      AND t.sort_due <= :until
    """
)


def humanize(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} day" if days == 1 else f"{days} days"
    return f"{hours} hour" if hours == 1 else f"{hours} hours"


async def _emails(uow: UnitOfWork, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await uow.session.execute(
        select(StaffMember.id, StaffMember.email).where(
            StaffMember.practice_id == uow.practice_id, StaffMember.id.in_(ids)
        )
    )
    return {r[0]: r[1] for r in rows}


async def run(uow: UnitOfWork, ctx: CheckContext) -> dict[str, int]:
    practice = ctx.practice
    hours = settings_of(practice).task_escalation_hours
    delay = humanize(hours)
    base = ctx.app_base_url.rstrip("/")
    p = {"p": practice.id, "run": ctx.run_id}
    reminded = (await uow.session.execute(REMIND, {**p, "until": ctx.as_of})).all()
    escalated = (
        await uow.session.execute(ESCALATE, {**p, "until": ctx.as_of - timedelta(hours=hours)})
    ).all()
    emails = await _emails(uow, [r[0] for r in reminded] + [r[0] for r in escalated])
    for recipient, count in reminded:
        await queue_mail(
            uow, recipient=emails[recipient], template="task_reminder",
            context={"practice_name": practice.name, "count": count, "delay": delay,
                     "link": f"{base}/tasks?who=mine&overdue=1"},
            idempotency_key=f"task-reminder:{ctx.run_id}:{recipient}",
        )  # fmt: skip
    for recipient, count, _ in escalated:
        await queue_mail(
            uow, recipient=emails[recipient], template="task_escalation",
            context={"practice_name": practice.name, "count": count, "delay": delay,
                     "link": f"{base}/tasks?who=everyone&overdue=1"},
            idempotency_key=f"task-escalation:{ctx.run_id}:{recipient}",
        )  # fmt: skip
    owned = await uow.session.scalar(OWNED, {"p": practice.id, "until": ctx.as_of})
    return {
        "reminded": sum(int(r[1]) for r in reminded),
        "reminder_emails": len(reminded),
        "escalated": int(escalated[0][2]) if escalated else 0,
        "escalation_emails": len(escalated),
        "owned_skipped": int(owned or 0),
    }
