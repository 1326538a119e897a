"""Scheduling, first part: the practice's services and locations, appointments with the
partial exclusion constraint, per-participant attendance, and appointments in case_access.

Revision ID: 0006_scheduling
Revises: 0005_cases
Create Date: 2026-12-01 11:00:00

- practice_services: CPT code, name, default duration, fee (integer cents), kind therapy /
  consultation / workshop.
- locations: address, TZID, default place-of-service code, the formats it offers (in person,
  video, phone — a location carries the session format, AVAIL-2).
- appointments: a case's session with a provider, service, location, format, start/end
  (timestamptz), status, POS and modifier overrides, supervisor override, internal memo.
  A provider's *time-holding* appointments (scheduled, attended, no-show) may not overlap:
  a partial EXCLUDE USING gist constraint (btree_gist), so a cancelled or late-cancelled
  slot is rebookable and two concurrent bookings cannot both commit. `sequence` counts
  changes (the calendar feeds' SEQUENCE).
- availability_blocks: provider × location × formats × services (none listed: any) ×
  audience (new clients, existing clients, both, staff-only) × weekly weekdays or one date
  × hours × TZID × effective dates (AVAIL-1…7). Online booking will offer slots from them.
- appointment_series: a recurrence (weekly every N weeks on weekdays, or monthly by
  weekday) kept as local wall time in its own TZID, with its RRULE text; occurrences are
  materialized as appointments up to `materialized_until` (a rolling horizon the
  AttentionSweep extends). An occurrence is unique per (series, original local time).
- appointment_attendance: one row per participant of a multi-person appointment (the unit
  billing will use).
- appointment_notices: one row per change and recipient, written in the transaction of
  the change (booked, rescheduled, cancelled; unique per appointment, person and the
  appointment's change counter); sent once through the mail outbox, or skipped when a later
  change made it stale.
- calendar_feeds: one live subscription token per staff member (only its SHA-256 is
  stored; regenerating revokes the old one), found without a session through
  `xp_calendar_feed_by_token`.
- A trigger adds (provider, case, 'appointment') to case_access and removes it when the
  provider has no appointment left in the case.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_scheduling"
down_revision: str | Sequence[str] | None = "0005_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_POLICY = "practice_id = current_practice_id()"
TIME_HOLDING = "('scheduled', 'attended', 'no_show')"


def _tenant_rls(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({TENANT_POLICY}) WITH CHECK ({TENANT_POLICY})"
    )


def _catalog() -> None:
    op.execute(
        """
        CREATE TABLE practice_services (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          name text NOT NULL,
          cpt_code text,
          kind text NOT NULL DEFAULT 'therapy',
          duration_minutes integer NOT NULL,
          fee_cents integer NOT NULL,
          currency text NOT NULL DEFAULT 'usd',
          active boolean NOT NULL DEFAULT true,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_practice_services PRIMARY KEY (id),
          CONSTRAINT uq_practice_services_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_practice_services_practice_id_practices
            FOREIGN KEY (practice_id) REFERENCES practices (id),
          CONSTRAINT ck_practice_services_name CHECK (char_length(name) BETWEEN 1 AND 120),
          CONSTRAINT ck_practice_services_cpt CHECK (cpt_code ~ '^[0-9]{4}[0-9A-Z]$'),
          CONSTRAINT ck_practice_services_kind_known
            CHECK (kind IN ('therapy', 'consultation', 'workshop')),
          CONSTRAINT ck_practice_services_duration CHECK (duration_minutes BETWEEN 5 AND 600),
          CONSTRAINT ck_practice_services_fee CHECK (fee_cents BETWEEN 0 AND 10000000),
          CONSTRAINT ck_practice_services_currency CHECK (currency ~ '^[a-z]{3}$')
        )
        """
    )
    _tenant_rls("practice_services")
    op.execute("GRANT SELECT, INSERT, UPDATE ON practice_services TO pr_app")

    op.execute(
        """
        CREATE TABLE locations (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          name text NOT NULL,
          address_line1 text,
          address_line2 text,
          city text,
          region text,
          postal_code text,
          country text NOT NULL DEFAULT 'US',
          timezone text NOT NULL,
          pos_code text NOT NULL DEFAULT '11',
          formats text[] NOT NULL,
          active boolean NOT NULL DEFAULT true,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_locations PRIMARY KEY (id),
          CONSTRAINT uq_locations_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_locations_practice_id_practices
            FOREIGN KEY (practice_id) REFERENCES practices (id),
          CONSTRAINT ck_locations_name CHECK (char_length(name) BETWEEN 1 AND 120),
          CONSTRAINT ck_locations_pos CHECK (pos_code ~ '^[0-9]{2}$'),
          CONSTRAINT ck_locations_formats_known CHECK (
            cardinality(formats) >= 1
            AND formats <@ ARRAY['in_person', 'video', 'phone']::text[]
          )
        )
        """
    )
    _tenant_rls("locations")
    op.execute("GRANT SELECT, INSERT, UPDATE ON locations TO pr_app")


def _availability() -> None:
    op.execute(
        """
        CREATE TABLE availability_blocks (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          provider_id uuid NOT NULL,
          location_id uuid NOT NULL,
          formats text[] NOT NULL,
          service_ids uuid[] NOT NULL DEFAULT '{}',
          audience text NOT NULL,
          weekdays smallint[] NOT NULL DEFAULT '{}',
          on_date date,
          start_time time NOT NULL,
          end_time time NOT NULL,
          timezone text NOT NULL,
          effective_from date NOT NULL,
          effective_to date,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_availability_blocks PRIMARY KEY (id),
          CONSTRAINT uq_availability_blocks_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_availability_blocks_provider
            FOREIGN KEY (practice_id, provider_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT fk_availability_blocks_location
            FOREIGN KEY (practice_id, location_id) REFERENCES locations (practice_id, id),
          CONSTRAINT ck_availability_blocks_audience_known
            CHECK (audience IN ('new_clients', 'existing_clients', 'both', 'staff_only')),
          CONSTRAINT ck_availability_blocks_formats_known CHECK (
            cardinality(formats) >= 1
            AND formats <@ ARRAY['in_person', 'video', 'phone']::text[]
          ),
          CONSTRAINT ck_availability_blocks_when
            CHECK ((cardinality(weekdays) > 0) <> (on_date IS NOT NULL)),
          CONSTRAINT ck_availability_blocks_weekdays
            CHECK (weekdays <@ ARRAY[0, 1, 2, 3, 4, 5, 6]::smallint[]),
          CONSTRAINT ck_availability_blocks_hours CHECK (end_time > start_time),
          CONSTRAINT ck_availability_blocks_dates
            CHECK (effective_to IS NULL OR effective_to >= effective_from)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_availability_blocks_provider ON availability_blocks"
        " (practice_id, provider_id, effective_from)"
    )
    _tenant_rls("availability_blocks")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON availability_blocks TO pr_app")


def _series() -> None:
    op.execute(
        """
        CREATE TABLE appointment_series (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          case_id uuid NOT NULL,
          provider_id uuid NOT NULL,
          service_id uuid NOT NULL,
          location_id uuid NOT NULL,
          format text NOT NULL,
          frequency text NOT NULL,
          every integer NOT NULL DEFAULT 1,
          weekdays smallint[] NOT NULL DEFAULT '{}',
          week_of_month smallint,
          first_day date NOT NULL,
          local_time time NOT NULL,
          timezone text NOT NULL,
          duration_minutes integer NOT NULL,
          occurrences integer,
          last_day date,
          rrule text NOT NULL,
          materialized_until timestamptz,
          ended_at timestamptz,
          created_by_staff_id uuid,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_appointment_series PRIMARY KEY (id),
          CONSTRAINT uq_appointment_series_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_appointment_series_case
            FOREIGN KEY (practice_id, case_id) REFERENCES cases (practice_id, id),
          CONSTRAINT fk_appointment_series_provider
            FOREIGN KEY (practice_id, provider_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT fk_appointment_series_service
            FOREIGN KEY (practice_id, service_id) REFERENCES practice_services (practice_id, id),
          CONSTRAINT fk_appointment_series_location
            FOREIGN KEY (practice_id, location_id) REFERENCES locations (practice_id, id),
          CONSTRAINT ck_appointment_series_frequency_known
            CHECK (frequency IN ('weekly', 'monthly')),
          CONSTRAINT ck_appointment_series_every CHECK (every BETWEEN 1 AND 12),
          CONSTRAINT ck_appointment_series_duration CHECK (duration_minutes BETWEEN 5 AND 720),
          CONSTRAINT ck_appointment_series_end
            CHECK (occurrences IS NULL OR last_day IS NULL)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_appointment_series_horizon ON appointment_series"
        " (practice_id, materialized_until) WHERE ended_at IS NULL"
    )
    _tenant_rls("appointment_series")
    op.execute("GRANT SELECT, INSERT, UPDATE ON appointment_series TO pr_app")


def _appointments() -> None:
    op.execute(
        f"""
        CREATE TABLE appointments (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          case_id uuid NOT NULL,
          provider_id uuid NOT NULL,
          service_id uuid NOT NULL,
          location_id uuid NOT NULL,
          format text NOT NULL,
          starts_at timestamptz NOT NULL,
          ends_at timestamptz NOT NULL,
          status text NOT NULL DEFAULT 'scheduled',
          fee_cents integer NOT NULL,
          pos_code text,
          modifiers text[] NOT NULL DEFAULT '{{}}',
          supervisor_id uuid,
          memo text,
          series_id uuid,
          occurrence_local timestamp,
          sequence integer NOT NULL DEFAULT 0,
          created_by_staff_id uuid,
          cancelled_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_appointments PRIMARY KEY (id),
          CONSTRAINT uq_appointments_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT fk_appointments_case
            FOREIGN KEY (practice_id, case_id) REFERENCES cases (practice_id, id),
          CONSTRAINT fk_appointments_provider
            FOREIGN KEY (practice_id, provider_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT fk_appointments_service
            FOREIGN KEY (practice_id, service_id) REFERENCES practice_services (practice_id, id),
          CONSTRAINT fk_appointments_location
            FOREIGN KEY (practice_id, location_id) REFERENCES locations (practice_id, id),
          CONSTRAINT fk_appointments_supervisor
            FOREIGN KEY (practice_id, supervisor_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT fk_appointments_series
            FOREIGN KEY (practice_id, series_id) REFERENCES appointment_series (practice_id, id),
          CONSTRAINT uq_appointments_occurrence UNIQUE (practice_id, series_id, occurrence_local),
          CONSTRAINT ck_appointments_occurrence_of_series
            CHECK ((series_id IS NULL) = (occurrence_local IS NULL)),
          CONSTRAINT fk_appointments_created_by
            FOREIGN KEY (practice_id, created_by_staff_id) REFERENCES staff_members (practice_id, id),
          CONSTRAINT ck_appointments_format_known CHECK (format IN ('in_person', 'video', 'phone')),
          CONSTRAINT ck_appointments_status_known CHECK (status IN (
            'scheduled', 'attended', 'cancelled_by_client', 'cancelled_by_practice',
            'late_cancelled', 'no_show'
          )),
          CONSTRAINT ck_appointments_times CHECK (
            ends_at > starts_at AND ends_at - starts_at <= interval '12 hours'
          ),
          CONSTRAINT ck_appointments_fee CHECK (fee_cents BETWEEN 0 AND 10000000),
          CONSTRAINT ck_appointments_pos CHECK (pos_code ~ '^[0-9]{{2}}$'),
          CONSTRAINT ck_appointments_modifiers_known
            CHECK (modifiers <@ ARRAY['95', '93', 'FQ', 'GT', 'HO', 'HN', 'HJ']::text[]),
          CONSTRAINT ck_appointments_memo CHECK (char_length(memo) <= 2000),
          CONSTRAINT ck_appointments_cancelled
            CHECK ((status IN ('cancelled_by_client', 'cancelled_by_practice', 'late_cancelled'))
                   = (cancelled_at IS NOT NULL)),
          CONSTRAINT ex_appointments_provider_time EXCLUDE USING gist (
            practice_id WITH =, provider_id WITH =, tstzrange(starts_at, ends_at) WITH &&
          ) WHERE (status IN {TIME_HOLDING})
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_appointments_provider_time"
        " ON appointments (practice_id, provider_id, starts_at)"
    )
    op.execute("CREATE INDEX ix_appointments_time ON appointments (practice_id, starts_at)")
    op.execute(
        "CREATE INDEX ix_appointments_case ON appointments (practice_id, case_id, starts_at)"
    )
    _tenant_rls("appointments")
    op.execute("GRANT SELECT, INSERT, UPDATE ON appointments TO pr_app")

    op.execute(
        """
        CREATE TABLE appointment_attendance (
          practice_id uuid NOT NULL,
          appointment_id uuid NOT NULL,
          person_id uuid NOT NULL,
          status text NOT NULL DEFAULT 'expected',
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_appointment_attendance
            PRIMARY KEY (practice_id, appointment_id, person_id),
          CONSTRAINT fk_appointment_attendance_appointment
            FOREIGN KEY (practice_id, appointment_id) REFERENCES appointments (practice_id, id),
          CONSTRAINT fk_appointment_attendance_person
            FOREIGN KEY (practice_id, person_id) REFERENCES people (practice_id, id),
          CONSTRAINT ck_appointment_attendance_status_known
            CHECK (status IN ('expected', 'present', 'absent', 'late_cancelled', 'no_show'))
        )
        """
    )
    _tenant_rls("appointment_attendance")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON appointment_attendance TO pr_app")

    # A provider with an appointment in a case reaches it (decisions.md: "own case").
    op.execute(
        """
        CREATE FUNCTION sync_appointment_access() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND OLD.provider_id IS DISTINCT FROM NEW.provider_id THEN
            IF NOT EXISTS (
              SELECT 1 FROM appointments
               WHERE practice_id = OLD.practice_id AND case_id = OLD.case_id
                 AND provider_id = OLD.provider_id AND id <> OLD.id
            ) THEN
              DELETE FROM case_access
               WHERE practice_id = OLD.practice_id AND staff_id = OLD.provider_id
                 AND case_id = OLD.case_id AND reason = 'appointment';
            END IF;
          END IF;
          INSERT INTO case_access (practice_id, staff_id, case_id, reason)
          VALUES (NEW.practice_id, NEW.provider_id, NEW.case_id, 'appointment')
          ON CONFLICT DO NOTHING;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER appointments_access AFTER INSERT OR UPDATE OF provider_id"
        " ON appointments FOR EACH ROW EXECUTE FUNCTION sync_appointment_access()"
    )


def _notices() -> None:
    op.execute(
        """
        CREATE TABLE appointment_notices (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          appointment_id uuid NOT NULL,
          person_id uuid NOT NULL,
          kind text NOT NULL,
          sequence integer NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          sent_at timestamptz,
          skipped_at timestamptz,
          mail_id uuid,
          CONSTRAINT pk_appointment_notices PRIMARY KEY (id),
          CONSTRAINT uq_appointment_notices_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_appointment_notices_once
            UNIQUE (practice_id, appointment_id, person_id, sequence),
          CONSTRAINT fk_appointment_notices_appointment
            FOREIGN KEY (practice_id, appointment_id) REFERENCES appointments (practice_id, id),
          CONSTRAINT fk_appointment_notices_person
            FOREIGN KEY (practice_id, person_id) REFERENCES people (practice_id, id),
          CONSTRAINT ck_appointment_notices_kind_known
            CHECK (kind IN ('booked', 'rescheduled', 'cancelled')),
          CONSTRAINT ck_appointment_notices_once_done
            CHECK (num_nonnulls(sent_at, skipped_at) <= 1)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_appointment_notices_due ON appointment_notices (practice_id, created_at)"
        " WHERE sent_at IS NULL AND skipped_at IS NULL"
    )
    _tenant_rls("appointment_notices")
    op.execute("GRANT SELECT, INSERT, UPDATE ON appointment_notices TO pr_app")


def _feeds() -> None:
    op.execute(
        """
        CREATE TABLE calendar_feeds (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          practice_id uuid NOT NULL,
          staff_id uuid NOT NULL,
          token_hash bytea NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          last_read_at timestamptz,
          revoked_at timestamptz,
          CONSTRAINT pk_calendar_feeds PRIMARY KEY (id),
          CONSTRAINT uq_calendar_feeds_practice_id_id UNIQUE (practice_id, id),
          CONSTRAINT uq_calendar_feeds_token UNIQUE (token_hash),
          CONSTRAINT fk_calendar_feeds_staff
            FOREIGN KEY (practice_id, staff_id) REFERENCES staff_members (practice_id, id)
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX ix_calendar_feeds_live ON calendar_feeds (practice_id, staff_id)"
        " WHERE revoked_at IS NULL"
    )
    _tenant_rls("calendar_feeds")
    op.execute("GRANT SELECT, INSERT, UPDATE ON calendar_feeds TO pr_app")
    # A subscription URL carries no session: the token finds its practice (ids only).
    op.execute(
        """
        CREATE FUNCTION xp_calendar_feed_by_token(p_hash bytea)
        RETURNS TABLE(practice_id uuid, feed_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
        AS $$ SELECT practice_id, id FROM calendar_feeds
              WHERE token_hash = p_hash AND revoked_at IS NULL $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION xp_calendar_feed_by_token(bytea) FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION xp_calendar_feed_by_token(bytea) TO pr_app")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    _catalog()
    _availability()
    _series()
    _appointments()
    _notices()
    _feeds()


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS xp_calendar_feed_by_token(bytea)")
    for table in (
        "calendar_feeds",
        "appointment_notices",
        "appointment_attendance",
        "appointments",
        "appointment_series",
        "availability_blocks",
        "locations",
        "practice_services",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute("DROP FUNCTION IF EXISTS sync_appointment_access()")
