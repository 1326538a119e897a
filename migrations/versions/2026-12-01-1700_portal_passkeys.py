"""Passkeys for portal accounts (PORT-2, PORT-3, decisions.md "Portal access").

Revision ID: 0013_portal_passkeys
Revises: 0012_intake_process
Create Date: 2026-12-01 17:00:00

- portal_passkeys: a WebAuthn credential of one portal account — its credential id
  (unique: an authenticator's id names one account), COSE public key, the signature
  counter last seen, the transports the browser reported, a name the client chose, when
  it was added and last used, and when it was removed (kept for the audit trail; a
  removed passkey signs nobody in).
- portal_webauthn_challenges: one challenge per ceremony (adding a passkey, signing in
  with one), 5 minutes, single use: the verify step consumes it, so a captured answer
  cannot be played again. Adding binds the challenge to the account and the session.
- portal_sessions.signed_in_with: `link` (an invitation or an emailed sign-in link) or
  `passkey`, and `passkey_id`, which one. Only a session started by a link may add a
  passkey (PORT-3); removing a passkey ends the sessions it started (a lost phone).
- intake_requests.end_reason may also be `portal_access_off`: staff turned a recipient's
  portal access off in the case, so their items are out of reach and the intake ends.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_portal_passkeys"
down_revision: str | Sequence[str] | None = "0012_intake_process"
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
        CREATE TABLE portal_passkeys (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL REFERENCES practices (id),
          account_id uuid NOT NULL,
          credential_id bytea NOT NULL,
          public_key bytea NOT NULL,
          sign_count bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
          transports text[] NOT NULL DEFAULT '{}',
          name text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
          backed_up boolean NOT NULL DEFAULT false,
          created_at timestamptz NOT NULL DEFAULT now(),
          last_used_at timestamptz,
          removed_at timestamptz,
          CONSTRAINT pk_portal_passkeys PRIMARY KEY (id),
          CONSTRAINT uq_portal_passkeys_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_portal_passkeys_credential UNIQUE (practice_id, credential_id),
          CONSTRAINT fk_portal_passkeys_account
            FOREIGN KEY (practice_id, account_id) REFERENCES portal_accounts (practice_id, id)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_portal_passkeys_account ON portal_passkeys (practice_id, account_id)"
        " WHERE removed_at IS NULL"
    )
    _tenant_rls("portal_passkeys")
    op.execute("GRANT SELECT, INSERT, UPDATE ON portal_passkeys TO pr_app")
    op.execute(
        """
        CREATE TABLE portal_webauthn_challenges (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL REFERENCES practices (id),
          purpose text NOT NULL CHECK (purpose IN ('register', 'authenticate')),
          challenge bytea NOT NULL,
          account_id uuid,
          session_id uuid,
          created_at timestamptz NOT NULL,
          expires_at timestamptz NOT NULL,
          used_at timestamptz,
          CONSTRAINT pk_portal_webauthn_challenges PRIMARY KEY (id),
          CONSTRAINT uq_portal_webauthn_challenges_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_portal_webauthn_challenges_account
            FOREIGN KEY (practice_id, account_id) REFERENCES portal_accounts (practice_id, id),
          CONSTRAINT fk_portal_webauthn_challenges_session
            FOREIGN KEY (practice_id, session_id) REFERENCES portal_sessions (practice_id, id),
          CONSTRAINT ck_portal_webauthn_challenges_bound CHECK
            ((purpose = 'register') = (account_id IS NOT NULL AND session_id IS NOT NULL))
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_portal_webauthn_challenges_expires"
        " ON portal_webauthn_challenges (practice_id, expires_at)"
    )
    _tenant_rls("portal_webauthn_challenges")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON portal_webauthn_challenges TO pr_app")
    op.execute(
        "ALTER TABLE portal_sessions"
        " ADD COLUMN signed_in_with text NOT NULL DEFAULT 'link'"
        " CHECK (signed_in_with IN ('link', 'passkey')),"
        " ADD COLUMN passkey_id uuid,"
        " ADD CONSTRAINT fk_portal_sessions_passkey FOREIGN KEY (practice_id, passkey_id)"
        " REFERENCES portal_passkeys (practice_id, id),"
        " ADD CONSTRAINT ck_portal_sessions_passkey_named"
        " CHECK ((signed_in_with = 'passkey') = (passkey_id IS NOT NULL))"
    )
    op.execute(
        "CREATE INDEX ix_portal_sessions_passkey ON portal_sessions (practice_id, passkey_id)"
        " WHERE passkey_id IS NOT NULL AND revoked_at IS NULL"
    )

    op.execute(
        "ALTER TABLE intake_requests DROP CONSTRAINT intake_requests_end_reason_check,"
        " ADD CONSTRAINT intake_requests_end_reason_check CHECK (end_reason IN"
        " ('cancelled', 'case_closed', 'participant_left', 'portal_access_off'))"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE intake_requests SET end_reason = 'participant_left'"
        " WHERE end_reason = 'portal_access_off'"
    )
    op.execute(
        "ALTER TABLE intake_requests DROP CONSTRAINT intake_requests_end_reason_check,"
        " ADD CONSTRAINT intake_requests_end_reason_check CHECK (end_reason IN"
        " ('cancelled', 'case_closed', 'participant_left'))"
    )
    op.execute(
        "ALTER TABLE portal_sessions DROP COLUMN IF EXISTS passkey_id,"
        " DROP COLUMN IF EXISTS signed_in_with"
    )
    op.execute("DROP TABLE IF EXISTS portal_webauthn_challenges")
    op.execute("DROP TABLE IF EXISTS portal_passkeys")
