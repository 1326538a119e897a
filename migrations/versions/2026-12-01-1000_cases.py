"""People, organizations, cases, participants, who may see a case, who pays, relationships,
helpers, diagnoses and the ICD-10-CM code list.

Revision ID: 0005_cases
Revises: 0004_tasks_schedules
Create Date: 2026-12-01 10:00:00

- people: a client or contact (not a login). Lifecycle lives here. `search_text` and
  `phone_digits` are generated columns behind trigram (pg_trgm) indexes for the search box.
  `steward_id` is the provider a person outside every case belongs to (a contact someone
  added): who reaches the steward reaches the person.
- organizations: payers that are not people (sponsoring organization, employer).
- cases: kind, name, primary provider, case-level supervisor, open / closed, identified
  client, capability flags. `case_access` is maintained by a trigger from the primary
  provider and the case supervisor (the scheduling issue adds appointments to it), so every
  list, search and record check is one indexed join.
- case_participants: one row per person per case, with joined / left dates; "current"
  means not left. The shape of an open case (an individual has one current participant, a
  couple two, a family two or more, a group one or more, an identified client is current)
  is checked by a DEFERRABLE constraint trigger: at commit, or when the service asks with
  SET CONSTRAINTS … IMMEDIATE. A violation raises SQLSTATE PRC01 with the rule's key.
- case_payers (+ case_payer_covers): billing responsibility, separate from participation.
- person_relationships, person_helpers (scopes from one list the portal grants reuse),
  diagnoses (ICD-10-CM on case × person), icd10_codes (reference data, not a tenant table).
"""

import csv
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0005_cases"
down_revision: str | Sequence[str] | None = "0004_tasks_schedules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_POLICY = "practice_id = current_practice_id()"
CODES_FILE = Path(__file__).resolve().parents[2] / "models" / "data" / "icd10cm_codes.tsv"

KINDS = (
    "'individual', 'couple', 'family', 'therapy_group', 'consultation',"
    " 'consultation_group', 'workshop_group'"
)
LIFECYCLE = "'prospect', 'intake_pending', 'active', 'waitlist', 'inactive', 'contact', 'archived'"
CONTACT_TYPES = (
    "'therapy_client', 'consultation_client', 'clinical_consultee', 'group_participant', 'contact'"
)
COUPLE_LABELS = (
    "'spouses', 'partners', 'co_parents', 'siblings', 'roommates', 'colleagues',"
    " 'business_partners', 'other'"
)


def _tenant_rls(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({TENANT_POLICY}) WITH CHECK ({TENANT_POLICY})"
    )


