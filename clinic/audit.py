"""The audit trail: one function writes every entry, with the request's actor and id taken from the context.

Entries form a hash chain: each carries the SHA-256 of its own content and of the previous entry's hash, so an
entry changed, removed or slipped in afterwards (by someone with the database in hand) breaks the chain at that
point; `manage.py verify_audit` finds the first broken link. Appending takes a lock (a transaction-scoped advisory
lock on PostgreSQL, SQLite's write lock), so concurrent writers never fork the chain.
"""

from __future__ import annotations

import contextvars
import hashlib
import ipaddress
import json
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from django.db import connections, models, transaction
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
    [event] = _append_or_defer([_entry(action, patient=patient, obj=obj, details=details, actor=actor)])
    return event


def _entry(
    action: str,
    *,
    patient: Patient | int | None = None,
    obj: models.Model | None = None,
    details: Mapping[str, Any] | None = None,
    actor: User | None = None,
) -> AuditEvent:
    """An audit entry ready to append (not chained, not saved)."""
    from clinic.models import AuditEvent

    if action.count(".") < 2:
        raise ValueError(f"audit action {action!r} must look like app.object.verb")
    ctx = current_context()
    user = actor if actor is not None else (ctx.user if ctx else None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    patient_id = patient.pk if patient is not None and not isinstance(patient, int) else patient
    payload = _jsonable(mask_secrets(dict(details or {})))
    if patient_id is not None and user is not None and getattr(user, "role", "") == "prescriber":
        from clinic.security.breakglass import active_grant_id

        grant_id = active_grant_id(user, patient_id)
        if grant_id is not None:
            payload["break_glass"] = grant_id
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor=user,
        actor_username=user.get_username() if user else "",
        actor_role=("superuser" if user.is_superuser and not user.role else user.role) if user else "system",
        action=action,
        patient_id=patient_id,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        request_id=ctx.request_id if ctx else "",
        ip_address=_ip(ctx.ip_address) if ctx else None,
        details=payload,
    )
    return event


def _append(events: list[AuditEvent]) -> list[AuditEvent]:
    """Chain `events` after the last entry, in order, and insert them: one lock, one read of the chain's head and
    one insert whatever their number (a list's reads are one entry per patient)."""
    from clinic.models import AuditEvent

    # No savepoint of its own: inside a change's transaction, an entry that cannot be written fails the change.
    with transaction.atomic(savepoint=False):
        lock_chain()
        last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
        sequence, previous = (last["sequence"], last["hash"]) if last else (0, GENESIS_HASH)
        for event in events:
            sequence += 1
            event.sequence, event.prev_hash = sequence, previous
            event.hash = previous = entry_hash(event)
        AuditEvent.objects.bulk_create(events)
    return events


# --- One append per request ------------------------------------------------------------------------------------------
# A page reads several records and audits each read where it happens; appending each entry on its own would take the
# chain's lock, read its head and commit once per entry. Inside a request (clinic.middleware.AuditContextMiddleware)
# the entries written outside any transaction are held and appended together when the view has answered, before the
# answer leaves the server: if that append fails, the person gets an error page, never the unaudited page. An entry
# written inside a transaction (a change of state and its audit) is appended there at once, so that it commits or
# rolls back with the change.

_deferred: contextvars.ContextVar[list[AuditEvent] | None] = contextvars.ContextVar("audit_deferred", default=None)


@contextmanager
def one_append_per_request() -> Iterator[None]:
    """Hold the entries written outside a transaction by the code inside, and append them in one go at the end."""
    held: list[AuditEvent] = []
    token = _deferred.set(held)
    try:
        yield
    finally:
        _deferred.reset(token)
        if held:
            _append(held)


def _in_transaction(using: str = "default") -> bool:
    # A test case's own wrapping transaction does not count: the code under test runs as it does in production.
    return any(not getattr(block, "_from_testcase", False) for block in connections[using].atomic_blocks)


def _append_or_defer(events: list[AuditEvent]) -> list[AuditEvent]:
    held = _deferred.get()
    if held is None or _in_transaction():
        return _append(events)
    held.extend(events)
    return events


