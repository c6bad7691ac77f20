"""The registry of signed-in sessions: list a person's browsers and end one, or all but this one.

Django keeps the sessions (in the database); this registry maps a user to their session keys, which Django's
session rows do not say without decoding each one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clinic import audit
from clinic.models import User
from clinic.security.lockout import client_ip
from clinic.security.models import SignedInSession

SIGNED_IN_AT = "security_signed_in_at"
LAST_ACTIVITY = "security_last_activity"
_REGISTERED_AT = "security_registered_at"
TOUCH_EVERY_SECONDS = 60


def _store(session_key: str | None = None) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore(session_key)
    return store


def touch(request: HttpRequest, user: User) -> None:
    """Register this session under its user, refreshing "last seen" at most once a minute."""
    session = request.session
    now = int(time.time())
    if session.session_key and now - int(session.get(_REGISTERED_AT, 0)) < TOUCH_EVERY_SECONDS:
        return
    if not session.session_key:
        session.save()
    session[_REGISTERED_AT] = now
    SignedInSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "last_seen_at": timezone.now(),
            "ip_address": client_ip(request),
            "user_agent": request.headers.get("User-Agent", "")[:300],
        },
        create_defaults={
            "user": user,
            "signed_in_at": datetime.fromtimestamp(int(session.get(SIGNED_IN_AT, now)), tz=UTC),
            "ip_address": client_ip(request),
            "user_agent": request.headers.get("User-Agent", "")[:300],
        },
    )


def forget(session_key: str) -> None:
    SignedInSession.objects.filter(session_key=session_key).delete()


@dataclass(frozen=True)
class SessionRow:
    session_key: str
    signed_in_at: datetime
    last_seen_at: datetime
    ip_address: str | None
    user_agent: str
    is_current: bool


def list_for(user: User, current_key: str | None) -> list[SessionRow]:
    """The user's live sessions, this one first; rows of sessions that ended elsewhere are dropped."""
    rows = []
    for entry in SignedInSession.objects.filter(user=user):
        if not _store().exists(entry.session_key):
            entry.delete()
            continue
        rows.append(
            SessionRow(
                entry.session_key,
                entry.signed_in_at,
                entry.last_seen_at,
                entry.ip_address,
                entry.user_agent,
                entry.session_key == current_key,
            )
        )
    return sorted(rows, key=lambda row: (not row.is_current, -row.last_seen_at.timestamp()))


def end(user: User, session_key: str) -> bool:
    """End one of the user's sessions (another browser); False if it is not theirs or already ended."""
    with transaction.atomic():
        entry = SignedInSession.objects.filter(user=user, session_key=session_key).first()
        if entry is None:
            return False
        _store().delete(session_key)
        entry.delete()
        audit.record(
            "clinic.user.session_end", obj=user, patient=user.patient_id, details={"signed_in_at": entry.signed_in_at}
        )
    return True


def end_all(user: User, *, reason: str, keep: str | None = None) -> int:
    """End every session of the user except `keep`; returns how many ended."""
    with transaction.atomic():
        entries = list(SignedInSession.objects.filter(user=user).exclude(session_key=keep or ""))
        for entry in entries:
            _store().delete(entry.session_key)
            entry.delete()
        if entries:
            audit.record(
                "clinic.user.sessions_end",
                obj=user,
                patient=user.patient_id,
                details={"reason": reason, "count": len(entries)},
            )
    return len(entries)
