"""A patient's reminder preferences: the channel, quiet hours and opting out of non-clinical messages.

Changed by the patient (portal) or by staff who register patients (front desk, nurses, prescribers, clinic
administrators), through `set_reminder_preferences`: validated (text messages need a phone number; quiet hours
need both ends), audited, and applied to what has not gone out yet: pending reminders move to the new channel, and
with "no reminders" they are cancelled.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from clinic import audit
from clinic.errors import InvalidInput, NotAllowed
from clinic.models import Patient, ReminderChannel, User, reminder_contact_error
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.reminders.services import key_taken_on
from clinic.scoping import can_register_patients, get_patient_for

PREFERENCE_FIELDS = ("preferred_reminder_channel", "quiet_hours_start", "quiet_hours_end", "non_clinical_opt_out")
UNSET: Any = object()


def _may_change(by: User, patient: Patient) -> bool:
    if by.is_patient_user:
        return by.patient_id == patient.pk
    return can_register_patients(by)


def set_reminder_preferences(
    *,
    by: User,
    patient: Patient,
    channel: str = UNSET,
    quiet_hours_start: time | None = UNSET,
    quiet_hours_end: time | None = UNSET,
    non_clinical_opt_out: bool = UNSET,
) -> Patient:
    """Change the given preferences (the others stay as they are); audited as clinic.patient.reminder_preferences."""
    get_patient_for(by, patient.pk)  # 404 for a patient the requester may not see
    if not _may_change(by, patient):
        raise NotAllowed("Your role may not change a patient's reminder preferences.")
    given = {
        name: value
        for name, value in zip(
            PREFERENCE_FIELDS, (channel, quiet_hours_start, quiet_hours_end, non_clinical_opt_out), strict=True
        )
        if value is not UNSET
    }
    with transaction.atomic():
        locked = Patient.objects.select_for_update().select_related("site").get(pk=patient.pk)
        before = {name: getattr(locked, name) for name in PREFERENCE_FIELDS}
        for name, value in given.items():
            setattr(locked, name, value)
        errors: dict[str, list[str]] = {}
        if "preferred_reminder_channel" in given:
            contact = reminder_contact_error(locked.preferred_reminder_channel, locked.phone)
            if contact:
                errors["preferred_reminder_channel"] = [contact]
        try:
            locked.full_clean()
        except ValidationError as exc:
            errors.update({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
        if errors:
            raise InvalidInput(errors)
        diff = audit.changes(before, {name: getattr(locked, name) for name in PREFERENCE_FIELDS})
        if not diff:
            return locked
        locked.save(update_fields=[*PREFERENCE_FIELDS, "updated_at"])
        moved = apply_channel(locked, by) if "preferred_reminder_channel" in diff else 0
        audit.record(
            "clinic.patient.reminder_preferences",
            patient=locked,
            obj=locked,
            actor=by,
            details={"changes": diff, "pending_reminders_changed": moved},
        )
    return locked


def apply_channel(patient: Patient, by: User | None) -> int:
    """Move the patient's pending reminders to their new channel, or cancel them for "no reminders"."""
    pending = Reminder.objects.filter(
        patient=patient, recipient_user__isnull=True, status=ReminderStatus.PENDING, handed_over_at__isnull=True
    )
    changed = 0
    for reminder in pending.order_by("pk"):
        if patient.preferred_reminder_channel == ReminderChannel.NONE:
            reminder.status = ReminderStatus.CANCELLED
            action = "clinic.reminder.cancel"
        else:
            if key_taken_on(reminder, patient.preferred_reminder_channel):
                continue
            reminder.channel = patient.preferred_reminder_channel
            action = "clinic.reminder.reschedule"
        reminder.save(update_fields=["status", "channel", "updated_at"])
        audit.record(
            action,
            patient=patient,
            obj=reminder,
            actor=by,
            details={"kind": reminder.kind, "channel": reminder.channel, "status": reminder.status},
        )
        changed += 1
    return changed
