"""Sign-in, sign-out and failed sign-in attempts go to the audit trail (who touched the records, and when)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from clinic import audit
from clinic.audit import AuditContext, audit_context


def _bound(request: HttpRequest | None, user: Any) -> AbstractContextManager[AuditContext]:
    return audit_context(
        user=user if user is not None and user.is_authenticated else None,
        request_id=getattr(request, "request_id", None),
        ip_address=request.META.get("REMOTE_ADDR") if request is not None else None,
    )


def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    with _bound(request, user):
        audit.record("clinic.user.login", obj=user, patient=user.patient_id)


def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    with _bound(request, user):
        audit.record("clinic.user.logout", obj=user, patient=user.patient_id)


def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    with _bound(request, None):
        audit.record("clinic.user.login_failed", details={"username": str(credentials.get("username", ""))[:150]})


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="clinic.audit.login")
    user_logged_out.connect(_logged_out, dispatch_uid="clinic.audit.logout")
    user_login_failed.connect(_login_failed, dispatch_uid="clinic.audit.login_failed")
