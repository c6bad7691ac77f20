"""Which report jobs a requester may see: the patients clinic.scoping lets them see, and only the kinds their role
may get (never the front desk; a patient only their own, of the kinds offered in the portal). Nothing here writes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from clinic.models import Patient, ReportJob, ReportStatus, Role
from clinic.reports import kinds
from clinic.scoping import can_view_clinical, get_in_scope, patients_visible_to

# A job still pending after this long lost its task (a broker flushed, a worker gone): operations may retry it.
STALE_AFTER = timedelta(minutes=15)


def kinds_for(user: Any, patient: Patient | None = None) -> list[kinds.ReportKind]:
    """The kinds `user` may request and download (for `patient`, who must already be visible to them)."""
    if not can_view_clinical(user, patient):
        return []
    if user.is_superuser:
        return kinds.all_kinds()
    return [kind for kind in kinds.all_kinds() if kind.allows_role(user.role)]


def jobs_visible_to(user: Any, *, portal: bool = False) -> QuerySet[ReportJob]:
    """Staff see the jobs of their patients of the kinds their role may get; with `portal`, a patient sees their
    own jobs of the kinds offered to patients. Patients never reach jobs outside the portal, nor staff inside it."""
    qs = ReportJob.objects.select_related("patient__site", "requested_by")
    if not can_view_clinical(user) or portal != (getattr(user, "role", None) == Role.PATIENT):
        return qs.none()
    allowed = [kind.name for kind in kinds_for(user)]
    return qs.filter(patient__in=patients_visible_to(user).values("pk"), kind__in=allowed)


def get_job_for(user: Any, pk: Any, *, portal: bool = False) -> ReportJob:
    return get_in_scope(jobs_visible_to(user, portal=portal), pk, "No such report.")


def recent_jobs(user: Any, patient: Patient, *, portal: bool = False, limit: int = 10) -> list[ReportJob]:
    return list(jobs_visible_to(user, portal=portal).filter(patient=patient)[:limit])


def latest_jobs_by_request(user: Any, patient: Patient, *, portal: bool = False) -> dict[str, ReportJob]:
    """The newest job of each distinct request (`request_key`) of the patient: what the portal shows per document."""
    latest: dict[str, ReportJob] = {}
    for job in jobs_visible_to(user, portal=portal).filter(patient=patient).order_by("-created_at", "-id"):
        latest.setdefault(job.request_key, job)
    return latest


def jobs_needing_attention(user: Any, *, now: Any = None) -> QuerySet[ReportJob]:
    """Failed jobs, and jobs pending for longer than STALE_AFTER, of the patients a clinic administrator may see:
    the operations page lists them with a retry (clinic.reports.services.retry_report)."""
    if not getattr(user, "is_clinic_admin", False):
        return ReportJob.objects.none()
    stale_before = (now or timezone.now()) - STALE_AFTER
    return (
        jobs_visible_to(user)
        .filter(Q(status=ReportStatus.FAILED) | Q(status=ReportStatus.PENDING, updated_at__lt=stale_before))
        .order_by("-updated_at", "-id")
    )


def is_stale(job: ReportJob, now: Any = None) -> bool:
    return job.status == ReportStatus.PENDING and job.updated_at < (now or timezone.now()) - STALE_AFTER
