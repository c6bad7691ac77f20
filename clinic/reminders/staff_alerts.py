"""Care-team alerts by email: each Notification that is a safety alert becomes one reminder row, due at once.

What the email may say. Email leaves the clinic's systems: it is stored by mail providers, forwarded, read on lock
screens and shared phones. So the message says only that there is an alert to look at, when it was raised, at which
site, and a link. The link carries the notification's number, which means nothing outside the clinic; it opens
the alert after sign-in, only for its recipient (`NotificationOpenView`). It never carries the patient's name or
initials, the MRN, the reason (a questionnaire item, a risk level, a vital sign) or any other clinical detail: an
MRN or a name next to "safety alert" already discloses that the person is a patient at risk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from clinic import times
from clinic.models import Notification, NotificationKind
from clinic.reminders import registry, services

SUBJECT_TYPE = "clinic.notification"
KIND = "staff_alert"
EMAILED_KINDS = frozenset({NotificationKind.SAFETY_ALERT})


def alert_context(notification_id: int) -> Mapping[str, Any] | None:
    note = Notification.objects.select_related("patient__site").filter(pk=notification_id).first()
    if note is None:
        return None
    site = note.patient.site if note.patient else None
    return {
        "alert": "safety alert" if note.kind == NotificationKind.SAFETY_ALERT else "care-team alert",
        "raised_at": times.site_datetime(note.created_at, site or timezone.get_default_timezone()),
        "site_name": site.name if site else "",
        "link": settings.CLINIC_BASE_URL + reverse("staff:notification_open", args=[note.pk]),
    }


def mark_delivered(notification_id: int, sent_at: datetime) -> None:
    Notification.objects.filter(pk=notification_id, delivered_at__isnull=True).update(delivered_at=sent_at)


def register() -> None:
    registry.register(
        registry.ReminderKind(
            name=KIND,
            label="Care-team alert",
            audience="staff",
            clinical=True,
            subject_type=SUBJECT_TYPE,
            email_template="reminders/staff-alert",
            build_context=alert_context,
            sample_context={
                "alert": "safety alert",
                "raised_at": "Thu, May 7, 2026, 9:05 AM EDT",
                "site_name": "North Test Site",
                "link": "http://localhost:8000/staff/notifications/1/",
            },
            quiet_hours=False,
            on_sent=mark_delivered,
        )
    )


def email_alerts(notifications: Iterable[Notification], *, always: bool = False) -> None:
    """Schedule the email of each notification that is an alert (call inside the transaction that created them);
    `always`: email them whatever their kind (the relapse watch, a REMS form near its deadline)."""
    now = timezone.now()
    for note in notifications:
        if always or note.kind in EMAILED_KINDS:
            services.schedule_reminder(
                kind=KIND, subject_id=note.pk, patient=note.patient, recipient=note.recipient, due_at=now
            )
