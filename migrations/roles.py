"""The application login role: created idempotently by every `alembic upgrade` run.

Tables belong to the owner role (DATABASE_OWNER_URL) that runs migrations. The API, the
worker and the tests connect as the login role named in DATABASE_URL; it is a member of
the NOLOGIN group role `pr_app`, which holds every grant the migrations give, and it owns
nothing, is no superuser and cannot bypass row-level security.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

APP_GROUP_ROLE = "pr_app"


class RoleSetupError(RuntimeError):
    pass


def ensure_app_login_role(connection: Connection, app_url: str) -> str:
    url = make_url(app_url)
    role = url.username
    if not role:
        raise RoleSetupError("DATABASE_URL names no user: the app needs its own login role")
    owner = connection.execute(text("SELECT current_user")).scalar_one()
    if role == owner:
        raise RoleSetupError(
            f"DATABASE_URL uses the owner role {owner!r}: the app must connect as a role "
            "that owns nothing (row-level security does not apply to table owners)"
        )
    quoted = connection.dialect.identifier_preparer.quote(role)
    row = connection.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).first()
    if row is None:
        connection.execute(
            text(
                f"CREATE ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                "NOBYPASSRLS INHERIT"
            )
        )
    elif row.rolsuper or row.rolbypassrls:
        raise RoleSetupError(
            f"DATABASE_URL role {role!r} is a superuser or bypasses row-level security; "
            "use a plain login role"
        )
    if url.password:
        literal = connection.exec_driver_sql("SELECT quote_literal(%s)", (url.password,)).scalar()
        connection.execute(text(f"ALTER ROLE {quoted} PASSWORD {literal}"))
    connection.execute(text(f"GRANT {APP_GROUP_ROLE} TO {quoted}"))
    database = connection.dialect.identifier_preparer.quote(
        connection.execute(text("SELECT current_database()")).scalar_one()
    )
    connection.execute(text(f"GRANT CONNECT ON DATABASE {database} TO {APP_GROUP_ROLE}"))
    return role
