"""`make migrate` and `make maintain`, as the owner role (DATABASE_OWNER_URL).

maintain = migrate, then make sure the audit log has monthly partitions for the next 24
months (rows never land in the default partition) and drop partitions older than
AUDIT_RETENTION_MONTHS. Run it monthly (cron) in production. With the embedded
database it starts Postgres if `make run` is not running, and stops it again.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from sqlalchemy import create_engine, text

from core.settings import (
    EMBEDDED_APP_ROLE,
    EMBEDDED_DATABASE,
    EMBEDDED_OWNER_ROLE,
    EMBEDDED_PGDATA,
    PROJECT_ROOT,
    embedded_url,
    get_settings,
)

PARTITION_MONTHS_AHEAD = 24


def main() -> int:
    parser = argparse.ArgumentParser(description="migrate and maintain the database")
    parser.add_argument("--migrate-only", action="store_true")
    args = parser.parse_args()
    settings = get_settings()
    pg = None
    if embedded_url(EMBEDDED_APP_ROLE) == settings.DATABASE_URL:
        from devstack.pg import EmbeddedPostgres, bootstrap_owner_and_database

        pg = EmbeddedPostgres(EMBEDDED_PGDATA)
        if not pg.start():
            pg = None  # `make run` owns it; leave it running
        else:
            with pg.connect() as conn:
                bootstrap_owner_and_database(conn, EMBEDDED_OWNER_ROLE, EMBEDDED_DATABASE)
    try:
        subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=PROJECT_ROOT, check=True
        )
        print("• migrations at head")
        if args.migrate_only:
            return 0
        engine = create_engine(settings.DATABASE_OWNER_URL)
        with engine.begin() as conn:
            created = conn.execute(
                text("SELECT audit_ensure_partitions(:n)"), {"n": PARTITION_MONTHS_AHEAD}
            ).scalar_one()
            dropped = conn.execute(
                text("SELECT audit_apply_retention(:m)"), {"m": settings.AUDIT_RETENTION_MONTHS}
            ).scalar_one()
        engine.dispose()
        print(
            f"• audit log: {created} partition(s) added; {dropped} older than "
            f"{settings.AUDIT_RETENTION_MONTHS} months dropped"
        )
        return 0
    finally:
        if pg is not None:
            pg.stop()


if __name__ == "__main__":
    sys.exit(main())
