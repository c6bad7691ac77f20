"""The audit trail: one function writes every entry, with the request's actor and id taken from the context."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from clinic.models import AuditEvent, Patient, User

SECRET_MARKERS = ("password", "secret", "token", "key", "authorization", "cookie", "signature")
MASK = "********"


@dataclass(frozen=True)
class AuditContext:
    request_id: str
    user: User | None = None
    ip_address: str | None = None


_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("audit_context", default=None)


def current_context() -> AuditContext | None:
    return _context.get()


@contextmanager
def audit_context(
    *, user: User | None = None, request_id: str | None = None, ip_address: str | None = None
) -> Iterator[AuditContext]:
    """Bind who is acting for the code inside (a request, a task, a management command)."""
    ctx = AuditContext(request_id=request_id or uuid.uuid4().hex, user=user, ip_address=ip_address)
    token = _context.set(ctx)
    try:
        yield ctx
    finally:
        _context.reset(token)


def mask_secrets(value: Any) -> Any:
    """Replace the values of keys that look like secrets, at any depth."""
    if isinstance(value, Mapping):
        return {
            k: (MASK if any(m in str(k).lower() for m in SECRET_MARKERS) else mask_secrets(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_secrets(v) for v in value]
    return value


def _jsonable(value: Any) -> Any:
    from django.core.serializers.json import DjangoJSONEncoder

    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return value.pk
    return DjangoJSONEncoder().default(value)


def record(
    action: str,
    *,
    patient: Patient | int | None = None,
    obj: models.Model | None = None,
    details: Mapping[str, Any] | None = None,
    actor: User | None = None,
) -> AuditEvent:
    """Write one audit entry. `action` is `app.object.verb`, e.g. `clinic.patient.update`."""
    from clinic.models import AuditEvent

    if action.count(".") < 2:
        raise ValueError(f"audit action {action!r} must look like app.object.verb")
    ctx = current_context()
    user = actor if actor is not None else (ctx.user if ctx else None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    patient_id = patient.pk if patient is not None and not isinstance(patient, int) else patient
    return AuditEvent.objects.create(
        occurred_at=timezone.now(),
        actor=user,
        actor_username=user.get_username() if user else "",
        actor_role=("superuser" if user.is_superuser and not user.role else user.role) if user else "system",
        action=action,
        patient_id=patient_id,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        request_id=ctx.request_id if ctx else "",
        ip_address=ctx.ip_address if ctx else None,
        details=_jsonable(mask_secrets(dict(details or {}))),
    )


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields whose value changed, as {"field": {"from": old, "to": new}}."""
    return {
        name: {"from": _jsonable(before.get(name)), "to": _jsonable(value)}
        for name, value in after.items()
        if before.get(name) != value
    }