def _people() -> None:
    op.execute(
        f"""
        CREATE TABLE people (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          first_name text NOT NULL,
          middle_name text,
          last_name text NOT NULL,
          preferred_name text,
          date_of_birth date,
          pronouns text,
          email text,
          phone_mobile text,
          phone_home text,
          phone_work text,
          preferred_contact text NOT NULL DEFAULT 'email',
          ok_to_email boolean NOT NULL DEFAULT true,
          ok_to_text boolean NOT NULL DEFAULT false,
          ok_to_voicemail boolean NOT NULL DEFAULT false,
          address_line1 text,
          address_line2 text,
          city text,
          region text,
          postal_code text,
          country text NOT NULL DEFAULT 'US',
          timezone text,
          insurance_payer text,
          insurance_member_id text,
          contact_type text NOT NULL DEFAULT 'therapy_client',
          lifecycle text NOT NULL DEFAULT 'prospect',
          steward_id uuid,
          sort_name text GENERATED ALWAYS AS (lower(last_name || ' ' || first_name)) STORED,
          search_text text GENERATED ALWAYS AS (lower(
            first_name || ' ' || coalesce(middle_name || ' ', '') || last_name
            || coalesce(' ' || preferred_name, '') || coalesce(' ' || email, '')
          )) STORED,
          phone_digits text GENERATED ALWAYS AS (regexp_replace(
            coalesce(phone_mobile, '') || ' ' || coalesce(phone_home, '') || ' '
            || coalesce(phone_work, ''), '[^0-9 ]', '', 'g'
          )) STORED,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_people PRIMARY KEY (id),
          CONSTRAINT uq_people_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_people_practice_id_practices
            FOREIGN KEY (practice_id) REFERENCES practices (id),
          CONSTRAINT fk_people_steward
            FOREIGN KEY (practice_id, steward_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT ck_people_names CHECK (
            char_length(first_name) BETWEEN 1 AND 100 AND char_length(last_name) BETWEEN 1 AND 100
          ),
          CONSTRAINT ck_people_contact_type_known CHECK (contact_type IN ({CONTACT_TYPES})),
          CONSTRAINT ck_people_lifecycle_known CHECK (lifecycle IN ({LIFECYCLE})),
          CONSTRAINT ck_people_preferred_contact_known
            CHECK (preferred_contact IN ('email', 'mobile', 'home', 'work')),
          CONSTRAINT ck_people_phones_e164 CHECK (
            (phone_mobile IS NULL OR phone_mobile ~ '^\\+[1-9][0-9]{{6,14}}$')
            AND (phone_home IS NULL OR phone_home ~ '^\\+[1-9][0-9]{{6,14}}$')
            AND (phone_work IS NULL OR phone_work ~ '^\\+[1-9][0-9]{{6,14}}$')
          )
        )
        """
    )
    op.execute("CREATE INDEX ix_people_sort ON people (practice_id, sort_name, id)")
    op.execute("CREATE INDEX ix_people_email ON people (practice_id, lower(email))")
    op.execute("CREATE INDEX ix_people_steward ON people (practice_id, steward_id)")
    op.execute("CREATE INDEX ix_people_search ON people USING gin (search_text gin_trgm_ops)")
    op.execute("CREATE INDEX ix_people_phone ON people USING gin (phone_digits gin_trgm_ops)")
    _tenant_rls("people")
    op.execute("GRANT SELECT, INSERT, UPDATE ON people TO pr_app")

    op.execute(
        """
        CREATE TABLE organizations (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          name text NOT NULL,
          kind text NOT NULL DEFAULT 'sponsor',
          email text,
          phone text,
          billing_address text,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_organizations PRIMARY KEY (id),
          CONSTRAINT uq_organizations_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_organizations_practice_id_practices
            FOREIGN KEY (practice_id) REFERENCES practices (id),
          CONSTRAINT ck_organizations_name CHECK (char_length(name) BETWEEN 1 AND 200),
          CONSTRAINT ck_organizations_kind_known CHECK (kind IN ('sponsor', 'employer', 'other'))
        )
        """
    )
    op.execute("CREATE INDEX ix_organizations_name ON organizations (practice_id, lower(name))")
    _tenant_rls("organizations")
    op.execute("GRANT SELECT, INSERT, UPDATE ON organizations TO pr_app")


