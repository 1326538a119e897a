"""Facts about the database role the app runs as: the tenancy-in-depth self-check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from models.contracts.system_check import DatabaseCheck

_ROLE = text(
    """
    SELECT current_user AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypass_rls,
           now() AS checked_at,
           EXISTS (
             SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
               AND pg_has_role(current_user, c.relowner, 'USAGE')
           ) AS owns_tables,
           ARRAY(
             SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
               AND NOT c.relrowsecurity AND c.relname <> 'alembic_version'
               AND has_table_privilege(current_user, c.oid, 'SELECT')
             ORDER BY 1
           ) AS tables_without_rls
    FROM pg_roles r WHERE r.rolname = current_user
    """
)
_REVISION = text("SELECT version_num FROM alembic_version LIMIT 1")


async def check_database(session: AsyncSession) -> DatabaseCheck:
    row = (await session.execute(_ROLE)).one()
    revision = (await session.execute(_REVISION)).scalar_one_or_none()
    checked_at: datetime = row.checked_at
    return DatabaseCheck(
        role=row.role,
        superuser=row.superuser,
        bypasses_rls=row.bypass_rls,
        owns_tables=row.owns_tables,
        tables_without_rls=list(row.tables_without_rls),
        schema_revision=revision,
        checked_at=checked_at,
    )
