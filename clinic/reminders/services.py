"""Services for reminders: what the owning apps call when they book, move or cancel something, and what clinic
administrators do with a failed reminder. Sending is in clinic/reminders/delivery.py.

    from clinic.reminders import services as reminders

    reminders.schedule_reminder(kind="dosing_session_48h", subject_id=session.pk, patient=session.patient,
                                starts_at=session.starts_at, by=user)
    reminders.reschedule_for_subject(subject_type="treatment_sessions.dosingsession", subject_id=session.pk,
                                     starts_at=new_start, by=user)
    reminders.cancel_for_subject(subject_type="treatment_sessions.dosingsession", subject_id=session.pk, by=user)

Each call belongs inside the caller's own transaction (the booking and its reminders commit together).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from clinic import audit
from clinic.errors import Conflict, NotAllowed
from clinic.models import Patient, ReminderChannel, User
from clinic.reminders import registry
from clinic.reminders.channels import recipient_address
from clinic.reminders.models import OPEN_STATUSES, DeliveryChannel, Reminder, ReminderStatus, SkipReason
from clinic.reminders.registry import ReminderKind
from clinic.reminders.rules import due_before
from clinic.scoping import patients_visible_to
from clinic.services import active_protocol_version

MOVABLE = (ReminderStatus.PENDING, ReminderStatus.SKIPPED, ReminderStatus.CANCELLED, ReminderStatus.FAILED)


def _kind(name: str) -> ReminderKind:
    kind = registry.get(name)
    if kind is None:
        raise ValueError(f"no reminder kind {name!r} is registered")
    return kind


def _locked(qs: QuerySet[Reminder]) -> QuerySet[Reminder]:
    return qs.select_for_update(of=("self",)) if connection.features.has_select_for_update_of else qs


def _lead_hours(kind: ReminderKind, patient: Patient | None) -> float:
    """The kind's lead time from the active protocol of the patient's site (read, not stamped: the reminder's
    time is not a clinical decision to reproduce)."""
    if patient is None:
        raise ValueError(f"{kind.name}: a reminder without a patient needs due_at")
    hours = kind.lead_hours(active_protocol_version(patient.site).protocol())
    if hours is None:
        raise ValueError(f"{kind.name} has no lead time: give due_at")
    return hours


def _channel(kind: ReminderKind, patient: Patient | None) -> str | None:
    if kind.audience == "staff" or patient is None:
        return DeliveryChannel.EMAIL
    choice = patient.preferred_reminder_channel
    return None if choice == ReminderChannel.NONE else choice


def _audit(action: str, reminder: Reminder, by: User | None, **details: Any) -> None:
    audit.record(
        action,
        patient=reminder.patient_id,
        obj=reminder,
        actor=by,
        details={"kind": reminder.kind, "channel": reminder.channel, "status": reminder.status, **details},
    )


def _arm(
    reminder: Reminder, *, due_at: datetime, starts_at: datetime | None, from_lead_time: bool, now: datetime
) -> None:
    """Set the times and the opening status: pending, or skipped when it can no longer go or has nowhere to go."""
    reminder.due_at = reminder.next_attempt_at = due_at
    reminder.subject_starts_at = starts_at
    reminder.attempts = 0
    reminder.last_error = ""
    reminder.claim_token = reminder.lease_until = reminder.handed_over_at = None
    reminder.status, reminder.skip_reason = ReminderStatus.PENDING, ""
    if starts_at is not None and starts_at <= now:
        reminder.status, reminder.skip_reason = ReminderStatus.SKIPPED, SkipReason.TOO_LATE
    elif from_lead_time and due_at < now:
        reminder.status, reminder.skip_reason = ReminderStatus.SKIPPED, SkipReason.PAST_DUE
    elif not recipient_address(reminder):
        reminder.status, reminder.skip_reason = ReminderStatus.SKIPPED, SkipReason.NO_ADDRESS


def schedule_reminder(
    *,
    kind: str,
    subject_id: int,
    patient: Patient | None,
    starts_at: datetime | None = None,
    due_at: datetime | None = None,
    recipient: User | None = None,
    occurrence: int | None = None,
    by: User | None = None,
    now: datetime | None = None,
) -> Reminder | None:
    """Create the reminder, or move it when it exists. Returns it, or None when the patient chose no reminders.

    The due time is `due_at`, or `starts_at` less the kind's lead time (a protocol setting of the patient's site).
    A due time already past at booking gives a `skipped` reminder, as does a recipient without an address for the
    channel. A reminder already sent for another time gets a new occurrence for the new time; one already sent
    for this time is left alone (calling twice changes nothing).
    """
    spec = _kind(kind)
    if (spec.audience == "staff") != (recipient is not None):
        raise ValueError(f"{kind}: a staff reminder needs `recipient`, a patient reminder must not have one")
    now = now or timezone.now()
    from_lead_time = due_at is None
    if due_at is None:
        if starts_at is None:
            raise ValueError(f"{kind}: give starts_at or due_at")
        due_at = due_before(starts_at, _lead_hours(spec, patient))
    channel = _channel(spec, patient)
    if channel is None:
        return None
    key = {"subject_type": spec.subject_type, "subject_id": subject_id, "kind": kind}
    if recipient is not None:
        key["recipient_user"] = recipient
    else:
        key.update(patient=patient, recipient_user__isnull=True)
    with transaction.atomic():
        rows = _locked(Reminder.objects.filter(**key))
        if occurrence is not None:
            rows = rows.filter(occurrence=occurrence)
        latest = rows.order_by("-occurrence").first()
        same_time = latest is not None and latest.due_at == due_at and latest.subject_starts_at == starts_at
        if latest is not None and same_time and latest.status != ReminderStatus.CANCELLED:
            return latest  # already scheduled for this time
        if latest is not None and latest.status in MOVABLE:
            moved_from = latest.due_at
            latest.channel = channel if not key_taken_on(latest, channel) else latest.channel
            _arm(latest, due_at=due_at, starts_at=starts_at, from_lead_time=from_lead_time, now=now)
            latest.save()
            _audit("clinic.reminder.reschedule", latest, by, due_at=due_at, moved_from=moved_from)
            return latest
        reminder = Reminder(
            kind=kind,
            channel=channel,
            patient=patient,
            recipient_user=recipient,
            subject_type=spec.subject_type,
            subject_id=subject_id,
            occurrence=occurrence or ((latest.occurrence + 1) if latest is not None else 1),
        )
        _arm(reminder, due_at=due_at, starts_at=starts_at, from_lead_time=from_lead_time, now=now)
        try:
            with transaction.atomic():
                reminder.save()
        except IntegrityError:  # a concurrent call created it first: it is scheduled
            return Reminder.objects.filter(**key, occurrence=reminder.occurrence, channel=channel).first()
        _audit("clinic.reminder.create", reminder, by, due_at=due_at, skip_reason=reminder.skip_reason)
    return reminder


def key_taken_on(reminder: Reminder, channel: str) -> bool:
    """Whether another row already holds this reminder's key on `channel`."""
    return (
        channel != reminder.channel
        and Reminder.objects.filter(
            subject_type=reminder.subject_type,
            subject_id=reminder.subject_id,
            kind=reminder.kind,
            occurrence=reminder.occurrence,
            channel=channel,
            patient=reminder.patient,
            recipient_user=reminder.recipient_user,
        ).exists()
    )


