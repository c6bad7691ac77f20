"""Backup and restore round trip: row counts and checksums equal, encrypted fields still decrypt, the audit chain
still verifies, stored files come back; a wrong key or a damaged file is refused with a clear message."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from clinic import audit
from clinic.audit import verify_chain
from clinic.backup import CHUNK_BYTES, BackupError, create_backup, read_manifest, table_summary
from clinic.models import AuditEvent, Patient, Role
from tests.factories import PatientFactory, SiteFactory, on_care_team, staff

KEY = base64.urlsafe_b64encode(b"test-only-backup-key-not-secret!").decode()
OTHER_KEY = base64.urlsafe_b64encode(b"another-test-only-backup-key-00!").decode()


@pytest.fixture
def backup_settings(settings, tmp_path: Path) -> Path:
    settings.BACKUP_ENCRYPTION_KEY = KEY
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "reports").mkdir(parents=True)
    (tmp_path / "media" / "reports" / "plan-1.pdf").write_bytes(b"%PDF-1.7 synthetic test file\n" * 50)
    return tmp_path


SECRET = "Fictional-Backup-Lantern"


def _plan_revision(site) -> int:
    """A relapse-prevention plan revision: its sections are encrypted at rest (clinic.encryption)."""
    from integration import services

    patient = PatientFactory(site=site)
    therapist = staff(Role.THERAPIST, site)
    on_care_team(patient, therapist)
    revision = services.revise_relapse_plan(by=therapist, patient=patient, data={"warning_signs": [SECRET]})
    return int(revision.pk)


def _round_trip(tmp_path: Path) -> None:
    from integration.models import RelapsePlanRevision

    site = SiteFactory(name="Backup Site", code="BACK")
    PatientFactory.create_batch(3, site=site)
    revision_pk = _plan_revision(site)
    audit.record("clinic.test.before_backup", details={"dose_mg": 25.0})
    before = table_summary()
    archive = tmp_path / "clinic.kapbackup"
    out = io.StringIO()
    call_command("backup", "--output", str(archive), stdout=out)
    assert "Backup written" in out.getvalue()
    assert archive.read_bytes()[:11] == b"KAPBACKUP1\n"
    assert b"Testperson" not in archive.read_bytes()  # encrypted

    PatientFactory(site=site, family_name="Afterbackup")
    (tmp_path / "media" / "stray.txt").write_text("made after the backup")
    (tmp_path / "media" / "reports" / "plan-1.pdf").write_bytes(b"changed")

    out = io.StringIO()
    call_command("restore", str(archive), "--yes", stdout=out)
    assert "check out" in out.getvalue()
    after = table_summary()
    audit_table = AuditEvent._meta.db_table
    assert {t: v for t, v in after.items() if t != audit_table} == {t: v for t, v in before.items() if t != audit_table}
    assert not Patient.objects.filter(family_name="Afterbackup").exists()
    assert (tmp_path / "media" / "reports" / "plan-1.pdf").read_bytes().startswith(b"%PDF-1.7 synthetic")
    assert not (tmp_path / "media" / "stray.txt").exists()
    assert verify_chain()[1] is None
    assert RelapsePlanRevision.objects.get(pk=revision_pk).warning_signs == [SECRET]
    assert AuditEvent.objects.filter(action="clinic.backup.restore").exists()
    assert AuditEvent.objects.filter(action="clinic.test.before_backup").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_round_trip_on_postgresql(require_postgres: None, backup_settings: Path) -> None:
    _round_trip(backup_settings)


@pytest.mark.django_db(transaction=True)
def test_round_trip_on_the_configured_database(backup_settings: Path) -> None:
    _round_trip(backup_settings)


@pytest.mark.django_db(transaction=True)
def test_a_restore_under_other_field_keys_says_the_notes_do_not_decrypt(backup_settings: Path) -> None:
    from cryptography.fernet import Fernet

    from clinic.backup import check_restored

    _plan_revision(SiteFactory(code="KEYS"))
    manifest = create_backup(backup_settings / "b.kapbackup")
    assert check_restored(manifest) == []
    with override_settings(FIELD_ENCRYPTION_KEYS=(Fernet.generate_key().decode(),)):
        problems = check_restored(manifest)
    assert any("FIELD_ENCRYPTION_KEYS" in problem for problem in problems)


@pytest.mark.django_db(transaction=True)
def test_a_wrong_key_is_refused_with_a_clear_message(backup_settings: Path, settings) -> None:
    archive = backup_settings / "b.kapbackup"
    create_backup(archive)
    settings.BACKUP_ENCRYPTION_KEY = OTHER_KEY
    with pytest.raises(CommandError, match="cannot be opened with BACKUP_ENCRYPTION_KEY"):
        call_command("restore", str(archive), "--yes")
    with pytest.raises(CommandError, match="cannot be opened with BACKUP_ENCRYPTION_KEY"):
        call_command("restore", str(archive), "--check-only")


@pytest.mark.django_db
def test_a_missing_key_is_named(backup_settings: Path, settings) -> None:
    settings.BACKUP_ENCRYPTION_KEY = ""
    with pytest.raises(CommandError, match="BACKUP_ENCRYPTION_KEY is not set"):
        call_command("backup", "--output", str(backup_settings / "x.kapbackup"))


@pytest.mark.django_db(transaction=True)
def test_a_damaged_or_cut_off_backup_is_refused(backup_settings: Path) -> None:
    archive = backup_settings / "b.kapbackup"
    create_backup(archive)
    data = bytearray(archive.read_bytes())
    cut = backup_settings / "cut.kapbackup"
    cut.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(BackupError, match=r"cut off|cannot be opened"):
        read_manifest(cut)
    data[200] ^= 0x01
    damaged = backup_settings / "damaged.kapbackup"
    damaged.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="cannot be opened"):
        read_manifest(damaged)


@pytest.mark.django_db(transaction=True)
def test_restore_asks_before_replacing(backup_settings: Path) -> None:
    archive = backup_settings / "b.kapbackup"
    create_backup(archive)
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(archive))
    out = io.StringIO()
    call_command("restore", str(archive), "--check-only", stdout=out)
    assert f"{connection.vendor}" in out.getvalue()


def test_large_archives_are_encrypted_in_numbered_chunks() -> None:
    from clinic.backup import _decrypt, _encrypt

    payload = bytes(range(256)) * (CHUNK_BYTES // 256 * 2 + 7)
    sealed = io.BytesIO()
    _encrypt(io.BytesIO(payload), sealed, KEY)
    opened = io.BytesIO()
    sealed.seek(0)
    _decrypt(sealed, opened, KEY)
    assert opened.getvalue() == payload
