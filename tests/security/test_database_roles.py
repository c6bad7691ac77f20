"""On PostgreSQL, the application's role (docker/postgres/roles.sql) can append audit entries and read them, but
cannot change, delete or TRUNCATE them, switch off the trigger, or drop the table: only the owner could."""

from __future__ import annotations

import importlib
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
trigger_migration = importlib.import_module("clinic.migrations.0002_audit_append_only_trigger")
chain_migration = importlib.import_module("clinic.migrations.0005_security_audit_chain")

pytestmark = [pytest.mark.postgres]


def _conninfo(dbname: str) -> dict[str, object]:
    settings = connection.settings_dict
    return {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "password": settings["PASSWORD"] or None,
        "dbname": dbname,
    }


@pytest.fixture
def scratch(require_postgres: None) -> Iterator[dict[str, str]]:
    """A database of its own with the two roles, as the compose `db` service makes them on its first start."""
    assert shutil.which("psql"), "psql is needed (PostgreSQL's client)"
    suffix = secrets.token_hex(4)
    names = {"db": f"kap_roles_{suffix}", "owner": f"kap_owner_{suffix}", "app": f"kap_app_{suffix}"}
    admin = psycopg.connect(**_conninfo(connection.settings_dict["NAME"]), autocommit=True)
    admin.execute(f'CREATE DATABASE "{names["db"]}"')
    info = _conninfo(names["db"])
    env = {**os.environ, "PGPASSWORD": str(info["password"] or "")}
    try:
        result = subprocess.run(
            ["psql", "-X", "-q", "-h", str(info["host"]), "-p", str(info["port"]), "-U", str(info["user"]),
             "-d", names["db"], "-v", f"owner={names['owner']}", "-v", "owner_password=test-only-owner",
             "-v", f"app={names['app']}", "-v", "app_password=test-only-app", "-v", f"dbname={names['db']}",
             "-f", str(ROOT / "docker/postgres/roles.sql")],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        yield names
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{names["db"]}" WITH (FORCE)')
        for role in (names["app"], names["owner"]):
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()


def _as_owner_create_the_audit_table(names: dict[str, str]) -> None:
    """What `migrate` does as the owner: the table, the append-only trigger (0002) and the revocation (0003)."""
    with psycopg.connect(**_conninfo(names["db"]), autocommit=True) as conn:
        conn.execute(f'SET ROLE "{names["owner"]}"')
        conn.execute("CREATE TABLE clinic_auditevent (id bigserial PRIMARY KEY, action varchar(100) NOT NULL)")
        conn.execute(trigger_migration.CREATE)
        conn.execute(chain_migration.REVOKE)
        conn.execute("INSERT INTO clinic_auditevent (action) VALUES ('clinic.test.first')")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("UPDATE clinic_auditevent SET action = 'x.y.z'", "permission denied"),
        ("DELETE FROM clinic_auditevent", "permission denied"),
        ("TRUNCATE clinic_auditevent", "permission denied"),
        ("ALTER TABLE clinic_auditevent DISABLE TRIGGER clinic_auditevent_no_update_or_delete", "must be owner"),
        ("DROP TRIGGER clinic_auditevent_no_update_or_delete ON clinic_auditevent", "must be owner"),
        ("DROP TABLE clinic_auditevent", "must be owner"),
        ("CREATE TABLE intruder (id int)", "permission denied"),
    ],
)
def test_the_application_role_cannot_touch_the_audit_trail(
    scratch: dict[str, str], statement: str, refusal: str
) -> None:
    _as_owner_create_the_audit_table(scratch)
    with psycopg.connect(**_conninfo(scratch["db"])) as conn:
        conn.execute(f'SET ROLE "{scratch["app"]}"')
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=refusal):
            conn.execute(statement)


@pytest.mark.django_db
def test_the_application_role_appends_and_reads(scratch: dict[str, str]) -> None:
    _as_owner_create_the_audit_table(scratch)
    with psycopg.connect(**_conninfo(scratch["db"]), autocommit=True) as conn:
        conn.execute(f'SET ROLE "{scratch["app"]}"')
        conn.execute("INSERT INTO clinic_auditevent (action) VALUES ('clinic.test.second')")
        assert conn.execute("SELECT count(*) FROM clinic_auditevent").fetchone() == (2,)


@pytest.mark.django_db
def test_even_the_owner_cannot_update_or_delete_through_the_trigger(scratch: dict[str, str]) -> None:
    _as_owner_create_the_audit_table(scratch)
    with psycopg.connect(**_conninfo(scratch["db"])) as conn:
        conn.execute(f'SET ROLE "{scratch["owner"]}"')
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute("UPDATE clinic_auditevent SET action = 'x.y.z'")