def reschedule_for_subject(
    *, subject_type: str, subject_id: int, starts_at: datetime, by: User | None = None, now: datetime | None = None
) -> list[Reminder]:
    """Move every reminder about the subject that counts from its start (the lead-time kinds) to the new start."""
    moved = []
    with transaction.atomic():
        rows = Reminder.objects.filter(subject_type=subject_type, subject_id=subject_id).select_related("patient")
        targets = {(r.kind, r.patient_id, r.recipient_user_id): r for r in rows.order_by("occurrence")}
        for (kind_name, _, _), row in sorted(targets.items(), key=lambda item: item[1].pk):
            spec = registry.get(kind_name)
            if spec is None or spec.lead_time_setting is None:
                continue
            result = schedule_reminder(
                kind=kind_name,
                subject_id=subject_id,
                patient=row.patient,
                recipient=row.recipient_user,
                starts_at=starts_at,
                by=by,
                now=now,
            )
            if result is not None:
                moved.append(result)
    return moved


def cancel_for_subject(
    *, subject_type: str, subject_id: int, kinds: Iterable[str] | None = None, by: User | None = None
) -> int:
    """Cancel what has not gone out yet about the subject (a claimed reminder not yet handed to the provider too).
    Returns how many were cancelled; calling twice cancels nothing more."""
    cancelled = 0
    with transaction.atomic():
        rows = _locked(
            Reminder.objects.filter(subject_type=subject_type, subject_id=subject_id, status__in=OPEN_STATUSES)
        )
        if kinds is not None:
            rows = rows.filter(kind__in=list(kinds))
        for reminder in rows.order_by("pk"):
            if reminder.handed_over_at is not None:
                continue  # already with the provider: it cannot be called back
            reminder.status = ReminderStatus.CANCELLED
            reminder.claim_token = reminder.lease_until = None
            reminder.save(update_fields=["status", "claim_token", "lease_until", "updated_at"])
            _audit("clinic.reminder.cancel", reminder, by)
            cancelled += 1
    return cancelled


def reminders_for_patient(patient: Patient) -> QuerySet[Reminder]:
    """The reminders that go to the patient (not the staff alerts about them), latest due first."""
    return Reminder.objects.filter(patient=patient, recipient_user__isnull=True).order_by("-due_at", "-id")


def visible_reminders(user: User) -> QuerySet[Reminder]:
    """Reminders about the patients `user` may see (clinic.scoping); staff only: a patient sees none here."""
    if not user.is_authenticated or user.is_patient_user:
        return Reminder.objects.none()
    return Reminder.objects.filter(patient__in=patients_visible_to(user)).select_related("patient", "recipient_user")


def retry_reminder(*, by: User, reminder: Reminder) -> Reminder:
    """Send a failed reminder again (clinic administrators). Only a `failed` one: anything else is 409.

    A failure marked "delivery uncertain" may have reached the recipient: the administrator checks before retrying.
    """
    if not visible_reminders(by).filter(pk=reminder.pk).exists():
        raise Http404("No such reminder.")
    if not by.is_clinic_admin:
        raise NotAllowed("Only a clinic administrator may send a reminder again.")
    with transaction.atomic():
        locked = _locked(Reminder.objects.filter(pk=reminder.pk)).get()
        if locked.status != ReminderStatus.FAILED:
            raise Conflict(
                f"Only a failed reminder can be sent again; this one is {locked.get_status_display().lower()}.",
                code="not_failed",
            )
        previous_error = locked.last_error
        locked.status = ReminderStatus.PENDING
        locked.next_attempt_at = timezone.now()
        locked.attempts = 0
        locked.last_error = ""
        locked.claim_token = locked.lease_until = locked.handed_over_at = None
        locked.save()
        _audit("clinic.reminder.retry", locked, by, previous_error=previous_error)
    return locked
