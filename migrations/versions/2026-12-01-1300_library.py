"""The practice library of forms and documents (FORM-1…2, DOCED-*), with versions.

Revision ID: 0009_library
Revises: 0008_series_continued
Create Date: 2026-12-01 13:00:00

- library_items: one per form or document of the practice — kind, a stable key (the
  shipped ones: demographics, consent_to_treatment, release_of_information, phq9, gad7,
  privacy_notice, practice_policies, good_faith_estimate), the name staff see and the title
  clients see, category, whether it is part of the default intake packet and may be sent
  through the portal, an optional generator (good_faith_estimate), active.
- library_versions: the content of one version — a form's JSON definition, or a
  document's Markdown (the document itself, or the preamble of an attached PDF), the PDF's
  blob, and what it requires (nothing, an acknowledgement, a signature). A version is a
  draft until published; a published version is never changed (responses and signatures
  point at it, and a signature carries the SHA-256 of its exact content). At most one
  draft per item.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_library"
down_revision: str | Sequence[str] | None = "0008_series_continued"
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
        CREATE TABLE library_items (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL REFERENCES practices (id),
          kind text NOT NULL,
          key text NOT NULL,
          staff_name text NOT NULL,
          client_title text NOT NULL,
          category text NOT NULL DEFAULT 'Intake',
          include_in_intake boolean NOT NULL DEFAULT false,
          shareable boolean NOT NULL DEFAULT true,
          generator text,
          active boolean NOT NULL DEFAULT true,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_library_items PRIMARY KEY (id),
          CONSTRAINT uq_library_items_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_library_items_key UNIQUE (practice_id, key),
          CONSTRAINT ck_library_items_kind CHECK (kind IN ('form', 'document')),
          CONSTRAINT ck_library_items_generator
            CHECK (generator IS NULL OR generator IN ('good_faith_estimate'))
        )
        """
    )
    _tenant_rls("library_items")
    op.execute("GRANT SELECT, INSERT, UPDATE ON library_items TO pr_app")
    op.execute(
        """
        CREATE TABLE library_versions (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          item_id uuid NOT NULL,
          version integer NOT NULL,
          definition jsonb,
          body_markdown text NOT NULL DEFAULT '',
          pdf_blob_id uuid,
          requires text NOT NULL DEFAULT 'none',
          content_sha256 bytea,
          published_at timestamptz,
          created_by_staff_id uuid,
          created_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_library_versions PRIMARY KEY (id),
          CONSTRAINT uq_library_versions_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_library_versions_number UNIQUE (practice_id, item_id, version),
          CONSTRAINT fk_library_versions_item
            FOREIGN KEY (practice_id, item_id) REFERENCES library_items (practice_id, id),
          CONSTRAINT fk_library_versions_pdf
            FOREIGN KEY (practice_id, pdf_blob_id) REFERENCES blobs (practice_id, id),
          CONSTRAINT ck_library_versions_requires
            CHECK (requires IN ('none', 'acknowledgement', 'signature')),
          CONSTRAINT ck_library_versions_published_hash
            CHECK (published_at IS NULL OR content_sha256 IS NOT NULL)
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX ix_library_versions_one_draft ON library_versions"
        " (practice_id, item_id) WHERE published_at IS NULL"
    )
    _tenant_rls("library_versions")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON library_versions TO pr_app")
    # A published version is never changed: responses and signatures point at it.
    op.execute(
        """
        CREATE FUNCTION library_version_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF OLD.published_at IS NOT NULL THEN
            RAISE EXCEPTION 'a published library version is never changed'
              USING ERRCODE = 'PRC02';
          END IF;
          RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER library_version_frozen BEFORE UPDATE OR DELETE ON library_versions"
        " FOR EACH ROW EXECUTE FUNCTION library_version_frozen()"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS library_versions")
    op.execute("DROP FUNCTION IF EXISTS library_version_frozen()")
    op.execute("DROP TABLE IF EXISTS library_items")