def record_reads(
    action: str, patients: Iterable[Patient | int | None], *, details: Mapping[str, Any] | None = None
) -> int:
    """A list's read: one entry per patient whose records it shows (`rows`: how many of theirs), in one transaction,
    so that the audit log finds the read under each patient. Returns how many entries were written."""
    counts = Counter(p.pk if p is not None and not isinstance(p, int) else p for p in patients)
    counts.pop(None, None)
    if counts:
        _append_or_defer(
            [
                _entry(action, patient=patient_id, details={**(details or {}), "rows": rows})
                for patient_id, rows in sorted(counts.items())
            ]
        )
    return len(counts)


# --- Refused requests ----------------------------------------------------------------------------------------------
# The middleware (clinic.middleware.RefusalAuditMiddleware) records every refused request (403, 404) to the staff
# pages, the portal and the API as `clinic.access.denied`. The scoped lookups tell it whose record was asked for, when
# the record exists, through `note_refused`; a request that names no existing record is recorded without a patient.

_refused: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("audit_refused", default=None)


@contextmanager
def refusal_notes() -> Iterator[list[int]]:
    """Collect the patients of the records the code inside was refused."""
    notes: list[int] = []
    token = _refused.set(notes)
    try:
        yield notes
    finally:
        _refused.reset(token)


def note_refused(patient_id: int | None) -> None:
    """A scoped lookup refused a record of patient `patient_id` (which exists)."""
    notes = _refused.get()
    if notes is not None and patient_id is not None and patient_id not in notes:
        notes.append(patient_id)


GENESIS_HASH = "0" * 64
CHAIN_LOCK_KEY = 0x6B6170_6175646974  # "kap" "audit": one advisory lock id for the whole chain


def lock_chain(using: str = "default") -> None:
    """Serialise appends to the chain until the transaction ends (call inside `transaction.atomic()`)."""
    if connections[using].vendor == "postgresql":
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    # SQLite: transactions begin IMMEDIATE (clinic.config), which takes the database's single write lock.


def _ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _canonical_json(value: Any) -> Any:
    # PostgreSQL's jsonb gives 1.0 back as 1.0 and 1e20 as an integer: hash whole floats as integers.
    if isinstance(value, dict):
        return {k: _canonical_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical_json(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def entry_hash(event: AuditEvent) -> str:
    """SHA-256 of the entry's content and the previous entry's hash, in a canonical JSON form."""
    content = {
        "id": str(event.id),
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "actor_role": event.actor_role,
        "action": event.action,
        "patient_id": event.patient_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "request_id": event.request_id,
        "ip_address": event.ip_address,
        "details": _canonical_json(event.details),
        "prev_hash": event.prev_hash,
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    sequence: int | None
    event_id: str
    occurred_at: str
    problem: str


def verify_chain(batch_size: int = 2000) -> tuple[int, BrokenLink | None]:
    """Walk the chain from the first entry; returns how many entries were checked and the first broken link."""
    from clinic.models import AuditEvent

    unchained = AuditEvent.objects.filter(sequence__isnull=True).order_by("occurred_at").first()
    if unchained is not None:
        return 0, BrokenLink(None, str(unchained.id), unchained.occurred_at.isoformat(), "an entry outside the chain")
    previous_hash, expected, checked = GENESIS_HASH, 1, 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=batch_size):
        problem = None
        if event.sequence != expected:
            problem = f"entry {expected} is missing" if event.sequence > expected else "a repeated number"
        elif event.prev_hash != previous_hash:
            problem = "it does not follow the entry before it"
        elif event.hash != entry_hash(event):
            problem = "its content was changed after it was written"
        if problem:
            return checked, BrokenLink(event.sequence, str(event.id), event.occurred_at.isoformat(), problem)
        previous_hash, expected, checked = event.hash, expected + 1, checked + 1
    return checked, None


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields whose value changed, as {"field": {"from": old, "to": new}}."""
    return {
        name: {"from": _jsonable(before.get(name)), "to": _jsonable(value)}
        for name, value in after.items()
        if before.get(name) != value
    }
