"""Tasks (the Needs-attention queue), what the AttentionSweep sent, per-practice schedules.

Revision ID: 0004_tasks_schedules
Revises: 0003_outbox_runs_blobs
Create Date: 2026-12-01 09:00:00

- tasks: kind, a title without PHI, a polymorphic subject (type, id — no foreign key, by
  design: ARCHITECTURE §6), assignee, due time, status open / done / dismissed, opened by a
  staff member or a workflow, resolution. `business_key` makes creation idempotent per
  practice. `sort_due` (generated: the due time, or 9999-12-31 when there is none — not
  'infinity', which Python cannot hold) orders lists with undated tasks last, so keyset
  pages and the partial indexes below serve the dashboard with 10,000 open tasks.
- task_alerts: one row per reminder or escalation the AttentionSweep sent, unique per
  (task, kind, recipient, due time): overlapping or repeated sweeps insert with
  ON CONFLICT DO NOTHING, so nothing is reminded twice.
- practice_schedules: the registry of each practice's Temporal Schedules as Postgres
  sees them (time zone it was built for, when it was last ensured, the last run's counts).
- workflow_outbox learns the `schedule_upsert` command.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_tasks_schedules"
down_revision: str | Sequence[str] | None = "0003_outbox_runs_blobs"
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
        CREATE TABLE tasks (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          kind text NOT NULL,
          title text NOT NULL,
          subject_type text,
          subject_id uuid,
          assignee_id uuid NOT NULL,
          due_at timestamptz,
          due_all_day boolean NOT NULL DEFAULT false,
          sort_due timestamptz GENERATED ALWAYS AS (coalesce(due_at, '9999-12-31 00:00:00+00'::timestamptz)) STORED,
          status text NOT NULL DEFAULT 'open',
          opened_by_staff_id uuid,
          opened_by_workflow_id text,
          business_key text,
          resolution_note text,
          resolved_at timestamptz,
          resolved_by_staff_id uuid,
          resolved_by_workflow_id text,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_tasks PRIMARY KEY (id),
          CONSTRAINT uq_tasks_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_tasks_practice_id_business_key UNIQUE (practice_id, business_key),
          CONSTRAINT fk_tasks_practice_id_practices
            FOREIGN KEY (practice_id) REFERENCES practices (id),
          CONSTRAINT fk_tasks_assignee
            FOREIGN KEY (practice_id, assignee_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT fk_tasks_opened_by_staff
            FOREIGN KEY (practice_id, opened_by_staff_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT fk_tasks_resolved_by_staff
            FOREIGN KEY (practice_id, resolved_by_staff_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT ck_tasks_kind_format CHECK (kind ~ '^[a-z][a-z_]{1,39}$'),
          CONSTRAINT ck_tasks_title_length CHECK (char_length(title) BETWEEN 1 AND 200),
          CONSTRAINT ck_tasks_status_known CHECK (status IN ('open', 'done', 'dismissed')),
          CONSTRAINT ck_tasks_subject_whole CHECK ((subject_type IS NULL) = (subject_id IS NULL)),
          CONSTRAINT ck_tasks_one_opener
            CHECK (num_nonnulls(opened_by_staff_id, opened_by_workflow_id) = 1),
          CONSTRAINT ck_tasks_resolved_when_closed CHECK ((status = 'open') = (resolved_at IS NULL)),
          CONSTRAINT ck_tasks_all_day_has_due CHECK (NOT due_all_day OR due_at IS NOT NULL),
          CONSTRAINT ck_tasks_note_length CHECK (char_length(resolution_note) <= 2000),
          CONSTRAINT ck_tasks_business_key_length CHECK (char_length(business_key) BETWEEN 1 AND 200)
        )
        """
    )
    # The dashboard: open tasks of one assignee / of everyone, by due time (keyset pages).
    op.execute(
        "CREATE INDEX ix_tasks_open_assignee ON tasks (practice_id, assignee_id, sort_due, id)"
        " WHERE status = 'open'"
    )
    op.execute(
        "CREATE INDEX ix_tasks_open ON tasks (practice_id, sort_due, id) WHERE status = 'open'"
    )
    op.execute(
        "CREATE INDEX ix_tasks_closed ON tasks (practice_id, resolved_at DESC, id)"
        " WHERE status <> 'open'"
    )
    # Open attention items of one record (the workflow summary of a case or person).
    op.execute(
        "CREATE INDEX ix_tasks_subject ON tasks (practice_id, subject_type, subject_id)"
        " WHERE status = 'open'"
    )
    # The AttentionSweep: people's open tasks that have a due time.
    op.execute(
        "CREATE INDEX ix_tasks_sweep ON tasks (practice_id, due_at)"
        " WHERE status = 'open' AND opened_by_workflow_id IS NULL AND due_at IS NOT NULL"
    )
    _tenant_rls("tasks")
    op.execute("GRANT SELECT, INSERT, UPDATE ON tasks TO pr_app")

    op.execute(
        """
        CREATE TABLE task_alerts (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          task_id uuid NOT NULL,
          kind text NOT NULL,
          recipient_id uuid NOT NULL,
          due_at timestamptz NOT NULL,
          sweep_run_id text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_task_alerts PRIMARY KEY (id),
          CONSTRAINT uq_task_alerts_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_task_alerts_once
            UNIQUE (practice_id, task_id, kind, recipient_id, due_at),
          CONSTRAINT fk_task_alerts_task
            FOREIGN KEY (practice_id, task_id) REFERENCES tasks (practice_id, id),
          CONSTRAINT fk_task_alerts_recipient
            FOREIGN KEY (practice_id, recipient_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT ck_task_alerts_kind_known CHECK (kind IN ('reminder', 'escalation'))
        )
        """
    )
    op.execute("CREATE INDEX ix_task_alerts_run ON task_alerts (practice_id, sweep_run_id)")
    _tenant_rls("task_alerts")
    op.execute("GRANT SELECT, INSERT ON task_alerts TO pr_app")

    op.execute(
        """
        CREATE TABLE practice_schedules (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          key text NOT NULL,
          schedule_id text NOT NULL,
          time_zone text,
          ensured_at timestamptz,
          last_run_workflow_id text,
          last_run_as_of timestamptz,
          last_run_finished_at timestamptz,
          last_counts jsonb NOT NULL DEFAULT '{}'::jsonb,
          created_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_practice_schedules PRIMARY KEY (id),
          CONSTRAINT uq_practice_schedules_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_practice_schedules_practice_id_key UNIQUE (practice_id, key),
          CONSTRAINT fk_practice_schedules_practice_id_practices
            FOREIGN KEY (practice_id) REFERENCES practices (id)
        )
        """
    )
    _tenant_rls("practice_schedules")
    op.execute("GRANT SELECT, INSERT, UPDATE ON practice_schedules TO pr_app")

    op.execute("ALTER TABLE workflow_outbox DROP CONSTRAINT ck_workflow_outbox_command_known")
    op.execute(
        "ALTER TABLE workflow_outbox ADD CONSTRAINT ck_workflow_outbox_command_known CHECK"
        " (command IN ('start', 'signal', 'signal_with_start', 'cancel', 'schedule_upsert'))"
    )


def downgrade() -> None:
    op.execute("DELETE FROM workflow_outbox WHERE command = 'schedule_upsert'")
    op.execute("ALTER TABLE workflow_outbox DROP CONSTRAINT ck_workflow_outbox_command_known")
    op.execute(
        "ALTER TABLE workflow_outbox ADD CONSTRAINT ck_workflow_outbox_command_known CHECK"
        " (command IN ('start', 'signal', 'signal_with_start', 'cancel'))"
    )
    op.execute("DROP TABLE IF EXISTS practice_schedules")
    op.execute("DROP TABLE IF EXISTS task_alerts")
    op.execute("DROP TABLE IF EXISTS tasks")
