"""Make an API token for a user (it replaces DRF's drf_create_token): printed once, stored only as a hash."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinic.audit import audit_context
from clinic.models import User
from clinic.security import tokens


class Command(BaseCommand):
    help = "Create an expiring API token for USERNAME and print it (send it as `Authorization: Token <token>`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--hours", type=int, default=None, help="Lifetime in hours (default: API_TOKEN_TTL_HOURS, 12)."
        )

    def handle(self, *args: Any, username: str, hours: int | None, **options: Any) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active user {username!r}.")
        if hours is not None and hours < 1:
            raise CommandError("--hours must be at least 1.")
        with audit_context():
            new = tokens.create(user, ttl=timedelta(hours=hours) if hours else None, via="create_api_token")
        expires = f"; it expires at {new.expires_at:%Y-%m-%d %H:%M} UTC" if new.expires_at else ""
        self.stdout.write(f"Generated token {new.token} for user {username}{expires}")
