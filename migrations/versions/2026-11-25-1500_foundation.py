"""Foundation: practices, staff, mail outbox, audit log; tenancy by row-level security.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-25 15:00:00

Tenancy in depth (ARCHITECTURE §6):
- every tenant table carries practice_id, has UNIQUE (practice_id, id), and is referenced
  by composite foreign keys (practice_id, x_id) so a row can never point into another
  practice;
- row-level security keyed by the transaction-local setting app.practice_id;
- the app connects as a member of the NOLOGIN group role pr_app, which owns nothing;
- the few lookups that must cross practices are SECURITY DEFINER functions named xp_*,
  wrapped in services/cross_practice.py and nowhere else.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0001_foundation"
down_revision: str | Sequence[str] | None = None
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
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pr_app') THEN
            CREATE ROLE pr_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
          END IF;
        END $$
        """
    )
    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    op.execute("GRANT USAGE ON SCHEMA public TO pr_app")
    op.execute("GRANT SELECT ON alembic_version TO pr_app")

    # The practice a transaction runs as; NULL when none is set (then tenant tables
    # show no rows at all). Plain SQL and STABLE, so the planner inlines it and can use
    # indexes on practice_id.
    op.execute(
        """
        CREATE FUNCTION current_practice_id() RETURNS uuid
        LANGUAGE sql STABLE PARALLEL SAFE
        AS $$ SELECT NULLIF(current_setting('app.practice_id', true), '')::uuid $$
        """
    )

    op.execute(
        """
        CREATE TABLE practices (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          name text NOT NULL,
          link_name varchar(63) NOT NULL,
          timezone text NOT NULL,
          plan_tier text NOT NULL DEFAULT 'group',
          settings jsonb NOT NULL DEFAULT '{}'::jsonb,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_practices PRIMARY KEY (id),
          CONSTRAINT uq_practices_link_name UNIQUE (link_name),
          CONSTRAINT ck_practices_link_name_format CHECK (link_name ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
          CONSTRAINT ck_practices_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
          CONSTRAINT ck_practices_plan_tier_known CHECK (plan_tier IN ('solo', 'group'))
        )
        """
    )
    op.execute("ALTER TABLE practices ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON practices "
        "USING (id = current_practice_id()) WITH CHECK (id = current_practice_id())"
    )
    op.execute("GRANT SELECT, INSERT, UPDATE ON practices TO pr_app")

    op.execute(
        """
        CREATE TABLE staff_members (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          email text NOT NULL,
          display_name text NOT NULL,
          role text NOT NULL,
          status text NOT NULL DEFAULT 'invited',
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_staff_members PRIMARY KEY (id),
          CONSTRAINT uq_staff_members_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_staff_members_practice_id_practices
            FOREIGN KEY (practice_id) REFERENCES practices (id) ON DELETE RESTRICT,
          CONSTRAINT ck_staff_members_role_known
            CHECK (role IN ('owner', 'provider', 'associate', 'admin')),
          CONSTRAINT ck_staff_members_status_known
            CHECK (status IN ('invited', 'active', 'deactivated')),
          CONSTRAINT ck_staff_members_display_name_length
            CHECK (char_length(display_name) BETWEEN 1 AND 200)
        )
        """
    )
    op.execute("CREATE UNIQUE INDEX uq_staff_members_email ON staff_members (lower(email))")
    _tenant_rls("staff_members")
    op.execute("GRANT SELECT, INSERT, UPDATE ON staff_members TO pr_app")

    op.execute(
        """
        CREATE TABLE mail_outbox (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          recipient text NOT NULL,
          template text NOT NULL,
          subject text NOT NULL,
          body_text text NOT NULL,
          body_html text,
          idempotency_key text NOT NULL,
          status text NOT NULL DEFAULT 'pending',
          attempts integer NOT NULL DEFAULT 0,
          last_error_code text,
          created_by_staff_id uuid,
          sent_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_mail_outbox PRIMARY KEY (id),
          CONSTRAINT uq_mail_outbox_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_mail_outbox_practice_id_idempotency_key UNIQUE (practice_id, idempotency_key),
          CONSTRAINT fk_mail_outbox_practice_id_practices
            FOREIGN KEY (practice_id) REFERENCES practices (id) ON DELETE RESTRICT,
          CONSTRAINT fk_mail_outbox_created_by_staff
            FOREIGN KEY (practice_id, created_by_staff_id)
            REFERENCES staff_members (practice_id, id),
          CONSTRAINT ck_mail_outbox_status_known CHECK (status IN ('pending', 'sent', 'failed'))
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_mail_outbox_pending ON mail_outbox (created_at) WHERE status = 'pending'"
    )
    op.execute(
        "CREATE INDEX ix_mail_outbox_practice_created ON mail_outbox (practice_id, created_at DESC)"
    )
    _tenant_rls("mail_outbox")
    op.execute("GRANT SELECT, INSERT, UPDATE ON mail_outbox TO pr_app")

    _audit_log()
    _cross_practice_lookups()


def _audit_log() -> None:
    op.execute(
        """
        CREATE TABLE audit_events (
          occurred_at timestamptz NOT NULL DEFAULT now(),
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid,
          request_id text NOT NULL,
          actor_type text NOT NULL,
          actor_id uuid,
          acting_for_id uuid,
          action text NOT NULL,
          subject_type text,
          subject_ids uuid[] NOT NULL DEFAULT '{}',
          outcome text NOT NULL,
          status_code smallint,
          ip inet,
          CONSTRAINT pk_audit_events PRIMARY KEY (occurred_at, id),
          CONSTRAINT ck_audit_events_outcome_known
            CHECK (outcome IN ('success', 'denied', 'rejected', 'failed')),
          CONSTRAINT ck_audit_events_actor_type_known
            CHECK (actor_type IN ('anonymous', 'staff', 'portal', 'system'))
        ) PARTITION BY RANGE (occurred_at)
        """
    )
    op.execute("CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT")
    op.execute(
        "CREATE INDEX ix_audit_events_occurred_brin ON audit_events USING brin (occurred_at)"
    )
    op.execute(
        "CREATE INDEX ix_audit_events_practice_time ON audit_events (practice_id, occurred_at DESC)"
    )
    # Rows without a practice (unauthenticated requests) are written with none set.
    op.execute("ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY audit_read ON audit_events FOR SELECT USING (practice_id = current_practice_id())"
    )
    op.execute(
        "CREATE POLICY audit_append ON audit_events FOR INSERT "
        "WITH CHECK (practice_id IS NOT DISTINCT FROM current_practice_id())"
    )
    op.execute("GRANT SELECT, INSERT ON audit_events TO pr_app")

    # Append-only for everybody, the owner included; only the maintenance functions
    # below (owner-only) may move or drop rows, and they say so for their transaction.
    op.execute(
        """
        CREATE FUNCTION audit_events_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF current_setting('app.audit_maintenance', true) = 'on' THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            IF TG_OP = 'TRUNCATE' THEN RETURN NULL; END IF;
            RETURN NEW;
          END IF;
          RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
    )
    # Statement-level TRUNCATE triggers do not propagate to partitions: every partition
    # gets its own (audit_ensure_partitions adds it to each month it creates).
    for table in ("audit_events", "audit_events_default"):
        op.execute(
            f"CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )

    op.execute(
        """
        CREATE FUNCTION audit_ensure_partitions(months_ahead integer) RETURNS integer
        LANGUAGE plpgsql AS $$
        DECLARE
          first_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
          m date;
          lo timestamptz;
          hi timestamptz;
          part text;
          created integer := 0;
        BEGIN
          FOR i IN 0..months_ahead LOOP
            m := (first_month + make_interval(months => i))::date;
            part := format('audit_events_p%s', to_char(m, 'YYYYMM'));
            CONTINUE WHEN to_regclass(part) IS NOT NULL;
            lo := (m::timestamp AT TIME ZONE 'UTC');
            hi := ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
            IF EXISTS (SELECT 1 FROM audit_events_default WHERE occurred_at >= lo AND occurred_at < hi) THEN
              -- Rows landed in the default partition because maintenance lagged:
              -- move them into the new month before attaching it.
              PERFORM set_config('app.audit_maintenance', 'on', true);
              EXECUTE format('CREATE TABLE %I (LIKE audit_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
              EXECUTE format('INSERT INTO %I SELECT * FROM audit_events_default WHERE occurred_at >= %L AND occurred_at < %L', part, lo, hi);
              DELETE FROM audit_events_default WHERE occurred_at >= lo AND occurred_at < hi;
              EXECUTE format('ALTER TABLE audit_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
              PERFORM set_config('app.audit_maintenance', 'off', true);
            ELSE
              EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
            END IF;
            EXECUTE format('CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON %I '
                           'FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()', part);
            created := created + 1;
          END LOOP;
          RETURN created;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION audit_apply_retention(keep_months integer) RETURNS integer
        LANGUAGE plpgsql AS $$
        DECLARE
          cutoff timestamptz := (
            (date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => keep_months))
            AT TIME ZONE 'UTC');
          part record;
          dropped integer := 0;
        BEGIN
          IF keep_months < 1 THEN
            RAISE EXCEPTION 'keep_months must be at least 1';
          END IF;
          FOR part IN
            SELECT c.relname
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'audit_events'::regclass AND c.relname ~ '^audit_events_p[0-9]{6}$'
          LOOP
            IF (to_date(substr(part.relname, 15), 'YYYYMM') + interval '1 month')::timestamp
                 AT TIME ZONE 'UTC' <= cutoff THEN
              EXECUTE format('DROP TABLE %I', part.relname);
              dropped := dropped + 1;
            END IF;
          END LOOP;
          PERFORM set_config('app.audit_maintenance', 'on', true);
          DELETE FROM audit_events_default WHERE occurred_at < cutoff;
          PERFORM set_config('app.audit_maintenance', 'off', true);
          RETURN dropped;
        END $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION audit_ensure_partitions(integer) FROM PUBLIC")
    op.execute("REVOKE ALL ON FUNCTION audit_apply_retention(integer) FROM PUBLIC")
    op.execute("SELECT audit_ensure_partitions(24)")


def _cross_practice_lookups() -> None:
    # Run as the owner (not subject to RLS); return ids only, never PHI.
    op.execute(
        """
        CREATE FUNCTION xp_practice_id_by_link_name(p_link_name text) RETURNS uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
        AS $$ SELECT id FROM practices WHERE link_name = lower(p_link_name) $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION xp_practice_ids() RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
        AS $$ SELECT id FROM practices ORDER BY created_at, id $$
        """
    )
    for fn in ("xp_practice_id_by_link_name(text)", "xp_practice_ids()"):
        op.execute(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {fn} TO pr_app")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS xp_practice_ids()")
    op.execute("DROP FUNCTION IF EXISTS xp_practice_id_by_link_name(text)")
    op.execute("DROP FUNCTION IF EXISTS audit_apply_retention(integer)")
    op.execute("DROP FUNCTION IF EXISTS audit_ensure_partitions(integer)")
    op.execute("DROP TABLE IF EXISTS audit_events CASCADE")
    op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    op.execute("DROP TABLE IF EXISTS mail_outbox")
    op.execute("DROP TABLE IF EXISTS staff_members")
    op.execute("DROP TABLE IF EXISTS practices")
    op.execute("DROP FUNCTION IF EXISTS current_practice_id()")
