from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from core.settings import (
    KNOWN_SETTINGS,
    Environment,
    Settings,
    SettingsError,
    get_settings,
    parse_payload_keys,
)

REAL_KEY = base64.b64encode(b"k" * 32).decode()
GOOD_PRODUCTION = {
    "ENVIRONMENT": "production",
    "DATABASE_URL": "postgresql://app:pw@db.internal/practicerunner",
    "DATABASE_OWNER_URL": "postgresql://owner:pw@db.internal/practicerunner",
    "SECRET_KEY": "s" * 48,
    "PAYLOAD_KEYS": f"2026-11:{REAL_KEY}",
    "STRIPE_API_KEY": "sk_live_123",
    "STRIPE_API_BASE": "",
    "APP_BASE_URL": "https://app.example.org/",
}


def make(**env: str) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[arg-type]


class TestProduction:
    def test_placeholders_and_laptop_defaults_are_refused_all_at_once(self) -> None:
        with pytest.raises(ValidationError) as err:
            make(ENVIRONMENT="production")
        message = str(err.value)
        for problem in (
            "SECRET_KEY is the development placeholder",
            "PAYLOAD_KEYS is the development placeholder",
            "STRIPE_API_KEY is the development placeholder",
            "STRIPE_API_BASE points at a local fake Stripe",
            "DATABASE_URL and DATABASE_OWNER_URL must be set",
            "APP_BASE_URL must be an https:// address",
        ):
            assert problem in message

    def test_demo_seeding_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="DEMO_SEED is on"):
            make(**GOOD_PRODUCTION, DEMO_SEED="true")

    def test_short_retention_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="AUDIT_RETENTION_MONTHS must be at least 72"):
            make(**GOOD_PRODUCTION, AUDIT_RETENTION_MONTHS="12")

    def test_real_values_are_accepted(self) -> None:
        settings = make(**GOOD_PRODUCTION)
        assert settings.is_production
        assert not settings.demo_seed_enabled
        assert not settings.dev_pages_enabled
        assert settings.DATABASE_URL.startswith("postgresql+psycopg://")
        assert settings.APP_BASE_URL == "https://app.example.org"

    def test_get_settings_reports_a_settings_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ENVIRONMENT", "production")
        monkeypatch.chdir("/")  # no .env
        get_settings.cache_clear()
        try:
            with pytest.raises(SettingsError, match="refusing to start"):
                get_settings()
        finally:
            get_settings.cache_clear()


class TestDevelopment:
    def test_defaults_point_at_the_embedded_stack(self) -> None:
        settings = make()
        assert settings.ENVIRONMENT is Environment.development
        assert "var/pgdata" in settings.DATABASE_URL
        assert settings.demo_seed_enabled
        assert settings.dev_pages_enabled

    def test_operator_emails_are_a_comma_list(self) -> None:
        settings = make(OPERATOR_EMAILS=" Ops@Example.org, sre@example.org ,")
        assert settings.OPERATOR_EMAILS == ["ops@example.org", "sre@example.org"]

    @pytest.mark.parametrize(
        ("raw", "problem"),
        [
            ("nokey", "key-id:base64-key"),
            ("k1:not base64!", "not valid base64"),
            ("k1:" + base64.b64encode(b"short").decode(), "32 bytes"),
            (f"k1:{REAL_KEY},k1:{REAL_KEY}", "twice"),
        ],
    )
    def test_payload_keys_are_checked(self, raw: str, problem: str) -> None:
        with pytest.raises(ValueError, match=problem):
            parse_payload_keys(raw)
        with pytest.raises(ValidationError, match=problem):
            make(PAYLOAD_KEYS=raw)

    def test_errors_never_print_the_secret(self) -> None:
        leaked = "k1:" + base64.b64encode(b"s" * 31).decode()
        with pytest.raises(ValidationError) as err:
            make(PAYLOAD_KEYS=leaked)
        assert "32 bytes" in str(err.value)
        assert leaked not in str(err.value)
        assert leaked[3:] not in str(err.value)

    def test_dev_pages_only_on_loopback(self) -> None:
        assert make(APP_BASE_URL="http://localhost:8000").dev_pages_enabled
        assert not make(APP_BASE_URL="http://practice.example.org").dev_pages_enabled

    def test_payload_keys_rotate_first_encrypts(self) -> None:
        other = base64.b64encode(b"o" * 32).decode()
        keys = parse_payload_keys(f"new:{REAL_KEY}, old:{other}")
        assert [k for k, _ in keys] == ["new", "old"]

    def test_known_settings_include_the_documented_minimum(self) -> None:
        assert {
            "DATABASE_URL",
            "DATABASE_OWNER_URL",
            "TEMPORAL_ADDRESS",
            "TEMPORAL_NAMESPACE",
            "STRIPE_API_KEY",
            "STRIPE_API_BASE",
            "SMTP_URL",
            "SECRET_KEY",
            "PAYLOAD_KEYS",
            "OPERATOR_EMAILS",
            "APP_BASE_URL",
            "ENVIRONMENT",
        } <= KNOWN_SETTINGS
