"""Replace the database and the stored files with an encrypted backup, then check them against its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinic import audit
from clinic.audit import audit_context
from clinic.backup import BackupError, read_manifest, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: the database and MEDIA_ROOT are REPLACED. Stop web, worker and "
        "beat first. Needs BACKUP_ENCRYPTION_KEY, and FIELD_ENCRYPTION_KEYS holding the keys of the backup's time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path)
        parser.add_argument("--yes", action="store_true", help="replace the current data without asking")
        parser.add_argument("--check-only", action="store_true", help="open the backup and show its manifest")

    def handle(self, *args: Any, backup: Path, yes: bool, check_only: bool, **options: Any) -> None:
        if not backup.is_file():
            raise CommandError(f"There is no file {backup}.")
        try:
            if check_only:
                manifest = read_manifest(backup)
                rows = sum(table["rows"] for table in manifest.tables.values())
                self.stdout.write(f"The backup opens: made {manifest.created_at}, {manifest.engine}, {rows} rows.")
                return
            if not yes:
                raise CommandError("Restoring replaces the database and the stored files: run again with --yes.")
            report = restore_backup(backup)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        with audit_context():
            audit.record(
                "clinic.backup.restore",
                details={"file": backup.name, "made_at": report.manifest.created_at, "problems": report.problems},
            )
        if report.problems:
            raise CommandError("Restored, but it does not match the backup: " + "; ".join(report.problems))
        self.stdout.write(
            f"Restored the backup made {report.manifest.created_at}: every table's rows and checksum, every stored "
            "file, the audit chain and the encrypted fields check out."
        )
