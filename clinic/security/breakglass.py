"""Break-glass access: a prescriber opens a patient outside their sites for a limited time, with a reason.

The grant widens `clinic.scoping.patients_visible_to` for that prescriber and patient until it expires; every
audit entry written under it carries `break_glass` (clinic.audit.record); the clinic administrators of the
patient's site are notified. The reason's minimum length and the duration are protocol settings (`break_glass`,
docs/clinical-protocol.md §9).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from clinic import audit, times
from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import Notification, NotificationKind, Patient, Role, User
from clinic.scoping import patients_visible_to
from clinic.security.models import BreakGlassGrant
from clinic.services import active_protocol_version


def find_patient(mrn: str) -> Patient:
    """The patient with this medical record number, at any site (the prescriber names it exactly)."""
    matches = list(Patient.objects.select_related("site").filter(mrn__iexact=mrn.strip(), is_active=True)[:2])
    if not matches:
        raise InvalidInput({"mrn": ["No patient has this medical record number. Check it and try again."]})
    if len(matches) > 1:
        raise InvalidInput({"mrn": ["More than one site uses this number; ask a clinic administrator."]})
    return matches[0]


def open_grant(*, by: User, patient: Patient, reason: str, now: datetime | None = None) -> BreakGlassGrant:
    now = now or timezone.now()
    if not (by.is_active and by.role == Role.PRESCRIBER):
        raise NotAllowed("Only prescribers can open a record outside their sites.")
    settings = active_protocol_version(patient.site).protocol().break_glass
    reason = reason.strip()
    if len(reason) < settings.reason_min_chars:
        raise InvalidInput(
            {"reason": [f"Write at least {settings.reason_min_chars} characters: what happened and why you need it."]}
        )
    with transaction.atomic():
        if patients_visible_to(by).filter(pk=patient.pk).exists():
            raise Conflict("This patient is already on your list; open the record from the patient list.")
        grant = BreakGlassGrant.objects.create(
            user=by,
            patient=patient,
            reason=reason,
            opened_at=now,
            expires_at=now + timedelta(minutes=settings.access_minutes),
        )
        audit.record(
            "clinic.breakglass.open",
            patient=patient,
            obj=grant,
            actor=by,
            details={"reason": reason, "minutes": settings.access_minutes, "expires_at": grant.expires_at},
        )
        _notify_admins(grant)
    return grant


def end_grant(grant: BreakGlassGrant, *, by: User) -> None:
    with transaction.atomic():
        locked = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
        if locked.ended_at is not None:
            return
        locked.ended_at = timezone.now()
        locked.ended_by = by
        locked.save(update_fields=["ended_at", "ended_by"])
        audit.record("clinic.breakglass.end", patient=locked.patient_id, obj=locked, actor=by)


def active_grant_id(user: User, patient_id: int) -> int | None:
    grant = BreakGlassGrant.objects.active().filter(user=user, patient_id=patient_id).values_list("pk", flat=True)
    return grant.first()


def _notify_admins(grant: BreakGlassGrant) -> None:
    admins = User.objects.filter(is_active=True, role=Role.CLINIC_ADMIN, sites=grant.patient.site).distinct()
    ends = times.site_datetime(grant.expires_at, grant.patient.site)
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=admin,
                patient=grant.patient,
                kind=NotificationKind.INFO,
                title=f"Emergency access opened by {grant.user.get_full_name() or grant.user.get_username()}",
                body=f"Reason given: {grant.reason}\nThe access ends on {ends}.",
                link=f"/admin/security/breakglassgrant/{grant.pk}/change/",
                dedupe_key=f"breakglass:{grant.pk}",
            )
            for admin in admins
        ]
    )
