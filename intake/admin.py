"""Intake records in the admin: read-only (they change only through intake.services, which validates and audits)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clinic.admin_base import ReadOnlyModelAdmin
from intake.models import (
    Assessment,
    Consent,
    HealthQuestionnaire,
    MedicalClearance,
    Override,
    QuestionnaireDraft,
    SafetyTask,
    Screening,
)

PATIENT_SEARCH = ("patient__mrn", "patient__family_name", "patient__given_name")


class OverrideInline(admin.StackedInline[Override, Screening]):
    model = Override
    extra = 0
    can_delete = False
    fields = ("prescriber", "reason", "created_at")
    readonly_fields = fields

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_authenticated and request.user.is_clinic_admin)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyModelAdmin):
    list_display = ("administered_at", "patient", "instrument", "total", "severity", "flags", "source", "entered_by")
    list_filter = ("instrument", "severity", "source", "patient__site", "administered_at")
    search_fields = PATIENT_SEARCH
    date_hierarchy = "administered_at"
    list_select_related = ("patient", "entered_by")


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyModelAdmin):
    list_display = ("screened_at", "patient", "decision", "status", "expires_at", "protocol_version", "screened_by")
    list_filter = ("decision", "status", "patient__site", "screened_at", "expires_at")
    search_fields = PATIENT_SEARCH
    date_hierarchy = "screened_at"
    list_select_related = ("patient", "protocol_version__site", "screened_by")
    inlines = [OverrideInline]


@admin.register(Override)
class OverrideAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "screening", "prescriber")
    list_filter = ("screening__patient__site", "prescriber", "created_at")
    search_fields = ("screening__patient__mrn", "screening__patient__family_name", "prescriber__username", "reason")
    date_hierarchy = "created_at"
    list_select_related = ("screening__patient", "prescriber")


@admin.register(Consent)
class ConsentAdmin(ReadOnlyModelAdmin):
    list_display = ("signed_at", "patient", "document_version", "method", "signed_name", "witnessed_by")
    list_filter = ("document_version", "method", "patient__site", "signed_at")
    search_fields = (*PATIENT_SEARCH, "signed_name", "text_sha256")
    date_hierarchy = "signed_at"
    list_select_related = ("patient", "witnessed_by")


@admin.register(MedicalClearance)
class MedicalClearanceAdmin(ReadOnlyModelAdmin):
    list_display = ("cleared_at", "patient", "prescriber")
    list_filter = ("patient__site", "prescriber", "cleared_at")
    search_fields = (*PATIENT_SEARCH, "prescriber__username")
    date_hierarchy = "cleared_at"
    list_select_related = ("patient", "prescriber")


@admin.register(SafetyTask)
class SafetyTaskAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "patient", "reason", "status", "resolved_by", "resolved_at")
    list_filter = ("status", "patient__site", "created_at", "resolved_at")
    search_fields = (*PATIENT_SEARCH, "reason")
    date_hierarchy = "created_at"
    list_select_related = ("patient", "resolved_by")


@admin.register(HealthQuestionnaire)
class HealthQuestionnaireAdmin(ReadOnlyModelAdmin):
    list_display = ("submitted_at", "patient", "pregnant_or_breastfeeding")
    list_filter = ("pregnant_or_breastfeeding", "patient__site", "submitted_at")
    search_fields = PATIENT_SEARCH
    date_hierarchy = "submitted_at"
    list_select_related = ("patient",)


@admin.register(QuestionnaireDraft)
class QuestionnaireDraftAdmin(ReadOnlyModelAdmin):
    list_display = ("updated_at", "patient", "instrument", "risk_flags", "alerted_at")
    list_filter = ("instrument", "patient__site", "updated_at")
    search_fields = PATIENT_SEARCH
    date_hierarchy = "updated_at"
    list_select_related = ("patient",)
