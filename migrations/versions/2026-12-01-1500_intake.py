"""Intake requests and their checklist (issue 8 §4): the packet a case's participants
complete in the portal, kept as rows the staff pages, the portal and the
IntakeOnboarding workflow read.

Revision ID: 0011_intake
Revises: 0010_portal
Create Date: 2026-12-01 15:00:00

- intake_requests: one per packet sent to a case (at most one open per case), with its
  deadline and reminder days (the practice's settings when it was sent).
- intake_recipients: one per participant the packet is for, with the portal account that
  completes it (the person, or their representative) and when it was completed.
- intake_items: one per recipient and library item, pinned to the version that was
  published when it was sent. The portal saves what was typed (`answers`, drafts too,
  so nothing is lost), the scores on submit, an acknowledgement, or a signature — the
  typed name, the time, the IP and the SHA-256 of the exact version signed.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_intake"
down_revision: str | Sequence[str] | None = "0010_portal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_POLICY = "practice_id = current_practice_id()"


def _tenant_rls(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({TENANT_POLICY}) WITH CHECK ({TENANT_POLICY})"
    )


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE intake_requests (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL REFERENCES practices (id),
          case_id uuid NOT NULL,
          status text NOT NULL DEFAULT 'open',
          deadline_at timestamptz NOT NULL,
          reminder_days integer[] NOT NULL DEFAULT '{2,5}',
          created_by_staff_id uuid,
          created_at timestamptz NOT NULL DEFAULT now(),
          completed_at timestamptz,
          closed_at timestamptz,
          CONSTRAINT pk_intake_requests PRIMARY KEY (id),
          CONSTRAINT uq_intake_requests_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_intake_requests_case
            FOREIGN KEY (practice_id, case_id) REFERENCES cases (practice_id, id),
          CONSTRAINT ck_intake_requests_status
            CHECK (status IN ('open', 'completed', 'cancelled', 'ended'))
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_intake_requests_open ON intake_requests (practice_id, case_id)"
        " WHERE status = 'open'"
    )
    _tenant_rls("intake_requests")
    op.execute("GRANT SELECT, INSERT, UPDATE ON intake_requests TO pr_app")
    op.execute(
        """
        CREATE TABLE intake_recipients (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          request_id uuid NOT NULL,
          person_id uuid NOT NULL,
          account_id uuid NOT NULL,
          scope text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          completed_at timestamptz,
          CONSTRAINT pk_intake_recipients PRIMARY KEY (id),
          CONSTRAINT uq_intake_recipients_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_intake_recipients_person UNIQUE (practice_id, request_id, person_id),
          CONSTRAINT fk_intake_recipients_request
            FOREIGN KEY (practice_id, request_id) REFERENCES intake_requests (practice_id, id),
          CONSTRAINT fk_intake_recipients_person
            FOREIGN KEY (practice_id, person_id) REFERENCES people (practice_id, id),
          CONSTRAINT fk_intake_recipients_account
            FOREIGN KEY (practice_id, account_id) REFERENCES portal_accounts (practice_id, id)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_intake_recipients_account ON intake_recipients (practice_id, account_id)"
    )
    _tenant_rls("intake_recipients")
    op.execute("GRANT SELECT, INSERT, UPDATE ON intake_recipients TO pr_app")
    op.execute(
        """
        CREATE TABLE intake_items (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          request_id uuid NOT NULL,
          recipient_id uuid NOT NULL,
          library_item_id uuid NOT NULL,
          version_id uuid NOT NULL,
          position integer NOT NULL,
          status text NOT NULL DEFAULT 'pending',
          answers jsonb NOT NULL DEFAULT '{}'::jsonb,
          scores jsonb,
          submitted_at timestamptz,
          acknowledged_at timestamptz,
          signed_name text,
          signed_at timestamptz,
          signed_ip text,
          signed_sha256 bytea,
          updated_at timestamptz NOT NULL DEFAULT now(),
          removed_at timestamptz,
          CONSTRAINT pk_intake_items PRIMARY KEY (id),
          CONSTRAINT uq_intake_items_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_intake_items_recipient
            FOREIGN KEY (practice_id, recipient_id) REFERENCES intake_recipients (practice_id, id),
          CONSTRAINT fk_intake_items_version
            FOREIGN KEY (practice_id, version_id) REFERENCES library_versions (practice_id, id),
          CONSTRAINT ck_intake_items_status
            CHECK (status IN ('pending', 'draft', 'done', 'removed')),
          CONSTRAINT ck_intake_items_signed
            CHECK (signed_at IS NULL OR (signed_name IS NOT NULL AND signed_sha256 IS NOT NULL))
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_intake_items_live ON intake_items"
        " (practice_id, recipient_id, library_item_id) WHERE status <> 'removed'"
    )
    op.execute("CREATE INDEX ix_intake_items_request ON intake_items (practice_id, request_id)")
    _tenant_rls("intake_items")
    op.execute("GRANT SELECT, INSERT, UPDATE ON intake_items TO pr_app")


def downgrade() -> None:
    for table in ("intake_items", "intake_recipients", "intake_requests"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
