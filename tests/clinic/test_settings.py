"""Settings come from the environment; a malformed value stops start-up naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinic.config import load

ROOT = Path(__file__).resolve().parents[2]
PROD = {"SECRET_KEY": "x" * 60}


def test_defaults_are_production_safe(tmp_path: Path) -> None:
    config = load(PROD, tmp_path)
    assert config.debug is False
    assert config.secure_ssl_redirect is True
    assert config.redis_url is None
    assert config.database["ENGINE"] == "django.db.backends.sqlite3"
    assert config.database["NAME"] == str(tmp_path / "var" / "db.sqlite3")
    assert config.time_zone == "America/New_York"
    assert config.hsts_seconds > 0


def test_debug_turns_ssl_redirect_off_by_default(tmp_path: Path) -> None:
    config = load({"DEBUG": "1"}, tmp_path)
    assert config.debug is True
    assert config.secure_ssl_redirect is False
    assert len(config.secret_key) >= 50  # a generated development key under var/
    assert (tmp_path / "var" / "dev-secret-key").read_text().strip() == config.secret_key


def test_ssl_redirect_can_be_turned_off_behind_a_plain_http_proxy(tmp_path: Path) -> None:
    assert load({**PROD, "SECURE_SSL_REDIRECT": "off"}, tmp_path).secure_ssl_redirect is False


def test_postgres_url_gets_persistent_connections(tmp_path: Path) -> None:
    config = load({**PROD, "DATABASE_URL": "postgres://kap:pw@db:5432/kap", "DB_CONN_MAX_AGE": "120"}, tmp_path)
    assert config.database["ENGINE"] == "django.db.backends.postgresql"
    assert config.database["NAME"] == "kap"
    assert config.database["HOST"] == "db"
    assert config.database["CONN_MAX_AGE"] == 120
    assert config.database["CONN_HEALTH_CHECKS"] is True


def test_redis_and_email_urls(tmp_path: Path) -> None:
    config = load({**PROD, "REDIS_URL": "redis://127.0.0.1:6379/2", "EMAIL_URL": "smtp://mail:1025"}, tmp_path)
    assert config.redis_url == "redis://127.0.0.1:6379/2"
    assert config.email["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert config.email["OPTIONS"] == {"host": "mail", "port": 1025, "timeout": 30}  # a hung server ends a send


def test_allowed_hosts_is_a_comma_list(tmp_path: Path) -> None:
    assert load({**PROD, "ALLOWED_HOSTS": "a.example, b.example"}, tmp_path).allowed_hosts == [
        "a.example",
        "b.example",
    ]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({**PROD, "SECURE_SSL_REDIRECT": "sometimes"}, "SECURE_SSL_REDIRECT"),
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({**PROD, "DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({**PROD, "DATABASE_URL": "postgres://x@y:5432"}, "DATABASE_URL"),
        ({**PROD, "REDIS_URL": "http://localhost"}, "REDIS_URL"),
        ({**PROD, "EMAIL_URL": "pigeon://coop"}, "EMAIL_URL"),
        ({**PROD, "CLINIC_TIME_ZONE": "Mars/Olympus"}, "CLINIC_TIME_ZONE"),
        ({**PROD, "DB_CONN_MAX_AGE": "forever"}, "DB_CONN_MAX_AGE"),
        ({**PROD, "DB_CONN_MAX_AGE": "-1"}, "DB_CONN_MAX_AGE"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, env: dict[str, str], named: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=named):
        load(env, tmp_path)


def test_start_up_fails_with_the_variable_named() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DEBUG": "perhaps", "DJANGO_SETTINGS_MODULE": "clinic.settings"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "DEBUG='perhaps' is not a boolean" in result.stderr


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright's thread; a deployment never has it.
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"SECRET_KEY": "k" * 20 + "-not-a-real-secret-" + "q" * 30, "ALLOWED_HOSTS": "clinic.example.org"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
