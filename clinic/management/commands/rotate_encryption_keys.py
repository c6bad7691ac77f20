"""Re-encrypt every encrypted field with the newest key of FIELD_ENCRYPTION_KEYS (docs/security.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinic import audit
from clinic.audit import audit_context
from clinic.encryption import UndecryptableValue, rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt, with the first key of FIELD_ENCRYPTION_KEYS, every encrypted value that an older key wrote. "
        "Safe to run again and while the clinic is open; remove an old key only after it reports nothing left."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")
        parser.add_argument("--dry-run", action="store_true", help="count what would be re-encrypted, change nothing")

    def handle(self, *args: Any, batch_size: int, dry_run: bool, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        with audit_context():
            try:
                counts = rotate(batch_size=batch_size, dry_run=dry_run)
            except UndecryptableValue as exc:
                raise CommandError(str(exc)) from None
            total = sum(c.re_encrypted for c in counts)
            for count in counts:
                self.stdout.write(
                    f"{count.model}: {count.rows} rows, {count.values} encrypted values, "
                    f"{count.re_encrypted} {'to re-encrypt' if dry_run else 're-encrypted'}"
                )
            if not dry_run:
                audit.record(
                    "clinic.encryption.rotate",
                    details={"re_encrypted": total, "models": {c.model: c.re_encrypted for c in counts}},
                )
        verb = "would be re-encrypted" if dry_run else "re-encrypted"
        self.stdout.write(self.style.SUCCESS(f"{total} values {verb}; every other value already uses the newest key."))
