"""The audit log in the admin: read-only, append-only, scoped to the administrator's sites."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from clinic.admin_base import ReadOnlyModelAdmin, staff_of
from clinic.models import AuditEvent
from clinic.scoping import patients_visible_to


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    list_display = (
        "occurred_at",
        "actor_username",
        "actor_role",
        "action",
        "patient_id",
        "object_type",
        "object_id",
    )
    list_filter = ("action", "actor_role", ("actor", admin.RelatedOnlyFieldListFilter), "occurred_at")
    search_fields = ("action", "actor_username", "object_id", "request_id", "=patient__id", "patient__mrn")
    date_hierarchy = "occurred_at"
    list_per_page = 100
    show_full_result_count = False

    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        """Events about the administrator's patients, and events without a patient by their sites' staff."""
        return qs.filter(
            Q(patient__in=patients_visible_to(user).values("pk"))
            | Q(patient__isnull=True, actor__in=staff_of(user).values("pk"))
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        qs = super().get_queryset(request)
        patient = request.GET.get("patient")
        return qs.filter(patient_id=patient) if patient and patient.isdigit() else qs

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        return lookup in {"patient", "patient__id__exact"} or super().lookup_allowed(lookup, value, request)
