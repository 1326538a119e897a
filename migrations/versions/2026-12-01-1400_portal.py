"""The client portal's identities: accounts, grants, one-time links and sessions (PORT-*,
REL-*, decisions.md "Portal access").

Revision ID: 0010_portal
Revises: 0009_library
Create Date: 2026-12-01 14:00:00

- portal_accounts: a login identity of one practice (the portal lives at
  /portal/{link name}); its email is unique within the practice (case-insensitive).
- portal_grants: what an account may act for — a person, in a case or for every case
  they share, with a scope (self, representative of a minor or dependent adult, billing
  contact, scheduling helper). One account may hold grants for several people.
- portal_links: invitations (7 days; the person confirms a date of birth, or the last 4
  digits of a phone; 5 wrong answers lock the link) and sign-in links (30 minutes);
  single use, consumed by the POST after the confirmation, never by a GET. Only the
  SHA-256 of a token is stored.
- portal_sessions: server-side, separate from staff sessions (their own cookie), idle
  timeout 15 minutes, absolute 12 hours; `acting_person_id` is whom the account is
  acting for right now.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_portal"
down_revision: str | Sequence[str] | None = "0009_library"
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
        CREATE TABLE portal_accounts (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL REFERENCES practices (id),
          email text NOT NULL,
          person_id uuid,
          created_at timestamptz NOT NULL DEFAULT now(),
          last_sign_in_at timestamptz,
          disabled_at timestamptz,
          CONSTRAINT pk_portal_accounts PRIMARY KEY (id),
          CONSTRAINT uq_portal_accounts_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_portal_accounts_person
            FOREIGN KEY (practice_id, person_id) REFERENCES people (practice_id, id)
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_portal_accounts_email ON portal_accounts (practice_id, lower(email))"
    )
    _tenant_rls("portal_accounts")
    op.execute("GRANT SELECT, INSERT, UPDATE ON portal_accounts TO pr_app")
    op.execute(
        """
        CREATE TABLE portal_grants (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          account_id uuid NOT NULL,
          person_id uuid NOT NULL,
          case_id uuid,
          scope text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          created_by_staff_id uuid,
          revoked_at timestamptz,
          CONSTRAINT pk_portal_grants PRIMARY KEY (id),
          CONSTRAINT uq_portal_grants_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_portal_grants_account
            FOREIGN KEY (practice_id, account_id) REFERENCES portal_accounts (practice_id, id),
          CONSTRAINT fk_portal_grants_person
            FOREIGN KEY (practice_id, person_id) REFERENCES people (practice_id, id),
          CONSTRAINT fk_portal_grants_case
            FOREIGN KEY (practice_id, case_id) REFERENCES cases (practice_id, id),
          CONSTRAINT ck_portal_grants_scope CHECK
            (scope IN ('self', 'representative', 'billing_contact', 'scheduling_helper'))
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_portal_grants_live ON portal_grants"
        " (practice_id, account_id, person_id, case_id, scope) NULLS NOT DISTINCT"
        " WHERE revoked_at IS NULL"
    )
    op.execute("CREATE INDEX ix_portal_grants_person ON portal_grants (practice_id, person_id)")
    _tenant_rls("portal_grants")
    op.execute("GRANT SELECT, INSERT, UPDATE ON portal_grants TO pr_app")
    op.execute(
        """
        CREATE TABLE portal_links (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          account_id uuid NOT NULL,
          confirm_person_id uuid,
          purpose text NOT NULL,
          token_hash bytea NOT NULL,
          expires_at timestamptz NOT NULL,
          used_at timestamptz,
          revoked_at timestamptz,
          failed_attempts integer NOT NULL DEFAULT 0,
          locked_at timestamptz,
          created_by_staff_id uuid,
          created_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_portal_links PRIMARY KEY (id),
          CONSTRAINT uq_portal_links_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_portal_links_token UNIQUE (token_hash),
          CONSTRAINT fk_portal_links_account
            FOREIGN KEY (practice_id, account_id) REFERENCES portal_accounts (practice_id, id),
          CONSTRAINT ck_portal_links_purpose CHECK (purpose IN ('invitation', 'sign_in'))
        )
        """
    )
    _tenant_rls("portal_links")
    op.execute("GRANT SELECT, INSERT, UPDATE ON portal_links TO pr_app")
    op.execute(
        """
        CREATE TABLE portal_sessions (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          account_id uuid NOT NULL,
          token_hash bytea NOT NULL,
          acting_person_id uuid,
          created_at timestamptz NOT NULL,
          last_seen_at timestamptz NOT NULL,
          absolute_expires_at timestamptz NOT NULL,
          revoked_at timestamptz,
          ip text,
          user_agent text,
          CONSTRAINT pk_portal_sessions PRIMARY KEY (id),
          CONSTRAINT uq_portal_sessions_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_portal_sessions_token UNIQUE (token_hash),
          CONSTRAINT fk_portal_sessions_account
            FOREIGN KEY (practice_id, account_id) REFERENCES portal_accounts (practice_id, id)
        )
        """
    )
    _tenant_rls("portal_sessions")
    op.execute("GRANT SELECT, INSERT, UPDATE ON portal_sessions TO pr_app")


def downgrade() -> None:
    for table in ("portal_sessions", "portal_links", "portal_grants", "portal_accounts"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
