"""Report jobs in the Django admin: read-only, scoped to the administrator's sites, with a retry for failed ones.

Registered from ClinicConfig.ready() (`register()`). The stored file's name is not shown: files are downloaded
through the audited staff view, never by their storage path.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from clinic.errors import DomainError
from clinic.http import user_of
from clinic.models import ReportJob
from clinic.reports import services


def register() -> None:
    from clinic.admin_base import ReadOnlyModelAdmin

    class ReportJobAdmin(ReadOnlyModelAdmin):
        list_display = (
            "id",
            "patient",
            "kind",
            "subject",
            "status",
            "created_at",
            "ready_at",
            "size_bytes",
            "attempts",
        )
        list_filter = ("status", "kind")
        search_fields = ("patient__family_name", "patient__given_name", "patient__mrn", "subject")
        list_select_related = ("patient",)
        date_hierarchy = "created_at"
        fields = (
            "patient",
            "kind",
            "subject",
            "parameters",
            "status",
            "error",
            "size_bytes",
            "sha256",
            "protocol_version",
            "attempts",
            "requested_by",
            "created_at",
            "ready_at",
        )
        actions = ["retry_failed"]

        @admin.action(description="Prepare the selected failed reports again")
        def retry_failed(self, request: HttpRequest, queryset: QuerySet[ReportJob]) -> None:
            retried, refused = 0, []
            for job in queryset:
                try:
                    services.retry_report(by=user_of(request), job=job)
                except DomainError as exc:
                    refused.append(f"report {job.pk}: {exc.message}")
                else:
                    retried += 1
            if retried:
                self.message_user(request, f"{retried} report(s) are being prepared again.", messages.SUCCESS)
            for reason in refused:
                self.message_user(request, reason, messages.WARNING)

    if not admin.site.is_registered(ReportJob):
        admin.site.register(ReportJob, ReportJobAdmin)
