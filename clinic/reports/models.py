"""A PDF report asked for by a person and made by a Celery worker (clinic.reports.services, .tasks).

Part of the clinic app (imported by clinic/models.py, migrations in clinic/migrations/). The file lives on Django's
default storage (the filesystem under MEDIA_ROOT unless STORAGES says otherwise, e.g. S3 through django-storages),
under a name with a random part that nobody can guess, and it is never served as a static or media file: downloads
go through views that check who is asking and audit it.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from clinic.errors import Conflict

FILE_TOKEN_BYTES = 24  # 32 URL-safe characters: the unguessable part of the file's name


def new_file_token() -> str:
    return secrets.token_urlsafe(FILE_TOKEN_BYTES)


def report_file_name(instance: ReportJob, filename: str) -> str:
    """reports/<random>.pdf: the same name every time the job is rendered (a new render overwrites the file), and
    nothing in it (no patient, no kind, no sequential id) that tells anyone where another report is."""
    return f"reports/{instance.file_token}.pdf"


class ReportStatus(models.TextChoices):
    PENDING = "pending", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


# A ready job may be rendered again (a repeated task overwrites its file); a failed one goes back to pending only
# through clinic.reports.services.retry_report.
REPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    ReportStatus.PENDING: frozenset({ReportStatus.READY, ReportStatus.FAILED}),
    ReportStatus.READY: frozenset({ReportStatus.READY, ReportStatus.FAILED}),
    ReportStatus.FAILED: frozenset({ReportStatus.PENDING}),
}


class ReportJob(models.Model):
    """One requested report: which kind, about which patient and course or session, its state, and its file."""

    patient = models.ForeignKey("clinic.Patient", on_delete=models.PROTECT, related_name="report_jobs")
    kind = models.CharField(max_length=40, help_text="A registered report kind (clinic.reports.kinds).")
    parameters = models.JSONField(default=dict, blank=True, help_text='{"course": id} or {"session": id} or {}')
    subject = models.CharField(max_length=200, blank=True, help_text="What it is about, e.g. the course's label.")
    request_key = models.CharField(max_length=120, editable=False)
    status = models.CharField(max_length=8, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    error = models.CharField(max_length=500, blank=True)
    file_token = models.CharField(max_length=64, unique=True, default=new_file_token, editable=False)
    file = models.FileField(upload_to=report_file_name, max_length=200, blank=True)
    size_bytes = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    protocol_version = models.CharField(max_length=40, blank=True, help_text="Printed in the footer of every page.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Renders started.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, help_text="Last change of status.")

    transitions: ClassVar[dict[str, frozenset[str]]] = REPORT_TRANSITIONS

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-created_at"]),
            models.Index(fields=["status", "updated_at"]),
        ]
        constraints = [
            # An identical request while one is being prepared returns that one (clinic.reports.services).
            models.UniqueConstraint(
                fields=["patient", "request_key"],
                condition=Q(status="pending"),
                name="report_job_one_pending_per_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of patient {self.patient_id} ({self.status})"

    def set_status(self, new: str, *, error: str = "", **fields: Any) -> None:
        """Move to `new` if allowed, with `error` and any other `fields`, and save them. Call inside a transaction
        holding the row's lock; the caller writes the audit entry."""
        if new not in self.transitions[self.status]:
            now, then = self.get_status_display().lower(), ReportStatus(new).label.lower()
            raise Conflict(f"A report that is {now} cannot become {then}.", code="invalid_transition")
        self.status = new
        self.error = error
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=["status", "error", "updated_at", *fields])
