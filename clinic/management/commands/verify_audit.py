"""Check the audit trail's hash chain from the first entry to the last; exit non-zero at the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clinic.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; reports the first broken link and exits with status 1."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = verify_chain()
        if broken is not None:
            where = f"entry {broken.sequence}" if broken.sequence is not None else "an entry without a number"
            raise CommandError(
                f"The audit chain is broken at {where} (id {broken.event_id}, written {broken.occurred_at}): "
                f"{broken.problem}. {checked} entries before it are intact."
            )
        self.stdout.write(f"The audit chain is intact: {checked} entries verified.")