def _cases() -> None:
    op.execute(
        f"""
        CREATE TABLE cases (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          kind text NOT NULL,
          name text NOT NULL,
          name_is_auto boolean NOT NULL DEFAULT true,
          relationship_label text,
          status text NOT NULL DEFAULT 'open',
          opened_on date NOT NULL,
          closed_on date,
          primary_provider_id uuid NOT NULL,
          supervisor_id uuid,
          identified_person_id uuid,
          cap_diagnoses boolean NOT NULL,
          cap_treatment_plans boolean NOT NULL,
          cap_superbills boolean NOT NULL,
          cap_claims boolean NOT NULL,
          sort_name text GENERATED ALWAYS AS (lower(name)) STORED,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_cases PRIMARY KEY (id),
          CONSTRAINT uq_cases_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_cases_practice_id_practices
            FOREIGN KEY (practice_id) REFERENCES practices (id),
          CONSTRAINT fk_cases_primary_provider
            FOREIGN KEY (practice_id, primary_provider_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT fk_cases_supervisor
            FOREIGN KEY (practice_id, supervisor_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT fk_cases_identified_person
            FOREIGN KEY (practice_id, identified_person_id) REFERENCES people (practice_id, id),
          CONSTRAINT ck_cases_kind_known CHECK (kind IN ({KINDS})),
          CONSTRAINT ck_cases_name CHECK (char_length(name) BETWEEN 1 AND 200),
          CONSTRAINT ck_cases_status_known CHECK (status IN ('open', 'closed')),
          CONSTRAINT ck_cases_closed_has_date CHECK ((status = 'closed') = (closed_on IS NOT NULL)),
          CONSTRAINT ck_cases_closed_after_opened CHECK (closed_on IS NULL OR closed_on >= opened_on),
          CONSTRAINT ck_cases_couple_label CHECK (
            (kind = 'couple') = (relationship_label IS NOT NULL)
            AND (relationship_label IS NULL OR relationship_label IN ({COUPLE_LABELS}))
          ),
          CONSTRAINT ck_cases_supervisor_not_provider CHECK (supervisor_id <> primary_provider_id)
        )
        """
    )
    op.execute("CREATE INDEX ix_cases_sort ON cases (practice_id, status, sort_name, id)")
    op.execute("CREATE INDEX ix_cases_sort_all ON cases (practice_id, sort_name, id)")
    op.execute("CREATE INDEX ix_cases_kind ON cases (practice_id, kind, status, sort_name, id)")
    op.execute("CREATE INDEX ix_cases_opened ON cases (practice_id, opened_on DESC, id)")
    op.execute("CREATE INDEX ix_cases_search ON cases USING gin (sort_name gin_trgm_ops)")
    _tenant_rls("cases")
    op.execute("GRANT SELECT, INSERT, UPDATE ON cases TO pr_app")

    op.execute(
        """
        CREATE TABLE case_participants (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          case_id uuid NOT NULL,
          person_id uuid NOT NULL,
          role text NOT NULL DEFAULT 'client',
          joined_on date NOT NULL,
          left_on date,
          portal_access boolean NOT NULL DEFAULT false,
          reminder_preference text NOT NULL DEFAULT 'email',
          onboarding_state text NOT NULL DEFAULT 'not_started',
          seq bigint GENERATED ALWAYS AS IDENTITY,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_case_participants PRIMARY KEY (id),
          CONSTRAINT uq_case_participants_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_case_participants_person UNIQUE (practice_id, case_id, person_id),
          CONSTRAINT fk_case_participants_case
            FOREIGN KEY (practice_id, case_id) REFERENCES cases (practice_id, id),
          CONSTRAINT fk_case_participants_person
            FOREIGN KEY (practice_id, person_id) REFERENCES people (practice_id, id),
          CONSTRAINT ck_case_participants_role_known CHECK (role IN (
            'client', 'partner', 'parent', 'child', 'sibling', 'member', 'other'
          )),
          CONSTRAINT ck_case_participants_dates CHECK (left_on IS NULL OR left_on >= joined_on),
          CONSTRAINT ck_case_participants_reminder_known
            CHECK (reminder_preference IN ('email', 'sms', 'none')),
          CONSTRAINT ck_case_participants_onboarding_known CHECK (onboarding_state IN (
            'not_started', 'invited', 'in_progress', 'complete'
          ))
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_case_participants_person ON case_participants (practice_id, person_id)"
    )
    _tenant_rls("case_participants")
    op.execute("GRANT SELECT, INSERT, UPDATE ON case_participants TO pr_app")

    op.execute(
        """
        CREATE TABLE case_access (
          practice_id uuid NOT NULL,
          staff_id uuid NOT NULL,
          case_id uuid NOT NULL,
          reason text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_case_access PRIMARY KEY (practice_id, staff_id, case_id, reason),
          CONSTRAINT fk_case_access_case
            FOREIGN KEY (practice_id, case_id) REFERENCES cases (practice_id, id),
          CONSTRAINT fk_case_access_staff
            FOREIGN KEY (practice_id, staff_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT ck_case_access_reason_known
            CHECK (reason IN ('primary_provider', 'case_supervisor', 'appointment'))
        )
        """
    )
    op.execute("CREATE INDEX ix_case_access_case ON case_access (practice_id, case_id)")
    _tenant_rls("case_access")
    op.execute("GRANT SELECT, INSERT, DELETE ON case_access TO pr_app")
    # The relation follows the case: primary provider and case supervisor, always.
    op.execute(
        """
        CREATE FUNCTION sync_case_access() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM case_access
           WHERE practice_id = NEW.practice_id AND case_id = NEW.id
             AND reason IN ('primary_provider', 'case_supervisor');
          INSERT INTO case_access (practice_id, staff_id, case_id, reason)
          VALUES (NEW.practice_id, NEW.primary_provider_id, NEW.id, 'primary_provider');
          IF NEW.supervisor_id IS NOT NULL THEN
            INSERT INTO case_access (practice_id, staff_id, case_id, reason)
            VALUES (NEW.practice_id, NEW.supervisor_id, NEW.id, 'case_supervisor');
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER cases_access AFTER INSERT OR UPDATE OF primary_provider_id, supervisor_id"
        " ON cases FOR EACH ROW EXECUTE FUNCTION sync_case_access()"
    )
    op.execute(
        """
        CREATE FUNCTION check_case_shape() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          target uuid;
          practice uuid;
          c record;
          current_count int;
          identified_current boolean;
        BEGIN
          IF TG_TABLE_NAME = 'cases' THEN
            target := NEW.id;
            practice := NEW.practice_id;
          ELSIF TG_OP = 'DELETE' THEN
            target := OLD.case_id;
            practice := OLD.practice_id;
          ELSE
            target := NEW.case_id;
            practice := NEW.practice_id;
          END IF;
          SELECT kind, status, identified_person_id, cap_superbills INTO c
            FROM cases WHERE practice_id = practice AND id = target;
          IF NOT FOUND OR c.status <> 'open' THEN
            RETURN NULL;
          END IF;
          SELECT count(*) INTO current_count
            FROM case_participants
           WHERE practice_id = practice AND case_id = target AND left_on IS NULL;
          IF c.kind IN ('individual', 'consultation') AND current_count <> 1 THEN
            RAISE EXCEPTION 'case_shape:exactly_one' USING ERRCODE = 'PRC01';
          ELSIF c.kind = 'couple' AND current_count <> 2 THEN
            RAISE EXCEPTION 'case_shape:exactly_two' USING ERRCODE = 'PRC01';
          ELSIF c.kind = 'family' AND current_count < 2 THEN
            RAISE EXCEPTION 'case_shape:two_or_more' USING ERRCODE = 'PRC01';
          ELSIF current_count < 1 THEN
            RAISE EXCEPTION 'case_shape:one_or_more' USING ERRCODE = 'PRC01';
          END IF;
          IF c.identified_person_id IS NOT NULL THEN
            SELECT EXISTS (
              SELECT 1 FROM case_participants
               WHERE practice_id = practice AND case_id = target
                 AND person_id = c.identified_person_id AND left_on IS NULL
            ) INTO identified_current;
            IF NOT identified_current THEN
              RAISE EXCEPTION 'case_shape:identified_current' USING ERRCODE = 'PRC01';
            END IF;
          ELSIF c.kind IN ('couple', 'family') AND c.cap_superbills THEN
            RAISE EXCEPTION 'case_shape:identified_required' USING ERRCODE = 'PRC01';
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER case_shape AFTER INSERT OR UPDATE ON cases"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_case_shape()"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER case_shape AFTER INSERT OR UPDATE OR DELETE"
        " ON case_participants DEFERRABLE INITIALLY DEFERRED"
        " FOR EACH ROW EXECUTE FUNCTION check_case_shape()"
    )


def _payers() -> None:
    op.execute(
        """
        CREATE TABLE case_payers (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          case_id uuid NOT NULL,
          payer_person_id uuid,
          payer_organization_id uuid,
          covers_all boolean NOT NULL DEFAULT true,
          share_bp integer NOT NULL DEFAULT 10000,
          collection_mode text NOT NULL DEFAULT 'invoice',
          effective_from date NOT NULL,
          effective_to date,
          seq bigint GENERATED ALWAYS AS IDENTITY,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_case_payers PRIMARY KEY (id),
          CONSTRAINT uq_case_payers_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_case_payers_case UNIQUE (practice_id, id, case_id),
          CONSTRAINT fk_case_payers_case
            FOREIGN KEY (practice_id, case_id) REFERENCES cases (practice_id, id),
          CONSTRAINT fk_case_payers_person
            FOREIGN KEY (practice_id, payer_person_id) REFERENCES people (practice_id, id),
          CONSTRAINT fk_case_payers_organization
            FOREIGN KEY (practice_id, payer_organization_id)
            REFERENCES organizations (practice_id, id),
          CONSTRAINT ck_case_payers_one_payer
            CHECK (num_nonnulls(payer_person_id, payer_organization_id) = 1),
          CONSTRAINT ck_case_payers_share CHECK (share_bp BETWEEN 1 AND 10000),
          CONSTRAINT ck_case_payers_mode_known
            CHECK (collection_mode IN ('invoice', 'autopay', 'external')),
          CONSTRAINT ck_case_payers_dates
            CHECK (effective_to IS NULL OR effective_to >= effective_from)
        )
        """
    )
    op.execute("CREATE INDEX ix_case_payers_case ON case_payers (practice_id, case_id)")
    op.execute("CREATE INDEX ix_case_payers_person ON case_payers (practice_id, payer_person_id)")
    op.execute(
        "CREATE INDEX ix_case_payers_organization"
        " ON case_payers (practice_id, payer_organization_id)"
    )
    _tenant_rls("case_payers")
    op.execute("GRANT SELECT, INSERT, UPDATE ON case_payers TO pr_app")

    op.execute(
        """
        CREATE TABLE case_payer_covers (
          practice_id uuid NOT NULL,
          payer_id uuid NOT NULL,
          case_id uuid NOT NULL,
          person_id uuid NOT NULL,
          CONSTRAINT pk_case_payer_covers PRIMARY KEY (practice_id, payer_id, person_id),
          CONSTRAINT fk_case_payer_covers_payer
            FOREIGN KEY (practice_id, payer_id, case_id)
            REFERENCES case_payers (practice_id, id, case_id),
          CONSTRAINT fk_case_payer_covers_participant
            FOREIGN KEY (practice_id, case_id, person_id)
            REFERENCES case_participants (practice_id, case_id, person_id)
        )
        """
    )
    _tenant_rls("case_payer_covers")
    op.execute("GRANT SELECT, INSERT, DELETE ON case_payer_covers TO pr_app")


def _relationships() -> None:
    op.execute(
        """
        CREATE TABLE person_relationships (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          person_id uuid NOT NULL,
          related_person_id uuid NOT NULL,
          kind text NOT NULL,
          label text,
          emergency_contact boolean NOT NULL DEFAULT false,
          created_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_person_relationships PRIMARY KEY (id),
          CONSTRAINT uq_person_relationships_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_person_relationships_pair
            UNIQUE (practice_id, person_id, related_person_id, kind),
          CONSTRAINT fk_person_relationships_person
            FOREIGN KEY (practice_id, person_id) REFERENCES people (practice_id, id),
          CONSTRAINT fk_person_relationships_related
            FOREIGN KEY (practice_id, related_person_id) REFERENCES people (practice_id, id),
          CONSTRAINT ck_person_relationships_not_self CHECK (person_id <> related_person_id),
          CONSTRAINT ck_person_relationships_kind_known CHECK (kind IN (
            'spouse', 'partner', 'parent', 'child', 'sibling', 'co_parent', 'guardian', 'ward',
            'other'
          )),
          CONSTRAINT ck_person_relationships_label CHECK (char_length(label) <= 60)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_person_relationships_related"
        " ON person_relationships (practice_id, related_person_id)"
    )
    _tenant_rls("person_relationships")
    op.execute("GRANT SELECT, INSERT, DELETE ON person_relationships TO pr_app")

    op.execute(
        """
        CREATE TABLE person_helpers (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          person_id uuid NOT NULL,
          helper_person_id uuid NOT NULL,
          scopes text[] NOT NULL,
          verification text NOT NULL DEFAULT 'not_needed',
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_person_helpers PRIMARY KEY (id),
          CONSTRAINT uq_person_helpers_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_person_helpers_pair UNIQUE (practice_id, person_id, helper_person_id),
          CONSTRAINT fk_person_helpers_person
            FOREIGN KEY (practice_id, person_id) REFERENCES people (practice_id, id),
          CONSTRAINT fk_person_helpers_helper
            FOREIGN KEY (practice_id, helper_person_id) REFERENCES people (practice_id, id),
          CONSTRAINT ck_person_helpers_not_self CHECK (person_id <> helper_person_id),
          CONSTRAINT ck_person_helpers_scopes_known CHECK (
            cardinality(scopes) >= 1
            AND scopes <@ ARRAY['representative', 'billing_contact', 'scheduling_helper']::text[]
          ),
          CONSTRAINT ck_person_helpers_verification_known
            CHECK (verification IN ('not_needed', 'unverified', 'verified'))
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_person_helpers_helper ON person_helpers (practice_id, helper_person_id)"
    )
    _tenant_rls("person_helpers")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON person_helpers TO pr_app")


def _diagnoses() -> None:
    op.execute(
        """
        CREATE TABLE icd10_codes (
          code text NOT NULL,
          description text NOT NULL,
          search_text text GENERATED ALWAYS AS (lower(code || ' ' || description)) STORED,
          CONSTRAINT pk_icd10_codes PRIMARY KEY (code),
          CONSTRAINT ck_icd10_codes_format CHECK (code ~ '^[A-Z][0-9][0-9A-Z](\\.[0-9A-Z]{1,4})?$')
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_icd10_codes_search ON icd10_codes USING gin (search_text gin_trgm_ops)"
    )
    # Reference data every practice reads; row security is on (the self-check expects it on
    # every table the app reads) with one read-only policy for all.
    op.execute("ALTER TABLE icd10_codes ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY reference_read ON icd10_codes FOR SELECT USING (true)")
    op.execute("GRANT SELECT ON icd10_codes TO pr_app")
    with CODES_FILE.open(encoding="utf-8", newline="") as handle:
        rows = [
            {"code": r["code"].strip(), "description": r["description"].strip()}
            for r in csv.DictReader(handle, delimiter="\t")
        ]
    bind = op.get_bind()
    bind.exec_driver_sql(
        "INSERT INTO icd10_codes (code, description) VALUES (%(code)s, %(description)s)",
        rows,
    )

    op.execute(
        """
        CREATE TABLE diagnoses (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          case_id uuid NOT NULL,
          person_id uuid NOT NULL,
          code text NOT NULL,
          rank smallint NOT NULL,
          active_from date NOT NULL,
          active_to date,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_diagnoses PRIMARY KEY (id),
          CONSTRAINT uq_diagnoses_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_diagnoses_participant
            FOREIGN KEY (practice_id, case_id, person_id)
            REFERENCES case_participants (practice_id, case_id, person_id),
          CONSTRAINT fk_diagnoses_code FOREIGN KEY (code) REFERENCES icd10_codes (code),
          CONSTRAINT ck_diagnoses_rank CHECK (rank BETWEEN 1 AND 12),
          CONSTRAINT ck_diagnoses_dates CHECK (active_to IS NULL OR active_to >= active_from)
        )
        """
    )
    op.execute("CREATE INDEX ix_diagnoses_case ON diagnoses (practice_id, case_id, person_id)")
    _tenant_rls("diagnoses")
    op.execute("GRANT SELECT, INSERT, UPDATE ON diagnoses TO pr_app")


SEARCH_FUNCTIONS = ("xp_people_matching(text[], text, text)", "xp_cases_named(text, text)")


def _search_lookups() -> None:
    """Trigram candidates for the search box, inside the current practice only.

    Postgres does not use a non-leakproof operator (pg_trgm's `<%`, LIKE) as an index
    condition on a table under row-level security, so as the app role every search would
    read every row. These run as the owner, filter by `current_practice_id()` themselves
    and return ids only; the app then applies who may see what (and RLS still applies)."""
    op.execute(
        """
        CREATE FUNCTION xp_people_matching(p_words text[], p_like text, p_digits text)
        RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
        AS $$
          SELECT p.id FROM people p
           WHERE p.practice_id = current_practice_id()
             AND cardinality(p_words) > 0 AND p_words[1] <% p.search_text
             AND NOT EXISTS (SELECT 1 FROM unnest(p_words) w WHERE NOT (w <% p.search_text))
          UNION
          SELECT p.id FROM people p
           WHERE p.practice_id = current_practice_id() AND p.search_text LIKE p_like
          UNION
          SELECT p.id FROM people p
           WHERE p.practice_id = current_practice_id() AND p.phone_digits LIKE p_digits
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION xp_cases_named(p_query text, p_like text) RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
        AS $$
          SELECT c.id FROM cases c
           WHERE c.practice_id = current_practice_id() AND p_query <% c.sort_name
          UNION
          SELECT c.id FROM cases c
           WHERE c.practice_id = current_practice_id() AND c.sort_name LIKE p_like
        $$
        """
    )
    for fn in SEARCH_FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {fn} TO pr_app")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    _people()
    _cases()
    _payers()
    _relationships()
    _diagnoses()
    _search_lookups()


def downgrade() -> None:
    for table in (
        "diagnoses",
        "icd10_codes",
        "person_helpers",
        "person_relationships",
        "case_payer_covers",
        "case_payers",
        "case_access",
        "case_participants",
        "cases",
        "organizations",
        "people",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    for fn in SEARCH_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP FUNCTION IF EXISTS check_case_shape()")
    op.execute("DROP FUNCTION IF EXISTS sync_case_access()")
