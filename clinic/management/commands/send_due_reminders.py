"""One claim-and-send pass of the reminders in the foreground (operations and tests); safe beside the workers and
beside other runs of itself: each reminder is claimed by one of them only."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from clinic.audit import audit_context
from clinic.reminders import delivery


class Command(BaseCommand):
    help = "Send the reminders that are due now, once, in this process."

    def handle(self, *args: Any, **options: Any) -> None:
        with audit_context():
            outcomes = delivery.run_pass()
        summary = ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items()))
        self.stdout.write(f"Reminders: {summary}.")
