"""Transactional outbox for Temporal commands, workflow_runs, mail retries, blob store.

Revision ID: 0003_outbox_runs_blobs
Revises: 0002_staff_identity
Create Date: 2026-11-25 17:00:00

- workflow_outbox: a domain change and its Temporal command commit together; the unit of
  work relays the row right after commit and a sweeper retries leftovers. Relays are
  idempotent (business workflow ids with explicit conflict and reuse policies).
- workflow_runs: one row per business workflow id (the latest run): what staff pages and
  lists read instead of asking Temporal; activities write each step and the final status.
- mail_outbox gets a retry time; delivery drains it (MailDispatch).
- blobs + blob_chunks: files in Postgres behind the BlobStore protocol (size cap, SHA-256,
  streamed in 256 KiB chunks).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_outbox_runs_blobs"
down_revision: str | Sequence[str] | None = "0002_staff_identity"
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
        CREATE TABLE workflow_outbox (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          command text NOT NULL,
          workflow_type text NOT NULL,
          workflow_id text NOT NULL,
          task_queue text NOT NULL,
          args jsonb NOT NULL DEFAULT '{}'::jsonb,
          signal_name text,
          id_conflict_policy text NOT NULL DEFAULT 'USE_EXISTING',
          id_reuse_policy text NOT NULL DEFAULT 'ALLOW_DUPLICATE',
          case_id uuid,
          subject_type text,
          subject_id uuid,
          status text NOT NULL DEFAULT 'pending',
          attempts integer NOT NULL DEFAULT 0,
          last_error_code text,
          next_attempt_at timestamptz NOT NULL DEFAULT now(),
          created_at timestamptz NOT NULL DEFAULT now(),
          sent_at timestamptz,
          CONSTRAINT pk_workflow_outbox PRIMARY KEY (id),
          CONSTRAINT uq_workflow_outbox_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_workflow_outbox_practice_id_practices
            FOREIGN KEY (practice_id) REFERENCES practices (id),
          CONSTRAINT ck_workflow_outbox_command_known
            CHECK (command IN ('start', 'signal', 'signal_with_start', 'cancel')),
          CONSTRAINT ck_workflow_outbox_status_known CHECK (status IN ('pending', 'sent', 'failed')),
          CONSTRAINT ck_workflow_outbox_signal_named
            CHECK (command NOT IN ('signal', 'signal_with_start') OR signal_name IS NOT NULL)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_workflow_outbox_due ON workflow_outbox (next_attempt_at)"
        " WHERE status = 'pending'"
    )
    _tenant_rls("workflow_outbox")
    op.execute("GRANT SELECT, INSERT, UPDATE ON workflow_outbox TO pr_app")

    op.execute(
        """
        CREATE TABLE workflow_runs (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          workflow_id text NOT NULL,
          workflow_type text NOT NULL,
          run_id text,
          subject_type text,
          subject_id uuid,
          status text NOT NULL,
          step text,
          started_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          closed_at timestamptz,
          CONSTRAINT pk_workflow_runs PRIMARY KEY (id),
          CONSTRAINT uq_workflow_runs_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_workflow_runs_practice_id_workflow_id UNIQUE (practice_id, workflow_id),
          CONSTRAINT fk_workflow_runs_practice_id_practices
            FOREIGN KEY (practice_id) REFERENCES practices (id),
          CONSTRAINT ck_workflow_runs_status_known
            CHECK (status IN ('running', 'completed', 'failed', 'cancelled'))
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_workflow_runs_subject ON workflow_runs (practice_id, subject_type, subject_id)"
    )
    _tenant_rls("workflow_runs")
    op.execute("GRANT SELECT, INSERT, UPDATE ON workflow_runs TO pr_app")

    op.execute(
        "ALTER TABLE mail_outbox ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now()"
    )
    op.execute("DROP INDEX ix_mail_outbox_pending")
    op.execute(
        "CREATE INDEX ix_mail_outbox_pending ON mail_outbox (practice_id, next_attempt_at)"
        " WHERE status = 'pending'"
    )

    op.execute(
        """
        CREATE TABLE blobs (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          filename text NOT NULL,
          content_type text NOT NULL,
          size_bytes bigint NOT NULL,
          sha256 bytea NOT NULL,
          created_by_staff_id uuid,
          created_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_blobs PRIMARY KEY (id),
          CONSTRAINT uq_blobs_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_blobs_practice_id_practices
            FOREIGN KEY (practice_id) REFERENCES practices (id),
          CONSTRAINT fk_blobs_created_by_staff
            FOREIGN KEY (practice_id, created_by_staff_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT ck_blobs_size_positive CHECK (size_bytes >= 0),
          CONSTRAINT ck_blobs_filename_length CHECK (char_length(filename) BETWEEN 1 AND 255)
        )
        """
    )
    _tenant_rls("blobs")
    op.execute("GRANT SELECT, INSERT, DELETE ON blobs TO pr_app")
    op.execute(
        """
        CREATE TABLE blob_chunks (
          practice_id uuid NOT NULL,
          blob_id uuid NOT NULL,
          seq integer NOT NULL,
          data bytea NOT NULL,
          CONSTRAINT pk_blob_chunks PRIMARY KEY (blob_id, seq),
          CONSTRAINT fk_blob_chunks_blob
            FOREIGN KEY (practice_id, blob_id) REFERENCES blobs (practice_id, id) ON DELETE CASCADE
        )
        """
    )
    _tenant_rls("blob_chunks")
    op.execute("GRANT SELECT, INSERT, DELETE ON blob_chunks TO pr_app")

    # The sweeper looks across practices for due commands: ids only.
    op.execute(
        """
        CREATE FUNCTION xp_outbox_due(p_now timestamptz, p_limit integer)
        RETURNS TABLE(practice_id uuid, command_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
        AS $$ SELECT practice_id, id FROM workflow_outbox
              WHERE status = 'pending' AND next_attempt_at <= p_now
              ORDER BY next_attempt_at LIMIT p_limit $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION xp_outbox_due(timestamptz, integer) FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION xp_outbox_due(timestamptz, integer) TO pr_app")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS xp_outbox_due(timestamptz, integer)")
    op.execute("DROP TABLE IF EXISTS blob_chunks")
    op.execute("DROP TABLE IF EXISTS blobs")
    op.execute("DROP INDEX IF EXISTS ix_mail_outbox_pending")
    op.execute("ALTER TABLE mail_outbox DROP COLUMN IF EXISTS next_attempt_at")
    op.execute(
        "CREATE INDEX ix_mail_outbox_pending ON mail_outbox (created_at) WHERE status = 'pending'"
    )
    op.execute("DROP TABLE IF EXISTS workflow_runs")
    op.execute("DROP TABLE IF EXISTS workflow_outbox")
