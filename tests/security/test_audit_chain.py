"""The audit trail's hash chain: it verifies, any changed, removed or reordered entry breaks it at that entry,
concurrent writers never fork it, and existing entries get their place in it from the migration."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection, connections

from clinic import audit
from clinic.audit import audit_context, verify_chain
from clinic.models import AuditEvent
from tests.conftest import World

migration = importlib.import_module("clinic.migrations.0005_security_audit_chain")


@contextmanager
def _trigger_off() -> Iterator[None]:
    """As the tests' superuser: what an attacker holding the owner role could do."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE clinic_auditevent DISABLE TRIGGER {migration.TRIGGER}")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE clinic_auditevent ENABLE TRIGGER {migration.TRIGGER}")


def _sql(statement: str, params: list[object]) -> None:
    with _trigger_off(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def _id(event: AuditEvent) -> object:
    return AuditEvent._meta.pk.get_db_prep_value(event.pk, connection)


class _Editor:
    """What the migration's RunPython function uses of a schema editor (SQLite refuses a real one in a test)."""

    connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def _three(world: World) -> list[AuditEvent]:
    with audit_context(user=world.nurse1, ip_address="2001:db8::1"):
        return [
            audit.record("clinic.test.one", patient=world.patient_a, details={"dose_mg": 25.0, "big": 1e20}),
            audit.record("clinic.test.two", patient=world.patient_a, details={"nested": {"b": [1, 2.5], "a": "é"}}),
            audit.record("clinic.test.three", details={}),
        ]


@pytest.mark.django_db
def test_the_chain_verifies_after_a_database_round_trip(world: World) -> None:
    events = _three(world)
    assert [e.sequence for e in events][-2:] == [events[0].sequence + 1, events[0].sequence + 2]
    assert events[1].prev_hash == events[0].hash
    checked, broken = verify_chain()
    assert broken is None
    assert checked == AuditEvent.objects.count()
    out = __import__("io").StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()


@pytest.mark.django_db
def test_a_changed_entry_is_reported_as_the_first_broken_link(world: World) -> None:
    events = _three(world)
    _sql("UPDATE clinic_auditevent SET details = %s WHERE id = %s", ['{"dose_mg": 250}', _id(events[0])])
    with pytest.raises(CommandError, match=rf"broken at entry {events[0].sequence} .*content was changed"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_a_removed_entry_is_reported(world: World) -> None:
    events = _three(world)
    _sql("DELETE FROM clinic_auditevent WHERE id = %s", [_id(events[1])])
    with pytest.raises(CommandError, match=rf"entry {events[1].sequence} is missing"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_an_entry_rewritten_with_a_fresh_hash_still_breaks_the_next_link(world: World) -> None:
    events = _three(world)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.action = "clinic.test.innocent"
    forged.hash = audit.entry_hash(forged)
    _sql("UPDATE clinic_auditevent SET action = %s, hash = %s WHERE id = %s", [forged.action, forged.hash, _id(forged)])
    _, broken = verify_chain()
    assert broken is not None
    assert broken.sequence == events[2].sequence
    assert broken.problem == "it does not follow the entry before it"


@pytest.mark.django_db
def test_the_migration_chains_entries_that_existed_before_it(world: World) -> None:
    _three(world)
    _sql("UPDATE clinic_auditevent SET hash = '', prev_hash = ''", [])
    assert verify_chain()[1] is not None
    migration.chain_existing(django_apps, _Editor())
    assert verify_chain()[1] is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(require_postgres: None) -> None:
    writers, each = 6, 15
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(each):
                audit.record("clinic.test.concurrent", details={"writer": n, "i": i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, writers * each + 1))
    assert verify_chain() == (writers * each, None)
