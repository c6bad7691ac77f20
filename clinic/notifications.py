"""Notifications to the care team and to patients: rows in the database, one per recipient, and the staff side of
alerts: what a staff member has not read, which alerts need someone to act, and acknowledging one.

Severity ranks alerts (highest first). It comes from the kind unless the caller sets it: a safety alert is a
warning (an in-session vital-sign alert, a severe adverse event: review it), an alert the caller marks critical (a
patient's suicide risk: act today) comes before everything else, the rest is information.

An alert is about the patient, not about its reader: when one member of the care team acknowledges it, it is
acknowledged for the whole team (every recipient's row of the same alert records who, when and what was done), so
that nobody calls the patient a second time and everyone sees who handled it. A safety alert is acknowledged only
with a note of what was done. Reading is personal: opening an alert marks only the reader's own row as read.

A safety alert is also emailed to each recipient, at once and exactly once, by the reminders machinery
(clinic/reminders/staff_alerts.py says what such an email may contain: not the patient's name nor any clinical
detail, only that there is an alert and a link to it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from clinic import audit
from clinic.domain import locked, text
from clinic.errors import Conflict, InvalidInput
from clinic.models import Notification, NotificationKind, NotificationSeverity, Patient, Role, User
from clinic.reminders.staff_alerts import email_alerts
from clinic.scoping import can_view_clinical, patients_visible_to
from clinic.times import site_datetime

DEFAULT_SEVERITY = {
    NotificationKind.SAFETY_ALERT: NotificationSeverity.WARNING,
    NotificationKind.REMINDER: NotificationSeverity.INFO,
    NotificationKind.INFO: NotificationSeverity.INFO,
}
NOTE_REQUIRED_KINDS = frozenset({NotificationKind.SAFETY_ALERT})
NOTE_REQUIRED = "Say what was done: who spoke with the patient and the outcome."
NOTE_MAX_CHARS = 2000


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
    severity: NotificationSeverity | None = None,
    email: bool = False,
) -> list[Notification]:
    """One notification per recipient; a repeated `dedupe_key` creates nothing new (safe to call twice).

    The rows of one call share their dedupe key (one is made up when none is given): together they are one alert,
    acknowledged once for the team. `severity` defaults to the kind's (DEFAULT_SEVERITY). Safety alerts are emailed
    to each recipient at once; `email` emails any other kind too (clinic/reminders/staff_alerts.py)."""
    created = []
    key = dedupe_key or f"clinic.notification.{uuid.uuid4().hex}"
    rank = severity if severity is not None else DEFAULT_SEVERITY[NotificationKind(kind)]
    with transaction.atomic():
        for user in care_team_recipients(patient):
            if Notification.objects.filter(recipient=user, dedupe_key=key).exists():
                continue
            try:
                with transaction.atomic():
                    note = Notification.objects.create(
                        recipient=user, patient=patient, kind=kind, severity=rank, title=title, body=body,
                        link=link, dedupe_key=key,
                    )  # fmt: skip
            except IntegrityError:  # a concurrent call created it first
                continue
            created.append(note)
        email_alerts(created, always=email)
        if created:
            audit.record(
                "clinic.notification.create",
                patient=patient,
                details={
                    "kind": kind,
                    "severity": int(rank),
                    "title": title,
                    "recipients": [n.recipient.get_username() for n in created],
                },
            )
    return created


# --- What a staff member sees ------------------------------------------------------------------------------------


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's own notifications about patients they may still see (or about no patient). Safety alerts carry
    clinical details, so a role without clinical access (front desk) does not get them here."""
    rows = Notification.objects.filter(recipient=user).filter(
        Q(patient__isnull=True) | Q(patient__in=patients_visible_to(user).values("pk"))
    )
    if not can_view_clinical(user):
        rows = rows.exclude(kind=NotificationKind.SAFETY_ALERT)
    return rows.select_related("patient__site", "acknowledged_by")


def unread(rows: QuerySet[Notification]) -> QuerySet[Notification]:
    """Not opened by the reader, and not acknowledged by anyone on the team."""
    return rows.filter(read_at__isnull=True, acknowledged_at__isnull=True)


