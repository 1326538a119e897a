"""Settings, read once from the environment by the entry points (api, worker, devstack, scripts).

Nothing below the entry points reads settings globally: values are passed into factories.
Every setting is listed in the README's configuration table; `KNOWN_SETTINGS` is the same
list in code (the compose test checks the compose file against it).

Development defaults point at the embedded stack that `make run` starts (Postgres under
`var/pgdata`, the Temporal dev server, localstripe, the mail outbox). With
`ENVIRONMENT=production` the defaults that only make sense on a laptop are refused.
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"
EMBEDDED_PGDATA = VAR_DIR / "pgdata"
EMBEDDED_DATABASE = "practicerunner"
EMBEDDED_OWNER_ROLE = "practicerunner_owner"
EMBEDDED_APP_ROLE = "practicerunner_app"

# Placeholders: fine on a laptop, refused in production.
PLACEHOLDER_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"
PLACEHOLDER_PAYLOAD_KEYS = "dev1:" + base64.b64encode(b"practicerunner-dev-payload-key-1").decode()
PLACEHOLDER_STRIPE_KEY = "sk_test_localstripe_placeholder"
LOCALSTRIPE_BASE = "http://127.0.0.1:8420"

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MIN_AUDIT_RETENTION_MONTHS = 72  # HIPAA documentation retention: 6 years


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class SettingsError(ValueError):
    """The configuration cannot be used; the message lists every problem."""


def embedded_url(
    role: str, pgdata: Path = EMBEDDED_PGDATA, database: str = EMBEDDED_DATABASE
) -> str:
    """SQLAlchemy URL of the embedded Postgres: a Unix socket in the data directory, trust auth."""
    return f"postgresql+psycopg://{role}@/{database}?host={pgdata}"


def normalise_db_url(url: str) -> str:
    """Accept `postgres://` and `postgresql://` and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def parse_payload_keys(raw: str) -> list[tuple[str, bytes]]:
    """`kid:base64key[,kid:base64key...]`; the first key encrypts, all keys decrypt (rotation)."""
    keys: list[tuple[str, bytes]] = []
    for part in [p.strip() for p in raw.split(",") if p.strip()]:
        kid, sep, b64 = part.partition(":")
        if not sep or not kid:
            raise ValueError("each PAYLOAD_KEYS entry must look like 'key-id:base64-key'")
        try:
            key = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"PAYLOAD_KEYS entry {kid!r} is not valid base64") from exc
        if len(key) != 32:
            raise ValueError(f"PAYLOAD_KEYS entry {kid!r} must decode to 32 bytes (AES-256)")
        if any(k == kid for k, _ in keys):
            raise ValueError(f"PAYLOAD_KEYS has key id {kid!r} twice")
        keys.append((kid, key))
    if not keys:
        raise ValueError("PAYLOAD_KEYS needs at least one key")
    return keys


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=True,
        hide_input_in_errors=True,  # errors must not print secrets (PAYLOAD_KEYS, URLs)
    )

    ENVIRONMENT: Environment = Environment.development
    DATABASE_URL: str = Field(default_factory=lambda: embedded_url(EMBEDDED_APP_ROLE))
    DATABASE_OWNER_URL: str = Field(default_factory=lambda: embedded_url(EMBEDDED_OWNER_ROLE))
    DATABASE_POOL_SIZE: int = Field(default=10, ge=1, le=200)
    TEMPORAL_ADDRESS: str = "127.0.0.1:7233"
    TEMPORAL_NAMESPACE: str = "default"
    TEMPORAL_UI_URL: str = "http://127.0.0.1:8233"
    STRIPE_API_KEY: SecretStr = SecretStr(PLACEHOLDER_STRIPE_KEY)
    STRIPE_API_BASE: str | None = LOCALSTRIPE_BASE
    SMTP_URL: SecretStr | None = None
    MAIL_FROM: str = "PracticeRunner <no-reply@practicerunner.localhost>"
    SECRET_KEY: SecretStr = SecretStr(PLACEHOLDER_SECRET_KEY)
    PAYLOAD_KEYS: SecretStr = SecretStr(PLACEHOLDER_PAYLOAD_KEYS)
    OPERATOR_EMAILS: Annotated[list[str], NoDecode] = Field(default_factory=list)
    APP_BASE_URL: str = "http://127.0.0.1:8000"
    AUDIT_RETENTION_MONTHS: int = Field(default=84, ge=1)
    DEMO_SEED: bool | None = None
    PASSWORD_HASHING: Literal["standard", "fast-for-tests"] = "standard"
    # Below Stripe's test-mode limit of 25 requests/s (reliability §2.2); live allows 100.
    STRIPE_ACTIVITIES_PER_SECOND: float = Field(default=20.0, gt=0)
    OUTBOX_SWEEP_SECONDS: float = Field(default=5.0, gt=0)
    BLOB_MAX_BYTES: int = Field(default=10 * 1024 * 1024, gt=0)
    LOG_LEVEL: str = "INFO"

    @field_validator("DATABASE_URL", "DATABASE_OWNER_URL")
    @classmethod
    def _normalise_db(cls, value: str) -> str:
        return normalise_db_url(value)

    @field_validator("OPERATOR_EMAILS", mode="before")
    @classmethod
    def _split_emails(cls, value: object) -> object:
        if isinstance(value, str):
            return [e.strip().lower() for e in value.split(",") if e.strip()]
        return value

    @field_validator("PAYLOAD_KEYS")
    @classmethod
    def _check_payload_keys(cls, value: SecretStr) -> SecretStr:
        parse_payload_keys(value.get_secret_value())
        return value

    @field_validator("APP_BASE_URL", "TEMPORAL_UI_URL")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.ENVIRONMENT is not Environment.production:
            return self
        problems: list[str] = []
        if self.SECRET_KEY.get_secret_value() == PLACEHOLDER_SECRET_KEY:
            problems.append("SECRET_KEY is the development placeholder")
        elif len(self.SECRET_KEY.get_secret_value()) < 32:
            problems.append("SECRET_KEY must be at least 32 characters")
        if self.PAYLOAD_KEYS.get_secret_value() == PLACEHOLDER_PAYLOAD_KEYS or any(
            kid == "dev1" for kid, _ in self.payload_keys
        ):
            problems.append("PAYLOAD_KEYS is the development placeholder")
        if self.STRIPE_API_KEY.get_secret_value() == PLACEHOLDER_STRIPE_KEY:
            problems.append("STRIPE_API_KEY is the development placeholder")
        if self.STRIPE_API_BASE and urlsplit(self.STRIPE_API_BASE).hostname in LOOPBACK_HOSTS:
            problems.append("STRIPE_API_BASE points at a local fake Stripe")
        if self.PASSWORD_HASHING != "standard":
            problems.append("PASSWORD_HASHING must be standard")
        if self.DEMO_SEED:
            problems.append("DEMO_SEED is on: demo data is never seeded in production")
        if str(EMBEDDED_PGDATA) in self.DATABASE_URL or str(EMBEDDED_PGDATA) in (
            self.DATABASE_OWNER_URL
        ):
            problems.append(
                "DATABASE_URL and DATABASE_OWNER_URL must be set (no embedded Postgres)"
            )
        if not self.APP_BASE_URL.startswith("https://"):
            problems.append("APP_BASE_URL must be an https:// address")
        if self.AUDIT_RETENTION_MONTHS < MIN_AUDIT_RETENTION_MONTHS:
            problems.append(f"AUDIT_RETENTION_MONTHS must be at least {MIN_AUDIT_RETENTION_MONTHS}")
        if problems:
            raise SettingsError(
                "refusing to start with ENVIRONMENT=production: " + "; ".join(problems)
            )
        return self

    @property
    def payload_keys(self) -> list[tuple[str, bytes]]:
        return parse_payload_keys(self.PAYLOAD_KEYS.get_secret_value())

    @property
    def demo_seed_enabled(self) -> bool:
        if self.DEMO_SEED is None:
            return self.ENVIRONMENT is Environment.development
        return self.DEMO_SEED

    @property
    def is_production(self) -> bool:
        return self.ENVIRONMENT is Environment.production

    @property
    def dev_pages_enabled(self) -> bool:
        """The mail-outbox viewer and other development pages: never in production, and
        only when the app is served on loopback (a deployment that forgot ENVIRONMENT
        must not publish every practice's outbox). The routes also refuse non-loopback
        clients."""
        if self.ENVIRONMENT is Environment.production:
            return False
        return urlsplit(self.APP_BASE_URL).hostname in LOOPBACK_HOSTS


KNOWN_SETTINGS: frozenset[str] = frozenset(Settings.model_fields)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Entry points only. Raises `SettingsError` with every problem listed."""
    try:
        return Settings()
    except SettingsError:
        raise
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise SettingsError(str(exc)) from exc
