from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinic import demo
from clinic.audit import audit_context


class Command(BaseCommand):
    help = "Create the synthetic demo clinic (site, chairs, one user per role, about 30 patients). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="allow seeding when DEBUG is off")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not settings.DEBUG and not opts["force"]:
            raise CommandError("seed_demo makes demo logins with a published password; it runs with DEBUG=1 only "
                               "(or --force on a throwaway database).")  # fmt: skip
        with audit_context():
            ctx = demo.seed()
        self.stdout.write(self.style.SUCCESS(f"Demo clinic ready: {ctx.site.name}, {len(ctx.patients)} patients."))
        self.stdout.write("Demo logins (synthetic data only):")
        for username, password, what in ctx.logins:
            self.stdout.write(f"  {username:<12} {password:<20} {what}")