def needing_action(rows: QuerySet[Notification]) -> QuerySet[Notification]:
    """Not acknowledged yet: warnings and critical alerts stay until someone acknowledges them, information until
    it is read. Highest severity first, then the newest."""
    open_rows = rows.filter(acknowledged_at__isnull=True).filter(
        Q(severity__gte=NotificationSeverity.WARNING) | Q(read_at__isnull=True)
    )
    return open_rows.order_by("-severity", "-created_at", "-pk")


def unread_count(user: User) -> int:
    """The number in the header of every staff page: one COUNT query."""
    return unread(notifications_for(user)).count()


def note_required(notification: Notification) -> bool:
    return notification.kind in NOTE_REQUIRED_KINDS


def same_alert(notification: Notification) -> QuerySet[Notification]:
    """Every recipient's row of the alert `notification` belongs to."""
    if not notification.dedupe_key:
        return Notification.objects.filter(pk=notification.pk)
    return Notification.objects.filter(patient=notification.patient, dedupe_key=notification.dedupe_key)


# --- Acting on one ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Acknowledgement:
    """The acknowledged alert (the acknowledger's own row) and how many recipients' rows it closed."""

    notification: Notification
    rows: int


def acknowledge(*, by: User, notification: Notification, note: str) -> Acknowledgement:
    """Acknowledge an alert for the whole care team, saying what was done (required for a safety alert); audited as
    clinic.notification.acknowledge. `notification` is one of `by`'s own (the view found it in notifications_for).

    Refused: an alert someone already acknowledged (409 `already_acknowledged`, naming who and when), a safety alert
    without a note (400 on `note`)."""
    note = text(note)
    if len(note) > NOTE_MAX_CHARS:
        raise InvalidInput({"note": f"Keep the note under {NOTE_MAX_CHARS} characters."})
    with transaction.atomic():
        rows = list(locked(same_alert(notification).select_related("acknowledged_by", "patient__site")).order_by("pk"))
        own = next((row for row in rows if row.pk == notification.pk), None)
        if own is None or own.recipient_id != by.pk:
            raise Conflict("This alert is not addressed to you.", code="not_recipient")
        if own.acknowledged_at is not None:
            raise Conflict(acknowledged_words(own), code="already_acknowledged")
        if note_required(own) and not note:
            raise InvalidInput({"note": NOTE_REQUIRED})
        now = timezone.now()
        closed = [row.pk for row in rows if row.acknowledged_at is None]
        Notification.objects.filter(pk__in=closed).update(
            acknowledged_at=now, acknowledged_by=by, acknowledgement_note=note
        )
        Notification.objects.filter(pk=own.pk, read_at__isnull=True).update(read_at=now)
        own.refresh_from_db()
        audit.record(
            "clinic.notification.acknowledge",
            patient=own.patient,
            obj=own,
            actor=by,
            details={
                "kind": own.kind,
                "severity": own.severity,
                "title": own.title,
                "note": note,
                "dedupe_key": own.dedupe_key,
                "rows": len(closed),
            },
        )
    return Acknowledgement(own, len(closed))


def mark_read(*, by: User, notification: Notification) -> Notification:
    """The reader opened it: their own row only (reading is personal); audited as clinic.notification.read the
    first time."""
    with transaction.atomic():
        updated = Notification.objects.filter(pk=notification.pk, recipient=by, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        notification.refresh_from_db()
        if updated:
            audit.record(
                "clinic.notification.read",
                patient=notification.patient,
                obj=notification,
                actor=by,
                details={"kind": notification.kind, "title": notification.title},
            )
    return notification


def acknowledged_words(notification: Notification) -> str:
    """Who acknowledged it and when, for a page or a refusal: "Acknowledged by Nia Nurse on Mon, May 4, 2026,
    10:05 AM EDT."."""
    who = notification.acknowledged_by
    name = (who.get_full_name() or who.get_username()) if who is not None else "a member of the care team"
    site = notification.patient.site if notification.patient is not None else None
    return f"Acknowledged by {name} on {site_datetime(notification.acknowledged_at, site)}."
