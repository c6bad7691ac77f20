"""Encryption at rest of integration records: no plaintext in the column (read with SQL, on SQLite locally and on
PostgreSQL in CI), values that keep their types, and the key rotation command (clinic.encryption)."""

from __future__ import annotations

import io
import re

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from clinic import encryption
from clinic.models import AuditEvent
from integration import services
from integration.models import IntegrationNote, NoteAddendum, RelapsePlanRevision
from tests.integration.conftest import Integ

SECRET_WORDS = "Fictional-Secret-Lighthouse"


def raw(model: type, field: str, pk: int) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field).column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 (names from the model)
        return str(cursor.fetchone()[0])


def new_key() -> str:
    return Fernet.generate_key().decode()


# --- The columns ----------------------------------------------------------------------------------------------------


def test_note_text_and_structured_fields_hold_no_plaintext(integ: Integ) -> None:
    note = integ.draft(narrative=f"The {SECRET_WORDS} returned.", plan=f"Plan around the {SECRET_WORDS}.")
    stored = {name: raw(IntegrationNote, name, note.pk) for name in ("narrative", "plan", "structured")}
    for name, value in stored.items():
        assert value.startswith("gAAAAA"), name  # a Fernet token
        assert SECRET_WORDS not in value
        assert "storm" not in value
        assert "negative_cognition" not in value  # the JSON's keys are hidden too
    fresh = IntegrationNote.objects.get(pk=note.pk)
    assert fresh.narrative == f"The {SECRET_WORDS} returned."
    assert fresh.structured["target"] == "A fictional storm at sea"
    assert fresh.structured["voc"] == 5  # types survive the round trip
    assert fresh.structured["body_scan_clear"] is False


def test_addenda_and_plan_revisions_hold_no_plaintext(integ: Integ) -> None:
    note = integ.draft()
    services.sign_note(by=integ.therapist, note=note)
    addendum = services.add_addendum(by=integ.therapist, note=note, text=f"About the {SECRET_WORDS}.")
    revision = services.revise_relapse_plan(
        by=integ.therapist,
        patient=integ.patient,
        data={"warning_signs": [SECRET_WORDS], "maintenance_criteria": f"When the {SECRET_WORDS} is dark."},
    )
    assert SECRET_WORDS not in raw(NoteAddendum, "text", addendum.pk)
    for name in ("warning_signs", "maintenance_criteria", "coping_strategies"):
        assert SECRET_WORDS not in raw(RelapsePlanRevision, name, revision.pk)
        assert raw(RelapsePlanRevision, name, revision.pk).startswith("gAAAAA")
    assert RelapsePlanRevision.objects.get(pk=revision.pk).warning_signs == [SECRET_WORDS]
    assert RelapsePlanRevision.objects.get(pk=revision.pk).coping_strategies == []


def test_an_empty_text_is_encrypted_too(integ: Integ) -> None:
    note = integ.draft(plan="")
    assert raw(IntegrationNote, "plan", note.pk).startswith("gAAAAA")
    assert IntegrationNote.objects.get(pk=note.pk).plan == ""


def test_encrypted_fields_cannot_be_searched(integ: Integ) -> None:
    integ.draft()
    with pytest.raises(FieldError, match="cannot be searched"):
        IntegrationNote.objects.filter(narrative__icontains="storm").count()
    with pytest.raises(FieldError, match="cannot be searched"):
        IntegrationNote.objects.filter(structured__target="x").count()
    assert IntegrationNote.objects.filter(narrative__isnull=False).count() == 1


def test_a_value_no_key_opens_is_an_error_not_ciphertext(integ: Integ) -> None:
    note = integ.draft()
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=(new_key(),)),
        pytest.raises(encryption.UndecryptableValue, match=re.escape("IntegrationNote.narrative")),
    ):
        IntegrationNote.objects.get(pk=note.pk)


# --- Rotation -------------------------------------------------------------------------------------------------------


def test_rotation_round_trip(integ: Integ) -> None:
    note = integ.draft(narrative=f"Before the rotation: {SECRET_WORDS}.")
    services.revise_relapse_plan(by=integ.therapist, patient=integ.patient, data={"warning_signs": ["Old key"]})
    before = raw(IntegrationNote, "narrative", note.pk)
    newest = new_key()
    with override_settings(FIELD_ENCRYPTION_KEYS=(newest, *settings.FIELD_ENCRYPTION_KEYS)):
        assert not encryption.is_current(before)
        out = io.StringIO()
        call_command("rotate_encryption_keys", "--batch-size", "1", stdout=out)
        assert "integration.IntegrationNote: 1 rows, 3 encrypted values, 3 re-encrypted" in out.getvalue()
        after = raw(IntegrationNote, "narrative", note.pk)
        assert after != before
        assert Fernet(newest.encode()).decrypt(after.encode()).decode() == f"Before the rotation: {SECRET_WORDS}."
        again = io.StringIO()
        call_command("rotate_encryption_keys", stdout=again)  # idempotent: nothing left to do
        assert "0 values re-encrypted" in again.getvalue()
        assert raw(IntegrationNote, "narrative", note.pk) == after
        event = AuditEvent.objects.filter(action="clinic.encryption.rotate").order_by("occurred_at").first()
        assert event is not None
        models = event.details["models"]  # the note's three fields and the revision's seven (and intake's own)
        assert (models["integration.IntegrationNote"], models["integration.RelapsePlanRevision"]) == (3, 7)
        assert event.details["re_encrypted"] == sum(models.values())
    with override_settings(FIELD_ENCRYPTION_KEYS=(newest,)):  # the old key retired: everything still opens
        assert IntegrationNote.objects.get(pk=note.pk).narrative == f"Before the rotation: {SECRET_WORDS}."
        assert RelapsePlanRevision.objects.get().warning_signs == ["Old key"]


def test_rotation_dry_run_changes_nothing(integ: Integ) -> None:
    note = integ.draft()
    before = raw(IntegrationNote, "narrative", note.pk)
    with override_settings(FIELD_ENCRYPTION_KEYS=(new_key(), *settings.FIELD_ENCRYPTION_KEYS)):
        out = io.StringIO()
        call_command("rotate_encryption_keys", "--dry-run", stdout=out)
    assert "integration.IntegrationNote: 1 rows, 3 encrypted values, 3 to re-encrypt" in out.getvalue()
    assert raw(IntegrationNote, "narrative", note.pk) == before
    assert not AuditEvent.objects.filter(action="clinic.encryption.rotate").exists()


def test_rotation_stops_at_a_value_no_key_opens(integ: Integ) -> None:
    integ.draft()
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=(new_key(),)),
        pytest.raises(CommandError, match="cannot be decrypted"),
    ):
        call_command("rotate_encryption_keys", stdout=io.StringIO())


def test_rotation_refuses_a_batch_size_below_one(db: None) -> None:
    with pytest.raises(CommandError, match="at least 1"):
        call_command("rotate_encryption_keys", "--batch-size", "0")


def test_rotation_leaves_signed_notes_signed_and_unchanged_in_content(integ: Integ) -> None:
    note = services.sign_note(by=integ.therapist, note=integ.draft())
    with override_settings(FIELD_ENCRYPTION_KEYS=(new_key(), *settings.FIELD_ENCRYPTION_KEYS)):
        call_command("rotate_encryption_keys", stdout=io.StringIO())
        fresh = IntegrationNote.objects.get(pk=note.pk)
    assert fresh.is_signed
    assert fresh.updated_at == note.updated_at
    assert fresh.narrative == note.narrative
