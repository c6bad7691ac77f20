"""Encryption at rest of the screening's notes (the health questionnaire's), medical clearance notes, safety-task
notes and adverse events (issue 12, item 10): the column holds a Fernet token, never the text; the migrations
encrypt the rows that existed before them (and decrypt them when reversed); `rotate_encryption_keys` covers them."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Model
from django.utils import timezone

from clinic import encryption
from intake.models import HealthQuestionnaire, MedicalClearance, SafetyTask
from sessions.models import AdverseEvent
from tests.conftest import World
from tests.intake.factories import medical_clearance
from tests.security.pages import _records
from tests.sessions.conftest import NOW, Clock

SECRET = "Fictional secret: the patient spoke of the storm at sea"
ENCRYPTED = [
    (HealthQuestionnaire, "notes"),
    (MedicalClearance, "note"),
    (SafetyTask, "note"),
    (AdverseEvent, "action_taken"),
    (AdverseEvent, "notes"),
]


def raw(model: type[Model], pk: Any, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


@pytest.mark.parametrize(("model", "name"), ENCRYPTED, ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_each_field_is_an_encrypted_one(model: type[Model], name: str) -> None:
    assert isinstance(model._meta.get_field(name), encryption.EncryptedTextField)
    assert (model, [name]) in [(m, [n]) for m, names in encryption.encrypted_fields() for n in names]


@pytest.mark.django_db
def test_a_clearance_note_and_a_questionnaire_are_stored_as_tokens(world: World) -> None:
    clearance = medical_clearance(world.patient_a, by=world.prescriber1)
    MedicalClearance.objects.filter(pk=clearance.pk).update(note=SECRET)  # through the field: encrypted
    questionnaire = HealthQuestionnaire.objects.create(patient=world.patient_a, notes=SECRET)
    for model, pk, column in (
        (MedicalClearance, clearance.pk, "note"),
        (HealthQuestionnaire, questionnaire.pk, "notes"),
    ):
        stored = raw(model, pk, column)
        assert "storm" not in stored
        assert stored.startswith("gAAAAA")  # a Fernet token, version byte 0x80
        assert encryption.decrypt(stored) == SECRET
    clearance.refresh_from_db()
    assert clearance.note == SECRET


@pytest.mark.django_db
def test_an_adverse_event_is_stored_as_tokens(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(NOW)
    monkeypatch.setattr(timezone, "now", clock)
    records = _records(world, clock)
    event = AdverseEvent.objects.create(
        session_id=records["monitoring"],
        occurred_at=timezone.now(),
        kind="nausea_vomiting",
        severity="mild",
        action_taken=SECRET,
        notes=SECRET + " again",
    )
    for column in ("action_taken", "notes"):
        assert "storm" not in raw(AdverseEvent, event.pk, column)
    event.refresh_from_db()
    assert (event.action_taken, event.notes) == (SECRET, SECRET + " again")


@pytest.mark.django_db(transaction=True)
def test_the_migrations_encrypt_the_rows_that_exist_and_the_reverse_decrypts_them(world: World) -> None:
    before = [
        ("intake", "0003_questionnaire_drafts"),
        ("treatment_sessions", "0006_appointment_request"),
    ]
    after = [("intake", "0004_encrypt_clinical_notes"), ("treatment_sessions", "0007_encrypt_clinical_notes")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    clearance = old.get_model("intake", "MedicalClearance").objects.create(
        patient_id=world.patient_a.pk, prescriber_id=world.prescriber1.pk, note=SECRET, cleared_at=timezone.now()
    )
    assert raw(MedicalClearance, clearance.pk, "note") == SECRET  # plain text before

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    stored = raw(MedicalClearance, clearance.pk, "note")
    assert "storm" not in stored
    assert MedicalClearance.objects.get(pk=clearance.pk).note == SECRET

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    assert raw(MedicalClearance, clearance.pk, "note") == SECRET  # the reverse gives the text back
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_the_key_rotation_re_encrypts_these_fields(world: World, settings: Any) -> None:
    clearance = medical_clearance(world.patient_a, by=world.prescriber1)
    old_token = raw(MedicalClearance, clearance.pk, "note")
    new_key = base64.urlsafe_b64encode(b"n" * 32).decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    assert not encryption.is_current(old_token)
    call_command("rotate_encryption_keys")
    new_token = raw(MedicalClearance, clearance.pk, "note")
    assert new_token != old_token
    assert encryption.is_current(new_token)
    assert MedicalClearance.objects.get(pk=clearance.pk).note == clearance.note
