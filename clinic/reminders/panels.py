"""The reminders' section of the staff patient page: the patient's preferences (with a link to change them, for
those who register patients) and the reminders still to go. Registered in ClinicConfig.ready(); shown to the front
desk too (it holds no clinical data: the kinds say "Dosing session, two days before", never why)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from clinic import audit, panels
from clinic.clock import clock_words
from clinic.models import Patient
from clinic.reminders import registry, services
from clinic.reminders.models import OPEN_STATUSES
from clinic.scoping import can_register_patients
from clinic.times import site_datetime

SHOWN = 5


def preference_words(patient: Patient) -> dict[str, str]:
    """The patient's preferences in words, for the staff panel and the portal page."""
    start, end = patient.quiet_hours_start, patient.quiet_hours_end
    quiet = f"{clock_words(start)} to {clock_words(end)}" if start is not None and end is not None else "None"
    return {
        "channel": patient.get_preferred_reminder_channel_display(),
        "quiet_hours": quiet,
        "opt_out": "Only messages about their care" if patient.non_clinical_opt_out else "All messages",
    }


def staff_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    upcoming = list(services.reminders_for_patient(patient).filter(status__in=OPEN_STATUSES).order_by("due_at")[:SHOWN])
    if upcoming:
        audit.record("clinic.reminder.list", patient=patient, details={"shown": len(upcoming), "via": "staff"})
    return {
        "title": "Reminders",
        "preferences": preference_words(patient),
        "change_url": (
            reverse("staff:reminder_preferences", args=[patient.pk]) if can_register_patients(request.user) else ""
        ),
        "upcoming": [
            {
                "kind": registry.label_of(r.kind),
                "channel": r.get_channel_display(),
                "due": site_datetime(r.next_attempt_at, patient.site),
            }
            for r in upcoming
        ],
    }


def register() -> None:
    panels.register(
        panels.Panel(
            key="reminders",
            audience="staff",
            template="staff/reminders/panel.html",
            build=staff_panel,
            order=95,
            clinical=False,
        )
    )
