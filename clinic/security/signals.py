"""What happens around sign-in and accounts: lockouts audited, sessions stamped, tokens and sessions revoked when
the person signs out, changes their password or is deactivated."""

from __future__ import annotations

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save, pre_save
from django.http import HttpRequest

from clinic import audit
from clinic.audit import audit_context
from clinic.models import User
from clinic.security import sessions, tokens
from clinic.security.lockout import client_ip, locked_until


def _locked_out(
    sender: Any, request: HttpRequest | None, username: str | None, ip_address: str | None, **_: Any
) -> None:
    # Sent when the pause starts and again for each attempt refused during it (axes counts only the first kind).
    refused_while_locked = request is not None and getattr(request, "axes_failures_since_start", None) is None
    until = locked_until(username or "", ip_address)
    with audit_context(
        request_id=getattr(request, "request_id", None), ip_address=client_ip(request) if request else ip_address
    ):
        audit.record(
            "clinic.user.locked_out",
            details={
                "username": (username or "")[:150],
                "until": until.isoformat() if until else None,
                "refused_while_locked": refused_while_locked,
                "path": request.path if request is not None else "",
            },
        )


def _logged_in(sender: Any, request: HttpRequest | None, user: User, **_: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[sessions.SIGNED_IN_AT] = now
        request.session[sessions.LAST_ACTIVITY] = now


def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **_: Any) -> None:
    if user is None:
        return
    if request is not None and getattr(request, "session", None) is not None and request.session.session_key:
        sessions.forget(request.session.session_key)
    if getattr(request, "signout_reason", None) is None:  # the person chose to sign out; a time-out keeps tokens
        tokens.revoke_all(user, reason="sign-out")


def _remember_account_state(
    sender: Any, instance: User, raw: bool = False, update_fields: Any = None, **_: Any
) -> None:
    instance._security_before = None  # type: ignore[attr-defined]
    if raw or instance._state.adding or not instance.pk:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login at each sign-in
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    instance._security_before = before  # type: ignore[attr-defined]


def _revoke_on_account_change(sender: Any, instance: User, created: bool, raw: bool = False, **_: Any) -> None:
    before = getattr(instance, "_security_before", None)
    if raw or created or before is None:
        return
    if before["is_active"] and not instance.is_active:
        reason = "deactivation"
    elif before["password"] != instance.password:
        reason = "password change"
    else:
        return
    tokens.revoke_all(instance, reason=reason)
    # Someone changing their own password stays signed in on this browser: Django's password change view then
    # saves the session again under a new key, which is registered on its next request.
    sessions.end_all(instance, reason=reason)


def connect() -> None:
    user_locked_out.connect(_locked_out, dispatch_uid="clinic.security.locked_out")
    user_logged_in.connect(_logged_in, dispatch_uid="clinic.security.logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="clinic.security.logged_out")
    pre_save.connect(_remember_account_state, sender=User, dispatch_uid="clinic.security.user_pre_save")
    post_save.connect(_revoke_on_account_change, sender=User, dispatch_uid="clinic.security.user_post_save")
