"""API tokens (django-rest-knox): created for a user, listed, revoked one by one or all at once.

Knox stores a hash of each token (the token itself is shown once), lets one person hold a token per device, and
expires each after `API_TOKEN_TTL_HOURS`. Clients send `Authorization: Token <token>`, as with DRF's tokens before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from knox.models import AuthToken

from clinic import audit
from clinic.models import User


@dataclass(frozen=True)
class NewToken:
    token: str  # shown once; only its hash is stored
    key: str  # the first characters, which identify it in lists
    expires_at: datetime | None


def create(user: User, *, ttl: timedelta | None = None, via: str) -> NewToken:
    with transaction.atomic():
        instance, token = AuthToken.objects.create(user=user, **({"expiry": ttl} if ttl is not None else {}))
        audit.record(
            "clinic.apitoken.create",
            obj=user,
            patient=user.patient_id,
            details={"identifier": instance.token_key[:8], "expires_at": instance.expiry, "via": via},
        )
    return NewToken(token=token, key=instance.token_key, expires_at=instance.expiry)


def list_for(user: User) -> list[AuthToken]:
    return list(AuthToken.objects.filter(user=user).order_by("-created"))


def revoke(user: User, key: str) -> bool:
    """Revoke the user's token whose identifying characters are `key`; False if there is none."""
    with transaction.atomic():
        deleted, _ = AuthToken.objects.filter(user=user, token_key=key).delete()
        if deleted:
            audit.record(
                "clinic.apitoken.revoke",
                obj=user,
                patient=user.patient_id,
                details={"identifier": key[:8], "reason": "revoked"},
            )
    return bool(deleted)


def revoke_all(user: User, *, reason: str) -> int:
    with transaction.atomic():
        keys = list(AuthToken.objects.filter(user=user).values_list("token_key", flat=True))
        if keys:
            AuthToken.objects.filter(user=user).delete()
            audit.record(
                "clinic.apitoken.revoke",
                obj=user,
                patient=user.patient_id,
                details={"identifiers": [k[:8] for k in keys], "reason": reason},
            )
    return len(keys)
