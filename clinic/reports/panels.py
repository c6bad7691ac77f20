"""The reports' sections: on the staff patient page (ask for a report, watch it appear, download it) and on the
portal home (a link to the patient's documents). Registered in ClinicConfig.ready(); the rows they show are made
here once (`job_row`) for the staff and the portal templates alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from clinic import audit, panels
from clinic.models import Patient, ReportJob, ReportStatus
from clinic.reports import kinds, queries, services

LOST = "It has not reached a worker yet: check that the worker for reports is running, then try again."
STATUS_BADGES = {
    ReportStatus.PENDING: "badge--warn",
    ReportStatus.READY: "badge--ok",
    ReportStatus.FAILED: "badge--danger",
}


def _person(user: Any) -> str:
    if user is None:
        return ""
    if user.is_patient_user:
        return "the patient"
    return str(user.get_full_name() or user.get_username())


def job_row(job: ReportJob, user: Any = None) -> dict[str, Any]:
    """What a list of reports shows of one job; `pending` rows ask for their own update every 2 s (htmx)."""
    kind = kinds.get(job.kind)
    return {
        "job": job,
        "label": kind.label if kind else job.kind,
        "subject": job.subject,
        "requested_at": job.created_at,
        "requested_by": _person(job.requested_by),
        "status": "Being prepared…" if job.status == ReportStatus.PENDING else job.get_status_display(),
        "badge": STATUS_BADGES[ReportStatus(job.status)],
        "pending": job.status == ReportStatus.PENDING,
        "ready": job.status == ReportStatus.READY,
        "error": job.error or (LOST if queries.is_stale(job) else ""),
        "size_bytes": job.size_bytes,
        "can_retry": user is not None and services.can_retry(user, job),
    }


def request_forms(
    patient: Patient, report_kinds: list[kinds.ReportKind], errors: Mapping[str, str] | None = None, chosen: Any = None
) -> list[dict[str, Any]]:
    """One small form per kind the user may ask for: its choices (a course, a session) and, after a refusal, the
    reason and what was chosen."""
    errors = errors or {}
    return [
        {
            "kind": kind,
            "choices": kind.choices_for(patient),
            "error": errors.get(kind.name, ""),
            "chosen": chosen if errors.get(kind.name) else None,
        }
        for kind in report_kinds
    ]


def staff_context(request: HttpRequest, patient: Patient, **refused: Any) -> dict[str, Any] | None:
    user = request.user
    report_kinds = queries.kinds_for(user, patient)
    if not report_kinds:
        return None
    return {
        "forms": request_forms(patient, report_kinds, **refused),
        "rows": [job_row(job, user) for job in queries.recent_jobs(user, patient)],
    }


def staff_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    return staff_context(request, patient)


def portal_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    labels = [kind.label.lower() for kind in queries.kinds_for(request.user, patient)]
    if not labels:
        return None
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return {
        "title": "My documents",
        "text": f"Your {listed}, as PDF files to keep or print.",
        "action_label": "My documents",
    }


def operations_panel(request: HttpRequest, _patient: Any = None) -> dict[str, Any] | None:
    """For clinic administrators: the report jobs that failed or never reached a worker, with a retry (the
    operations page's section, and clinic.reports.views' page of its own). The read is audited."""
    user = request.user
    if not getattr(user, "is_clinic_admin", False):
        return None
    jobs = list(queries.jobs_needing_attention(user)[:100])
    audit.record(
        "clinic.report.failed_list",
        details={"shown": len(jobs), "patients": sorted({job.patient_id for job in jobs})},
    )
    return {"key": "reports", "report_rows": [job_row(job, user) for job in jobs]}


def register() -> None:
    panels.register(
        panels.Panel(key="reports", audience="staff", template="staff/reports/panel.html", build=staff_panel, order=90)
    )
    panels.register(
        panels.Panel(
            key="reports", audience="portal", template="portal/reports/panel.html", build=portal_panel, order=90
        )
    )
    # The clinic administrators' operations page (with the reminders' part of issue 10) shows this audience's panels.
    operations: Any = "operations"
    panels.register(
        panels.Panel(
            key="reports",
            audience=operations,
            template="staff/reports/attention.html",
            build=operations_panel,
            order=50,
        )
    )
