"""Sending reminders exactly once: claim what is due, hand each to its provider, record what happened.

1. `claim_due` (the beat task every minute, or `manage.py send_due_reminders`) takes the rows that are due, and
   those whose lease ran out, under `select_for_update(skip_locked=True)` on PostgreSQL (SQLite, which lacks it,
   takes the database's write lock for the transaction); those to send are claimed together by a conditional
   UPDATE that only succeeds while each row is still due, with a new claim token (one per thousand rows) and a
   lease. A row in the quiet hours waits; one about an appointment that has begun is skipped.
2. `deliver(id, token)` (a send task delivers a batch of claimed reminders one after the other, `deliver_batch`;
   or inline) does nothing unless the row is still `sending` under that token. It renders the message, then
   commits the hand-over mark (`handed_over_at`, attempts + 1) BEFORE calling the provider, and records the
   provider's id (`sent`) or the failure right after.
3. A row found with the mark set was handed over by someone who never said how it went (a worker killed mid-send,
   or an answer that never came): the provider is asked by the reminder's reference where it can be; found means
   `sent`, not found means hand it over again, and where the provider cannot be asked the row becomes `failed`,
   "delivery uncertain", for a person to check. It is never resent blindly.

A transient failure puts the row back to `pending` with an exponential backoff until the attempts run out
(settings.REMINDERS, operations); then, and at once for a permanent failure, it is `failed` and a clinic
administrator may retry it (services.retry_reminder). Every change is audited, by the "system" actor.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.template import TemplateDoesNotExist
from django.utils import timezone

from clinic import audit
from clinic.reminders import channels, registry
from clinic.reminders.channels import DeliveryError, Found
from clinic.reminders.models import Reminder, ReminderStatus, SkipReason
from clinic.reminders.rules import QuietHours, SendNow, TooLate, WaitUntil, release, retry_delay

logger = logging.getLogger(__name__)


def _lease() -> timedelta:
    return timedelta(seconds=settings.REMINDERS.lease_seconds)


@dataclass
class PassResult:
    claimed: list[tuple[int, str]] = field(default_factory=list)
    waiting: int = 0
    skipped: int = 0


def _quiet_hours(reminder: Reminder) -> tuple[QuietHours | None, ZoneInfo]:
    patient = reminder.patient
    if patient is None:
        return None, ZoneInfo(settings.TIME_ZONE)
    tz = ZoneInfo(patient.site.time_zone)
    if reminder.is_for_staff or patient.quiet_hours_start is None or patient.quiet_hours_end is None:
        return None, tz
    return QuietHours(patient.quiet_hours_start, patient.quiet_hours_end), tz


def _as_read(reminder: Reminder) -> Q:
    """The row exactly as this transaction read it: an UPDATE filtered by it succeeds for one claimer only."""
    token = Q(claim_token__isnull=True) if reminder.claim_token is None else Q(claim_token=reminder.claim_token)
    return Q(pk=reminder.pk, status=reminder.status, next_attempt_at=reminder.next_attempt_at) & token


def claim_due(*, now: datetime | None = None, limit: int | None = None) -> PassResult:
    """Claim the reminders due at `now` (and those whose lease expired); the caller sends each claimed one."""
    now = now or timezone.now()
    limit = limit or settings.REMINDERS.batch_size
    result = PassResult()
    due = _due(now)
    to_send: list[Reminder] = []
    with transaction.atomic():
        rows = Reminder.objects.filter(due).select_related("patient__site").order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        for reminder in list(rows[:limit]):
            kind = registry.get(reminder.kind)
            quiet, tz = _quiet_hours(reminder)
            decision = (
                release(
                    now,
                    starts_at=reminder.subject_starts_at,
                    quiet=quiet,
                    tz=tz,
                    quiet_hours_apply=kind is None or kind.quiet_hours,
                )
                if reminder.handed_over_at is None
                else SendNow()  # handed over before: settle it, whatever the clock says
            )
            claimed = Reminder.objects.filter(_as_read(reminder))
            released = {"claim_token": None, "lease_until": None}
            if isinstance(decision, WaitUntil):
                result.waiting += claimed.update(next_attempt_at=decision.at, status=ReminderStatus.PENDING, **released)
            elif isinstance(decision, TooLate):
                if claimed.update(status=ReminderStatus.SKIPPED, skip_reason=SkipReason.TOO_LATE, **released):
                    result.skipped += 1
                    _audit("clinic.reminder.skip", reminder, ReminderStatus.SKIPPED, reason=SkipReason.TOO_LATE)
            else:
                to_send.append(reminder)
        result.claimed = _claim(to_send, now)
    return result


def _due(now: datetime) -> Q:
    return Q(status=ReminderStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=ReminderStatus.SENDING, lease_until__lt=now
    )


CLAIM_CHUNK = 1000


def _claim(reminders: list[Reminder], now: datetime) -> list[tuple[int, str]]:
    """Claim the rows to send with one UPDATE per thousand and one new claim token each, still only while each row
    is due (the rows are held since they were read: PostgreSQL's row locks, SQLite's write lock; the condition is
    the second guarantee). Returns (id, token) in the order they were read."""
    claimed: list[tuple[int, str]] = []
    for start in range(0, len(reminders), CLAIM_CHUNK):
        ids = [reminder.pk for reminder in reminders[start : start + CLAIM_CHUNK]]
        token = uuid.uuid4()
        Reminder.objects.filter(_due(now), pk__in=ids).update(
            status=ReminderStatus.SENDING, claim_token=token, lease_until=now + _lease()
        )
        mine = set(Reminder.objects.filter(pk__in=ids, claim_token=token).values_list("pk", flat=True))
        claimed += [(pk, str(token)) for pk in ids if pk in mine]
    return claimed


def _audit(action: str, reminder: Reminder, status: str, **details: Any) -> None:
    audit.record(
        action,
        patient=reminder.patient_id,
        obj=reminder,
        details={"kind": reminder.kind, "channel": reminder.channel, "status": status, **details},
    )


def _mine(reminder_id: int, token: str) -> Any:
    return Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING, claim_token=token)


LAST_ERROR_MAX = Reminder._meta.get_field("last_error").max_length or 2_000


def _finish(
    reminder: Reminder, token: str, action: str, *, then: Callable[[], None] | None = None, **changes: Any
) -> bool:
    """Record the outcome if the claim is still ours; audited in the same transaction, with `then` (what the kind
    does once its message is out) in it too."""
    with transaction.atomic():
        changes.setdefault("lease_until", None)
        if len(changes.get("last_error") or "") > LAST_ERROR_MAX:  # a provider's long answer, cut to the column's limit
            changes["last_error"] = changes["last_error"][: LAST_ERROR_MAX - 1] + "…"
        if not _mine(reminder.pk, token).update(**changes):
            logger.warning("reminder %s: claim %s was lost before its outcome could be recorded", reminder.pk, token)
            return False
        details = {k: v for k, v in changes.items() if k in {"skip_reason", "provider_message_id", "last_error"}}
        _audit(action, reminder, changes.get("status", ReminderStatus.SENDING), **details)
        if then is not None:
            then()
    return True


def _record_sent(reminder: Reminder, token: str, provider_message_id: str, *, how: str = "sent") -> str:
    now = timezone.now()
    kind = registry.get(reminder.kind)
    on_sent = kind.on_sent if kind is not None else None
    recorded = _finish(
        reminder,
        token,
        "clinic.reminder.send",
        then=(lambda: on_sent(reminder.subject_id, now)) if on_sent is not None else None,
        status=ReminderStatus.SENT,
        provider_message_id=provider_message_id[:255],
        sent_at=now,
        last_error="",
    )
    return how if recorded else "lost"


def _record_failure(reminder: Reminder, token: str, error: DeliveryError, attempts: int) -> str:
    ops = settings.REMINDERS
    if error.kind == "transient" and attempts < ops.max_attempts:
        wait = retry_delay(attempts, base_seconds=ops.retry_base_seconds, cap_seconds=ops.retry_max_seconds)
        _finish(
            reminder,
            token,
            "clinic.reminder.defer",
            status=ReminderStatus.PENDING,
            next_attempt_at=timezone.now() + wait,
            handed_over_at=None,  # the provider certainly did not take it
            last_error=error.message,
        )
        return "retry"
    if error.kind == "uncertain":  # the hand-over mark stays: the message may be out
        message = f"Delivery uncertain: {error.message}. Check with the recipient before sending it again."
        _finish(reminder, token, "clinic.reminder.fail", status=ReminderStatus.FAILED, last_error=message)
        return "failed"
    message = f"Gave up after {attempts} attempts: {error.message}" if error.kind == "transient" else error.message
    _finish(
        reminder, token, "clinic.reminder.fail", status=ReminderStatus.FAILED, handed_over_at=None, last_error=message
    )
    return "failed"


def _skip(reminder: Reminder, token: str, reason: SkipReason) -> str:
    _finish(reminder, token, "clinic.reminder.skip", status=ReminderStatus.SKIPPED, skip_reason=reason)
    return "skipped"


def deliver(reminder_id: int, token: str) -> str:
    """Send one claimed reminder. Returns what happened: "sent", "found" (an earlier hand-over had gone through),
    "retry", "failed", "skipped", or "not_mine" (someone else holds it, or it is done: nothing to do)."""
    reminder = (
        _mine(reminder_id, token).select_related("patient__site", "recipient_user").first()
        if _valid_uuid(token)
        else None
    )
    if reminder is None:
        return "not_mine"
    kind = registry.get(reminder.kind)
    if kind is None:
        error = DeliveryError(f"No reminder kind {reminder.kind!r} is registered.", kind="permanent")
        return _record_failure(reminder, token, error, reminder.attempts)

    if reminder.handed_over_at is not None:
        found = channels.lookup(reminder)
        if isinstance(found, Found):
            return _record_sent(reminder, token, found.provider_message_id, how="found")
        if found == channels.UNKNOWN:
            error = DeliveryError("it was handed to the provider and the outcome was never recorded", kind="uncertain")
            return _record_failure(reminder, token, error, reminder.attempts)

    patient = reminder.patient
    if not reminder.is_for_staff and patient is not None and patient.non_clinical_opt_out and not kind.clinical:
        return _skip(reminder, token, SkipReason.OPTED_OUT)
    if not channels.recipient_address(reminder):
        return _skip(reminder, token, SkipReason.NO_ADDRESS)
    context = kind.build_context(reminder.subject_id)
    if context is None:
        return _skip(reminder, token, SkipReason.SUBJECT_GONE)
    try:
        prepared = channels.prepare(kind, reminder, context)
    except (DeliveryError, TemplateDoesNotExist) as exc:
        error = exc if isinstance(exc, DeliveryError) else DeliveryError(f"No template {exc}", kind="permanent")
        return _record_failure(reminder, token, error, reminder.attempts)

    now = timezone.now()
    with transaction.atomic():  # the hand-over mark, committed before the provider is called
        if not _mine(reminder_id, token).update(
            handed_over_at=now, attempts=F("attempts") + 1, lease_until=now + _lease()
        ):
            return "not_mine"
    attempts = reminder.attempts + 1
    try:
        provider_message_id = channels.hand_over(prepared)
    except DeliveryError as exc:
        return _record_failure(reminder, token, exc, attempts)
    return _record_sent(reminder, token, provider_message_id)


def _valid_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def give_back(reminder_id: int, token: str) -> bool:
    """Return a claimed reminder that was not sent to the queue of due ones, for the next pass (nothing was handed
    over under this claim; a mark left by an earlier hand-over stays, so that the next sender settles it)."""
    if not _valid_uuid(token):
        return False
    return bool(_mine(reminder_id, token).update(status=ReminderStatus.PENDING, claim_token=None, lease_until=None))


def deliver_batch(claims: Sequence[tuple[int, str]], *, clock: Callable[[], float] = time.monotonic) -> dict[str, int]:
    """Send claimed reminders one after the other, each exactly as `deliver` does (its own hand-over mark and
    outcome: a worker killed in the middle leaves at most one reminder to settle). Once half the lease has gone
    (slow providers), the rest are given back for the next pass rather than sent late under a claim running out.
    Returns how many reminders had each outcome."""
    began, budget = clock(), settings.REMINDERS.lease_seconds / 2
    outcomes: Counter[str] = Counter()
    for n, (reminder_id, token) in enumerate(claims):
        if clock() - began > budget:
            outcomes["given_back"] += sum(give_back(i, t) for i, t in claims[n:])
            break
        outcomes[deliver(reminder_id, token)] += 1
    return dict(outcomes)


def run_pass(*, now: datetime | None = None) -> dict[str, int]:
    """One claim-and-send pass in this process (`manage.py send_due_reminders`)."""
    claimed = claim_due(now=now)
    outcomes: dict[str, int] = {"claimed": len(claimed.claimed), "waiting": claimed.waiting}
    outcomes["skipped"] = claimed.skipped
    for outcome, count in deliver_batch(claimed.claimed).items():
        outcomes[outcome] = outcomes.get(outcome, 0) + count
    return outcomes
