"""Alembic environment: runs as the owner role, then ensures the app login role.

URLs, in order: `config.attributes["owner_url"]` / `["app_url"]` (tests, devstack), then
DATABASE_OWNER_URL / DATABASE_URL from the environment (core.settings).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from core.settings import get_settings
from migrations.roles import ensure_app_login_role
from models.orm import Base

config = context.config
target_metadata = Base.metadata


def _urls() -> tuple[str, str]:
    owner_url = config.attributes.get("owner_url")
    app_url = config.attributes.get("app_url")
    if owner_url is None or app_url is None:
        settings = get_settings()
        owner_url = owner_url or settings.DATABASE_OWNER_URL
        app_url = app_url or settings.DATABASE_URL
    return str(owner_url), str(app_url)


def run_migrations_offline() -> None:
    owner_url, _ = _urls()
    context.configure(url=owner_url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    owner_url, app_url = _urls()
    engine = create_engine(owner_url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
            ensure_app_login_role(connection, app_url)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
