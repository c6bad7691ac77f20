"""Notifications to the care team and to patients: rows in the database, one per recipient (the admin lists them).

A safety alert is also emailed to each recipient, at once and exactly once, by the reminders machinery
(clinic/reminders/staff_alerts.py says what such an email may contain: not the patient's name nor any clinical
detail, only that there is an alert and a link to it).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from clinic import audit
from clinic.models import Notification, NotificationKind, Patient, Role, User
from clinic.reminders.staff_alerts import email_alerts


def care_team_recipients(patient: Patient) -> list[User]:
    """The patient's care team; when there is none yet, the prescribers and nurses of the patient's site."""
    team = [m.user for m in patient.care_team.select_related("user") if m.user.is_active]
    if team:
        return team
    return list(
        User.objects.filter(is_active=True, sites=patient.site, role__in=[Role.PRESCRIBER, Role.NURSE]).distinct()
    )


def notify_care_team(
    patient: Patient,
    *,
    kind: NotificationKind,
    title: str,
    body: str = "",
    link: str = "",
    dedupe_key: str = "",
) -> list[Notification]:
    """One notification per recipient; a repeated `dedupe_key` creates nothing new (safe to call twice)."""
    created = []
    with transaction.atomic():
        for user in care_team_recipients(patient):
            if dedupe_key and Notification.objects.filter(recipient=user, dedupe_key=dedupe_key).exists():
                continue
            try:
                with transaction.atomic():
                    note = Notification.objects.create(
                        recipient=user, patient=patient, kind=kind, title=title, body=body, link=link,
                        dedupe_key=dedupe_key,
                    )  # fmt: skip
            except IntegrityError:  # a concurrent call created it first
                continue
            created.append(note)
        email_alerts(created)
        if created:
            audit.record(
                "clinic.notification.create",
                patient=patient,
                details={"kind": kind, "title": title, "recipients": [n.recipient.get_username() for n in created]},
            )
    return created
