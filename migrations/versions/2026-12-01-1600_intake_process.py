"""What the IntakeOnboarding workflow keeps in the rows it re-reads.

Revision ID: 0012_intake_process
Revises: 0011_intake
Create Date: 2026-12-01 16:00:00

- `intake_recipients.invite_requested_at` / `invited_at`: staff ask for an invitation (the
  send, a resend); the workflow emails it and stamps `invited_at`. An invitation is due
  while `invited_at` is null or older than the request.
- `intake_recipients.reminders_sent` / `reminded_at`: how many reminders went (a retried
  step sends none twice).
- `intake_requests.overdue_at`: the deadline passed and the "Intake overdue" task opened.
- `intake_requests.end_reason`: why an intake ended without completing (cancelled by
  staff, case closed, participant left).
- `intake_items.body_markdown` / `body_sha256`: a generated document as sent for this case
  (the Good Faith Estimate, filled from its services and fees) and the hash of that text.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_intake_process"
down_revision: str | Sequence[str] | None = "0011_intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE intake_recipients"
        " ADD COLUMN invite_requested_at timestamptz NOT NULL DEFAULT now(),"
        " ADD COLUMN invited_at timestamptz,"
        " ADD COLUMN reminders_sent integer NOT NULL DEFAULT 0 CHECK (reminders_sent >= 0),"
        " ADD COLUMN reminded_at timestamptz"
    )
    # Intakes sent before this revision mailed their invitation at sending: not due again.
    op.execute(
        "UPDATE intake_recipients SET invited_at = created_at, invite_requested_at = created_at"
    )
    op.execute(
        "ALTER TABLE intake_requests ADD COLUMN overdue_at timestamptz,"
        " ADD COLUMN end_reason text CHECK (end_reason IN"
        " ('cancelled', 'case_closed', 'participant_left'))"
    )
    op.execute(
        "ALTER TABLE intake_items ADD COLUMN body_markdown text, ADD COLUMN body_sha256 bytea,"
        " ADD CONSTRAINT intake_items_body_hashed CHECK"
        " ((body_markdown IS NULL) = (body_sha256 IS NULL))"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE intake_items DROP COLUMN IF EXISTS body_markdown,"
        " DROP COLUMN IF EXISTS body_sha256"
    )
    op.execute(
        "ALTER TABLE intake_requests DROP COLUMN IF EXISTS overdue_at,"
        " DROP COLUMN IF EXISTS end_reason"
    )
    op.execute(
        "ALTER TABLE intake_recipients DROP COLUMN IF EXISTS invite_requested_at,"
        " DROP COLUMN IF EXISTS invited_at, DROP COLUMN IF EXISTS reminders_sent,"
        " DROP COLUMN IF EXISTS reminded_at"
    )
