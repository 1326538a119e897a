"""Staff identity: passwords, TOTP, sessions, links, API tokens, supervision, acting-for.

Revision ID: 0002_staff_identity
Revises: 0001_foundation
Create Date: 2026-11-25 16:00:00

Secrets are stored hashed (argon2id for passwords, SHA-256 for high-entropy tokens and
links, HMAC for recovery codes) or encrypted (the TOTP seed). Every lookup by a secret
(session cookie, link, API token) and by login email happens before a practice is known,
so each goes through an `xp_*` SECURITY DEFINER function that returns ids only.
Login throttling is installation-wide security data, not tenant data: its table has no
grants at all and is reached only through `xp_auth_throttle_*` functions.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_staff_identity"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_POLICY = "practice_id = current_practice_id()"


def _tenant_rls(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({TENANT_POLICY}) WITH CHECK ({TENANT_POLICY})"
    )


def _staff_fk(table: str, column: str) -> str:
    return (
        f"CONSTRAINT fk_{table}_{column} FOREIGN KEY (practice_id, {column}) "
        "REFERENCES staff_members (practice_id, id)"
    )


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE staff_members
          ADD COLUMN password_hash text,
          ADD COLUMN password_changed_at timestamptz,
          ADD COLUMN totp_secret_enc text,
          ADD COLUMN totp_pending_secret_enc text,
          ADD COLUMN totp_enabled_at timestamptz,
          ADD COLUMN totp_last_step bigint,
          ADD COLUMN supervisor_id uuid,
          ADD COLUMN last_login_at timestamptz,
          ADD COLUMN deactivated_at timestamptz,
          ADD CONSTRAINT fk_staff_members_supervisor
            FOREIGN KEY (practice_id, supervisor_id) REFERENCES staff_members (practice_id, id),
          ADD CONSTRAINT ck_staff_members_not_own_supervisor CHECK (supervisor_id <> id)
        """
    )

    op.execute(
        f"""
        CREATE TABLE staff_recovery_codes (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          staff_id uuid NOT NULL,
          code_hash text NOT NULL,
          used_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_staff_recovery_codes PRIMARY KEY (id),
          CONSTRAINT uq_staff_recovery_codes_practice_id_id UNIQUE (practice_id, id),
          {_staff_fk("staff_recovery_codes", "staff_id")}
        )
        """
    )
    op.execute("CREATE INDEX ix_staff_recovery_codes_staff ON staff_recovery_codes (staff_id)")
    _tenant_rls("staff_recovery_codes")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON staff_recovery_codes TO pr_app")

    op.execute(
        f"""
        CREATE TABLE acting_for_grants (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          admin_id uuid NOT NULL,
          provider_id uuid NOT NULL,
          granted_by_id uuid NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          revoked_at timestamptz,
          CONSTRAINT pk_acting_for_grants PRIMARY KEY (id),
          CONSTRAINT uq_acting_for_grants_practice_id_id UNIQUE (practice_id, id),
          {_staff_fk("acting_for_grants", "admin_id")},
          {_staff_fk("acting_for_grants", "provider_id")},
          {_staff_fk("acting_for_grants", "granted_by_id")},
          CONSTRAINT ck_acting_for_grants_not_self CHECK (admin_id <> provider_id)
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_acting_for_grants_active ON acting_for_grants (admin_id, provider_id)"
        " WHERE revoked_at IS NULL"
    )
    _tenant_rls("acting_for_grants")
    op.execute("GRANT SELECT, INSERT, UPDATE ON acting_for_grants TO pr_app")

    op.execute(
        f"""
        CREATE TABLE staff_sessions (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          staff_id uuid NOT NULL,
          token_hash bytea NOT NULL,
          mfa_state text NOT NULL,
          acting_for_id uuid,
          created_at timestamptz NOT NULL,
          last_seen_at timestamptz NOT NULL,
          absolute_expires_at timestamptz NOT NULL,
          totp_failures integer NOT NULL DEFAULT 0,
          revoked_at timestamptz,
          revoked_reason text,
          ip inet,
          user_agent text,
          CONSTRAINT pk_staff_sessions PRIMARY KEY (id),
          CONSTRAINT uq_staff_sessions_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_staff_sessions_token_hash UNIQUE (token_hash),
          {_staff_fk("staff_sessions", "staff_id")},
          {_staff_fk("staff_sessions", "acting_for_id")},
          CONSTRAINT ck_staff_sessions_mfa_state_known
            CHECK (mfa_state IN ('complete', 'totp_required', 'setup_required'))
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_staff_sessions_staff_active ON staff_sessions (practice_id, staff_id)"
        " WHERE revoked_at IS NULL"
    )
    _tenant_rls("staff_sessions")
    op.execute("GRANT SELECT, INSERT, UPDATE ON staff_sessions TO pr_app")

    op.execute(
        f"""
        CREATE TABLE staff_links (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          staff_id uuid NOT NULL,
          purpose text NOT NULL,
          token_hash bytea NOT NULL,
          expires_at timestamptz NOT NULL,
          used_at timestamptz,
          revoked_at timestamptz,
          created_by_id uuid,
          created_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_staff_links PRIMARY KEY (id),
          CONSTRAINT uq_staff_links_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_staff_links_token_hash UNIQUE (token_hash),
          {_staff_fk("staff_links", "staff_id")},
          {_staff_fk("staff_links", "created_by_id")},
          CONSTRAINT ck_staff_links_purpose_known CHECK (purpose IN ('invitation', 'password_reset'))
        )
        """
    )
    op.execute("CREATE INDEX ix_staff_links_staff ON staff_links (practice_id, staff_id, purpose)")
    _tenant_rls("staff_links")
    op.execute("GRANT SELECT, INSERT, UPDATE ON staff_links TO pr_app")

    op.execute(
        f"""
        CREATE TABLE api_tokens (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          staff_id uuid NOT NULL,
          name text NOT NULL,
          token_hash bytea NOT NULL,
          token_prefix text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          last_used_at timestamptz,
          revoked_at timestamptz,
          CONSTRAINT pk_api_tokens PRIMARY KEY (id),
          CONSTRAINT uq_api_tokens_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_api_tokens_token_hash UNIQUE (token_hash),
          {_staff_fk("api_tokens", "staff_id")},
          CONSTRAINT ck_api_tokens_name_length CHECK (char_length(name) BETWEEN 1 AND 100)
        )
        """
    )
    op.execute("CREATE INDEX ix_api_tokens_staff ON api_tokens (practice_id, staff_id)")
    _tenant_rls("api_tokens")
    op.execute("GRANT SELECT, INSERT, UPDATE ON api_tokens TO pr_app")

    # Installation-wide login throttling: keys are HMACs of an email and/or an IP.
    op.execute(
        """
        CREATE TABLE auth_throttle (
          key text NOT NULL,
          failures integer NOT NULL,
          window_started_at timestamptz NOT NULL,
          locked_until timestamptz,
          CONSTRAINT pk_auth_throttle PRIMARY KEY (key)
        )
        """
    )
    op.execute("ALTER TABLE auth_throttle ENABLE ROW LEVEL SECURITY")  # no policy, no grant

    _lookups()


def _definer(signature: str, returns: str, body: str, *, volatile: bool = False) -> None:
    op.execute(
        f"""
        CREATE FUNCTION {signature} RETURNS {returns}
        LANGUAGE sql {"VOLATILE" if volatile else "STABLE"} SECURITY DEFINER
        SET search_path = pg_catalog, public
        AS $$ {body} $$
        """
    )
    op.execute(f"REVOKE ALL ON FUNCTION {signature.split(' RETURNS')[0]} FROM PUBLIC")


def _lookups() -> None:
    _definer(
        "xp_staff_by_email(p_email text)",
        "TABLE(practice_id uuid, staff_id uuid)",
        "SELECT practice_id, id FROM staff_members WHERE lower(email) = lower(p_email)",
    )
    _definer(
        "xp_staff_session_by_token(p_hash bytea)",
        "TABLE(practice_id uuid, session_id uuid)",
        "SELECT practice_id, id FROM staff_sessions WHERE token_hash = p_hash",
    )
    _definer(
        "xp_staff_link_by_token(p_hash bytea)",
        "TABLE(practice_id uuid, link_id uuid)",
        "SELECT practice_id, id FROM staff_links WHERE token_hash = p_hash",
    )
    _definer(
        "xp_api_token_by_hash(p_hash bytea)",
        "TABLE(practice_id uuid, token_id uuid)",
        "SELECT practice_id, id FROM api_tokens WHERE token_hash = p_hash",
    )
    _definer(
        "xp_auth_throttle_get(p_keys text[])",
        "TABLE(key text, failures integer, window_started_at timestamptz, locked_until timestamptz)",
        "SELECT key, failures, window_started_at, locked_until FROM auth_throttle"
        " WHERE key = ANY(p_keys)",
    )
    # One failure: a new window when the old one has passed, else one more in it.
    _definer(
        "xp_auth_throttle_fail(p_key text, p_now timestamptz, p_window interval)",
        "integer",
        "INSERT INTO auth_throttle AS t (key, failures, window_started_at)"
        " VALUES (p_key, 1, p_now)"
        " ON CONFLICT (key) DO UPDATE SET"
        "  failures = CASE WHEN t.window_started_at + p_window <= p_now THEN 1"
        "              ELSE t.failures + 1 END,"
        "  window_started_at = CASE WHEN t.window_started_at + p_window <= p_now THEN p_now"
        "              ELSE t.window_started_at END"
        " RETURNING failures",
        volatile=True,
    )
    _definer(
        "xp_auth_throttle_lock(p_key text, p_until timestamptz)",
        "void",
        "UPDATE auth_throttle SET locked_until = p_until WHERE key = p_key",
        volatile=True,
    )
    _definer(
        "xp_auth_throttle_clear(p_key text)",
        "void",
        "DELETE FROM auth_throttle WHERE key = p_key",
        volatile=True,
    )
    for fn in (
        "xp_staff_by_email(text)",
        "xp_staff_session_by_token(bytea)",
        "xp_staff_link_by_token(bytea)",
        "xp_api_token_by_hash(bytea)",
        "xp_auth_throttle_get(text[])",
        "xp_auth_throttle_fail(text, timestamptz, interval)",
        "xp_auth_throttle_lock(text, timestamptz)",
        "xp_auth_throttle_clear(text)",
    ):
        op.execute(f"GRANT EXECUTE ON FUNCTION {fn} TO pr_app")


def downgrade() -> None:
    for fn in (
        "xp_auth_throttle_clear(text)",
        "xp_auth_throttle_lock(text, timestamptz)",
        "xp_auth_throttle_fail(text, timestamptz, interval)",
        "xp_auth_throttle_get(text[])",
        "xp_api_token_by_hash(bytea)",
        "xp_staff_link_by_token(bytea)",
        "xp_staff_session_by_token(bytea)",
        "xp_staff_by_email(text)",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    for table in (
        "auth_throttle",
        "api_tokens",
        "staff_links",
        "staff_sessions",
        "acting_for_grants",
        "staff_recovery_codes",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute(
        """
        ALTER TABLE staff_members
          DROP CONSTRAINT IF EXISTS ck_staff_members_not_own_supervisor,
          DROP CONSTRAINT IF EXISTS fk_staff_members_supervisor,
          DROP COLUMN IF EXISTS deactivated_at, DROP COLUMN IF EXISTS last_login_at,
          DROP COLUMN IF EXISTS supervisor_id, DROP COLUMN IF EXISTS totp_last_step,
          DROP COLUMN IF EXISTS totp_enabled_at, DROP COLUMN IF EXISTS totp_pending_secret_enc,
          DROP COLUMN IF EXISTS totp_secret_enc, DROP COLUMN IF EXISTS password_changed_at,
          DROP COLUMN IF EXISTS password_hash
        """
    )
