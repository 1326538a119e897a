"""The outbox learns `schedule_trigger`: run a per-practice Schedule now (a nudge).

Revision ID: 0007_schedule_trigger
Revises: 0006_scheduling
Create Date: 2026-12-01 12:00:00

A booking, move or cancellation that writes appointment notices also writes a
`schedule_trigger` for the practice's NoticeDispatch schedule, relayed after commit, so
the notice leaves within seconds; the schedule's ticks catch a lost nudge.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_schedule_trigger"
down_revision: str | Sequence[str] | None = "0006_scheduling"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KNOWN = "'start', 'signal', 'signal_with_start', 'cancel', 'schedule_upsert'"


def upgrade() -> None:
    op.execute("ALTER TABLE workflow_outbox DROP CONSTRAINT ck_workflow_outbox_command_known")
    op.execute(
        "ALTER TABLE workflow_outbox ADD CONSTRAINT ck_workflow_outbox_command_known CHECK"
        f" (command IN ({KNOWN}, 'schedule_trigger'))"
    )


def downgrade() -> None:
    op.execute("DELETE FROM workflow_outbox WHERE command = 'schedule_trigger'")
    op.execute("ALTER TABLE workflow_outbox DROP CONSTRAINT ck_workflow_outbox_command_known")
    op.execute(
        "ALTER TABLE workflow_outbox ADD CONSTRAINT ck_workflow_outbox_command_known CHECK"
        f" (command IN ({KNOWN}))"
    )
