"""Sign-in, sign-out and failed sign-in attempts go to the audit trail (who touched the records, and when)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from clinic import audit
from clinic.audit import AuditContext, audit_context
from clinic.security.lockout import client_ip


def _bound(request: HttpRequest | None, user: Any) -> AbstractContextManager[AuditContext]:
    return audit_context(
        user=user if user is not None and user.is_authenticated else None,
        request_id=getattr(request, "request_id", None),
        ip_address=client_ip(request) if request is not None else None,
    )


def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    with _bound(request, user):
        audit.record("clinic.user.login", obj=user, patient=user.patient_id)


def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    reason = getattr(request, "signout_reason", None)  # set when clinic.security ends a session
    with _bound(request, user):
        audit.record(
            "clinic.user.logout", obj=user, patient=user.patient_id, details={"reason": reason} if reason else None
        )


def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    details: dict[str, object] = {"username": str(credentials.get("username", ""))[:150]}
    if credentials.get("step"):  # a wrong two-step code (clinic.security.views)
        details["step"] = str(credentials["step"])
    if request is not None and getattr(request, "axes_locked_out", False):
        details["locked_out"] = True
    with _bound(request, None):
        audit.record("clinic.user.login_failed", details=details)


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="clinic.audit.login")
    user_logged_out.connect(_logged_out, dispatch_uid="clinic.audit.logout")
    user_login_failed.connect(_login_failed, dispatch_uid="clinic.audit.login_failed")
