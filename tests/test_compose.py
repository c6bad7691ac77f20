"""The docker compose stack, read as data: services, images, health checks and start-up order."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
ALL_SERVICES = (*APP_SERVICES, "db", "redis", "mail")
ONE_SHOT = ("migrate",)

type Services = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def services() -> Services:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services: Services = compose["services"]
    return services


def command_text(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def healthcheck_text(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def image_version(image: str, name: str) -> int:
    match = re.fullmatch(rf"(?:docker\.io/)?(?:library/)?{name}:(\d+)(?:[.-].*)?", image)
    assert match, f"{image!r} is not a {name}:<major> image"
    return int(match.group(1))


def test_has_every_service(services: Services) -> None:
    assert set(ALL_SERVICES) | set(ONE_SHOT) <= set(services)


@pytest.mark.parametrize("name", ALL_SERVICES)
def test_every_service_has_a_healthcheck(services: Services, name: str) -> None:
    test = services[name]["healthcheck"]["test"]
    assert test
    if isinstance(test, list):
        assert test[0] in {"CMD", "CMD-SHELL"}


@pytest.mark.parametrize("name", [*APP_SERVICES, *ONE_SHOT])
def test_app_services_share_the_env_file_and_the_image(services: Services, name: str) -> None:
    service = services[name]
    env_file = service["env_file"]
    paths = [env_file] if isinstance(env_file, str) else [e if isinstance(e, str) else e["path"] for e in env_file]
    assert paths == [".env"]
    assert service["build"] == services["web"]["build"]
    assert service["image"] == services["web"]["image"]


def test_migrations_run_once_as_the_owner_before_web_serves_with_gunicorn(services: Services) -> None:
    migrate = services["migrate"]
    assert command_text(migrate) == "python manage.py migrate --noinput"
    assert migrate["environment"]["DATABASE_URL"].startswith("${MIGRATE_DATABASE_URL")
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    command = command_text(services["web"])
    assert "migrate" not in command
    assert command.startswith("gunicorn clinic.wsgi:application")
    assert "0.0.0.0:8000" in command
    assert any(str(port).endswith("8000") for port in services["web"]["ports"])
    assert "/healthz/" in healthcheck_text(services["web"])


def test_worker_and_beat_run_celery(services: Services) -> None:
    assert command_text(services["worker"]).startswith("celery -A clinic worker")
    assert command_text(services["beat"]).startswith("celery -A clinic beat")
    assert "inspect ping" in healthcheck_text(services["worker"])


@pytest.mark.parametrize(
    ("name", "needs"),
    [
        ("web", {"db", "redis"}),
        ("worker", {"web", "redis"}),
        ("beat", {"web", "redis"}),
    ],
)
def test_waits_for_healthy_dependencies(services: Services, name: str, needs: set[str]) -> None:
    depends_on = services[name]["depends_on"]
    assert isinstance(depends_on, dict), "depends_on needs the long form to state a condition"
    assert needs <= set(depends_on)
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert all(spec["condition"] == "service_healthy" for name, spec in depends_on.items() if name != "migrate")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_the_application_connects_as_a_role_that_owns_nothing(services: Services, name: str) -> None:
    assert "DATABASE_URL" not in services[name].get("environment", {})  # the app role of .env
    lines = (ROOT / ".env.example").read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert env["DATABASE_URL"].startswith("postgres://kap_app:")
    assert env["MIGRATE_DATABASE_URL"].startswith("postgres://kap_owner:")


def test_the_database_creates_the_owner_and_application_roles_on_first_start(services: Services) -> None:
    db = services["db"]
    assert db["environment"]["KAP_DB_OWNER"] == "kap_owner"
    assert db["environment"]["KAP_DB_APP"] == "kap_app"
    assert "./docker/postgres/initdb:/docker-entrypoint-initdb.d:ro" in db["volumes"]
    assert "./docker/postgres/roles.sql:/kap/roles.sql:ro" in db["volumes"]
    script = (ROOT / "docker/postgres/initdb/10-kap-roles.sh").read_text()
    assert "-f /kap/roles.sql" in script
    roles = (ROOT / "docker/postgres/roles.sql").read_text()
    assert "REVOKE UPDATE, DELETE, TRUNCATE ON clinic_auditevent" in roles
    assert "ALTER DEFAULT PRIVILEGES FOR ROLE" in roles


def test_postgres_is_16_or_newer_with_a_volume(services: Services) -> None:
    db = services["db"]
    assert image_version(db["image"], "postgres") >= 16
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    assert "pg_isready" in healthcheck_text(db)


def test_redis_is_7(services: Services) -> None:
    assert image_version(services["redis"]["image"], "redis") == 7
    assert "redis-cli" in healthcheck_text(services["redis"])
    assert "ping" in healthcheck_text(services["redis"])


def test_mail_is_mailpit_with_its_web_ui(services: Services) -> None:
    mail = services["mail"]
    assert mail["image"].split(":")[0] == "axllent/mailpit"
    assert any(str(port).endswith("8025") for port in mail["ports"])


def test_env_example_points_at_the_compose_services() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert env["DEBUG"] == "0"
    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@db:5432/" in env["DATABASE_URL"]
    assert "@db:5432/" in env["MIGRATE_DATABASE_URL"]
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["EMAIL_URL"] == "smtp://mail:1025"
    assert env["SECRET_KEY"] == "change-me"


def test_dockerfile_builds_on_python_312_or_newer() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM\s+(?:--\S+\s+)*(\S+)", dockerfile, flags=re.MULTILINE | re.IGNORECASE)
    assert bases, "no FROM line"
    match = re.fullmatch(r"(?:docker\.io/)?(?:library/)?python:(\d+)\.(\d+)(?:[.-].*)?", bases[-1])
    assert match, f"final stage {bases[-1]!r} is not an official python image"
    assert (int(match.group(1)), int(match.group(2))) >= (3, 12)
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users, "the image must switch to a non-root user"
    assert users[-1] not in {"root", "0"}
