"""A series changed "this and following" knows the series that continues it.

Revision ID: 0008_series_continued
Revises: 0007_schedule_trigger
Create Date: 2026-12-01 12:30:00

`appointment_series.continued_by_series_id`: set on the old part when a change splits a
series. The old part's remaining sessions can still be moved or cancelled one by one;
changes to "following" sessions are made on the series that continues it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_series_continued"
down_revision: str | Sequence[str] | None = "0007_schedule_trigger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE appointment_series ADD COLUMN continued_by_series_id uuid")
    op.execute(
        "ALTER TABLE appointment_series ADD CONSTRAINT fk_appointment_series_continued"
        " FOREIGN KEY (practice_id, continued_by_series_id)"
        " REFERENCES appointment_series (practice_id, id)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE appointment_series DROP COLUMN IF EXISTS continued_by_series_id")
