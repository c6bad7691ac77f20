"""Write an encrypted backup of the database and the stored files (docs/security.md, "Backup and restore")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from clinic import audit
from clinic.audit import audit_context
from clinic.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Back up the database and MEDIA_ROOT into one file encrypted with BACKUP_ENCRYPTION_KEY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", type=Path, default=None, help="the file to write (default var/backups/kap-<time>.kapbackup)"
        )

    def handle(self, *args: Any, output: Path | None, **options: Any) -> None:
        target = output or Path(settings.BASE_DIR) / "var" / "backups" / f"kap-{timezone.now():%Y%m%d-%H%M%S}.kapbackup"
        try:
            manifest = create_backup(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(table["rows"] for table in manifest.tables.values())
        media = sum(1 for name in manifest.files if name.startswith("media/"))
        with audit_context():
            audit.record("clinic.backup.create", details={"file": target.name, "rows": rows, "stored_files": media})
        self.stdout.write(
            f"Backup written to {target}: {len(manifest.tables)} tables, {rows} rows, {media} stored files."
        )
