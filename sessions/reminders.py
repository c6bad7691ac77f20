"""The reminders of dosing sessions and integration appointments (clinical protocol §8), sent by clinic/reminders/.

Three kinds, registered in `TreatmentSessionsConfig.ready()`:

- `dosing_session_48h` (`reminders.dosing_session_first_hours_before`): the appointment, how to get ready (the
  fasting times computed for this session's route and start, the escort, what to bring), the address, and the
  session's calendar file (`sessions.calendar.session_ics`, the patient's version) attached to the email;
- `dosing_session_2h` (`reminders.dosing_session_second_hours_before`): the same times again, not held back by the
  patient's quiet hours (it would be useless after them);
- `integration_24h` (`reminders.integration_hours_before`): the integration appointment.

The booking services call `session_booked` / `appointment_booked` inside the booking's transaction, a moved session
`session_moved`, and every way out of the schedule (cancelled, deferred, no-show, a stopped course)
`session_closed` / `appointment_closed`. The context builders run in the worker just before the send and return
None for a session that is no longer scheduled, so a reminder the services could not cancel is skipped.

What a message may say (docs/architecture.md, "What a message may say"): the clinic, the day and time, the address,
how to get ready. Never the drug, the route, a dose or a diagnosis.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from clinic.clock import clock_words
from clinic.domain import site_zone
from clinic.emails import Attachment
from clinic.models import Site, User
from clinic.reminders import registry
from clinic.reminders import services as reminders
from clinic.reminders.wording import appointment_when
from clinic.services import current_protocol
from sessions.calendar import session_ics
from sessions.models import AppointmentStatus, DosingSession, IntegrationAppointment, SessionStatus
from sessions.monitoring import fasting_times

SESSION_SUBJECT = "treatment_sessions.dosingsession"
APPOINTMENT_SUBJECT = "treatment_sessions.integrationappointment"
SESSION_KINDS = ("dosing_session_48h", "dosing_session_2h")
APPOINTMENT_KINDS = ("integration_24h",)

# What the preparation asks the patient to bring (no clinical word: it is read on lock screens).
BRING = ("a photo ID", "a list of the medicines you take", "comfortable clothes")


def _clock(at: dt.datetime, tz: Any) -> str:
    return clock_words(at.astimezone(tz), zone=False)


def _site_context(site: Site) -> dict[str, Any]:
    return {
        "site_name": site.name,
        "site_address": " ".join(site.address.split()),
        "site_phone": site.phone,
        "portal_url": settings.CLINIC_BASE_URL + reverse("portal:sessions"),
    }


def _fasting_words(until: dt.datetime, start: dt.datetime, tz: Any) -> str:
    """ "3:00 a.m.", or "11:00 p.m. the evening before" when the time falls on the day before the session."""
    words = _clock(until, tz)
    if until.astimezone(tz).date() < start.astimezone(tz).date():
        words += " the evening before"
    return words


def session_context(subject_id: int) -> Mapping[str, Any] | None:
    """What the dosing-session reminders say; None when the session is gone or no longer scheduled."""
    session = (
        DosingSession.objects.select_related("chair__site", "patient")
        .filter(pk=subject_id, status=SessionStatus.SCHEDULED)
        .first()
    )
    if session is None:
        return None
    site = session.chair.site
    tz = site_zone(site)
    fasting = fasting_times(session.start, session.route, current_protocol(site).monitoring)
    return {
        **appointment_when(session.start, timezone.now(), tz),
        **_site_context(site),
        "solids_until": _fasting_words(fasting.solids_until, session.start, tz),
        "clear_liquids_until": _fasting_words(fasting.clear_liquids_until, session.start, tz),
        "escort_needed": True,  # every dosing session ends with an escort home (clinical protocol §4)
        "bring": list(BRING),
    }


def session_calendar(subject_id: int, context: Mapping[str, Any]) -> Sequence[Attachment]:
    """The patient's calendar file of the session (the same as the portal's "Add to my calendar")."""
    session = DosingSession.objects.select_related("chair__site", "patient").filter(pk=subject_id).first()
    if session is None:
        return []
    return [Attachment("appointment.ics", session_ics(session, "patient"), "text/calendar")]


def appointment_context(subject_id: int) -> Mapping[str, Any] | None:
    """What the integration reminder says; None when the appointment is gone or no longer scheduled."""
    appointment = (
        IntegrationAppointment.objects.select_related("patient__site")
        .filter(pk=subject_id, status=AppointmentStatus.SCHEDULED)
        .first()
    )
    if appointment is None:
        return None
    site = appointment.patient.site
    return {**appointment_when(appointment.start, timezone.now(), site_zone(site)), **_site_context(site)}


SAMPLE = {
    "day": "tomorrow",
    "time": "9:00 a.m.",
    "site_name": "North Test Site",
    "site_address": "1 Example Street, Testville",
    "site_phone": "555-0100",
    "portal_url": "http://localhost:8000/portal/sessions/",
}
SESSION_SAMPLE = {
    **SAMPLE,
    "solids_until": "3:00 a.m.",
    "clear_liquids_until": "7:00 a.m.",
    "escort_needed": True,
    "bring": list(BRING),
}


def register() -> None:
    common: dict[str, Any] = {"audience": "patient", "clinical": True}
    registry.register(registry.ReminderKind(
        name="dosing_session_48h", label="Dosing session, two days before", subject_type=SESSION_SUBJECT,
        lead_time_setting="reminders.dosing_session_first_hours_before",
        email_template="reminders/dosing-session-48h", sms_template="sms/dosing-session-48h.txt",
        build_context=session_context, sample_context=SESSION_SAMPLE, attachments=session_calendar, **common,
    ))  # fmt: skip
    registry.register(registry.ReminderKind(
        name="dosing_session_2h", label="Dosing session, two hours before", subject_type=SESSION_SUBJECT,
        lead_time_setting="reminders.dosing_session_second_hours_before", quiet_hours=False,
        email_template="reminders/dosing-session-2h", sms_template="sms/dosing-session-2h.txt",
        build_context=session_context, sample_context=SESSION_SAMPLE, attachments=session_calendar, **common,
    ))  # fmt: skip
    registry.register(registry.ReminderKind(
        name="integration_24h", label="Integration session, the day before", subject_type=APPOINTMENT_SUBJECT,
        lead_time_setting="reminders.integration_hours_before",
        email_template="reminders/integration-24h", sms_template="sms/integration-24h.txt",
        build_context=appointment_context, sample_context=SAMPLE, **common,
    ))  # fmt: skip


# --- What the booking services call, inside their transaction ---------------------------------------------------


def session_booked(session: DosingSession, by: User | None) -> None:
    """Schedule the two reminders of a newly booked session (a due time already past is recorded as skipped)."""
    for kind in SESSION_KINDS:
        reminders.schedule_reminder(
            kind=kind, subject_id=session.pk, patient=session.patient, starts_at=session.start, by=by
        )


def session_moved(session: DosingSession, by: User | None) -> None:
    """Move the session's reminders to its new start (one already sent goes again for the new time)."""
    reminders.reschedule_for_subject(
        subject_type=SESSION_SUBJECT, subject_id=session.pk, starts_at=session.start, by=by
    )


def session_closed(session: DosingSession, by: User | None) -> None:
    """Cancel what has not gone out about a session that will not take place."""
    reminders.cancel_for_subject(subject_type=SESSION_SUBJECT, subject_id=session.pk, by=by)


def appointment_booked(appointment: IntegrationAppointment, by: User | None) -> None:
    for kind in APPOINTMENT_KINDS:
        reminders.schedule_reminder(
            kind=kind, subject_id=appointment.pk, patient=appointment.patient, starts_at=appointment.start, by=by
        )


def appointment_closed(appointment: IntegrationAppointment, by: User | None) -> None:
    reminders.cancel_for_subject(subject_type=APPOINTMENT_SUBJECT, subject_id=appointment.pk, by=by)
