"""Integration records in the Django admin: read-only, scoped to the administrator's sites like every clinical record.

Clinic administrators see what a note, an addendum or a plan revision is about (patient, author, dates, modality,
status) but not what it says: therapy content is read by the care team through the services, where each read is
audited against a clinical role. Maintenance evaluations are shown whole (the outcome and its reason are what an
administrator follows up). Nothing is edited here; a signed note never changes anywhere.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clinic.admin_base import ReadOnlyInline, ReadOnlyModelAdmin
from integration.models import (
    IntegrationNote,
    MaintenanceEvaluation,
    NoteAddendum,
    QuestionnaireDue,
    QuestionnaireLinkUse,
    RelapsePlanRevision,
    RelapsePreventionPlan,
)

PATIENT_SEARCH = ("patient__mrn", "patient__family_name", "patient__given_name")


class AuditedReadOnlyAdmin(ReadOnlyModelAdmin):
    """Opening a record is a read of the patient's record, audited by the base class under `read_action` (the name
    the services use)."""

    read_action = ""
    patient_path = "patient_id"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if self.fields:
            return [str(name) for name in self.fields]
        return super().get_readonly_fields(request, obj)


class AddendumInline(ReadOnlyInline):
    model = NoteAddendum
    fields = ("created_at", "author")


@admin.register(IntegrationNote)
class IntegrationNoteAdmin(AuditedReadOnlyAdmin):
    read_action = "integration.note.view"
    fields = (
        "patient",
        "dosing_session",
        "appointment",
        "author",
        "started_at",
        "duration_min",
        "modality",
        "status",
        "signed_at",
        "signed_by",
        "phq9_total",
        "phq9_administered_at",
        "protocol_version",
        "created_at",
        "updated_at",
    )
    list_display = ("started_at", "patient", "modality", "author", "duration_min", "status", "signed_at")
    list_filter = ("status", "modality", "patient__site", "started_at")
    search_fields = (*PATIENT_SEARCH, "author__username", "author__last_name")
    date_hierarchy = "started_at"
    list_select_related = ("patient", "author")
    inlines = [AddendumInline]


@admin.register(NoteAddendum)
class NoteAddendumAdmin(AuditedReadOnlyAdmin):
    read_action = "integration.note.view"
    patient_path = "note.patient_id"
    fields = ("note", "author", "created_at")
    list_display = ("created_at", "note", "author")
    list_filter = ("note__patient__site", "created_at")
    search_fields = tuple(f"note__{name}" for name in PATIENT_SEARCH)
    date_hierarchy = "created_at"
    list_select_related = ("note__patient", "author")


class RevisionInline(ReadOnlyInline):
    model = RelapsePlanRevision
    fields = ("number", "created_at", "author", "review_date")


@admin.register(RelapsePreventionPlan)
class RelapsePreventionPlanAdmin(AuditedReadOnlyAdmin):
    read_action = "integration.relapseplan.view"
    fields = ("patient", "created_at")
    list_display = ("patient", "created_at")
    list_filter = ("patient__site",)
    search_fields = PATIENT_SEARCH
    list_select_related = ("patient",)
    inlines = [RevisionInline]


@admin.register(RelapsePlanRevision)
class RelapsePlanRevisionAdmin(AuditedReadOnlyAdmin):
    read_action = "integration.relapseplan.view"
    patient_path = "plan.patient_id"
    fields = ("plan", "number", "author", "created_at", "review_date", "protocol_version")
    list_display = ("plan", "number", "author", "created_at", "review_date")
    list_filter = ("plan__patient__site", "review_date")
    search_fields = tuple(f"plan__{name}" for name in PATIENT_SEARCH)
    list_select_related = ("plan__patient", "author")


@admin.register(MaintenanceEvaluation)
class MaintenanceEvaluationAdmin(AuditedReadOnlyAdmin):
    read_action = "integration.maintenanceevaluation.view"
    list_display = ("opened_at", "patient", "trigger", "status", "outcome", "resolved_by", "resolved_at")
    list_filter = ("status", "trigger", "outcome", "patient__site", "opened_at")
    search_fields = PATIENT_SEARCH
    date_hierarchy = "opened_at"
    list_select_related = ("patient", "resolved_by")


@admin.register(QuestionnaireDue)
class QuestionnaireDueAdmin(AuditedReadOnlyAdmin):
    """The questionnaires the cadence asked for (integration/reminders.py), open or closed."""

    read_action = "integration.questionnairedue.view"
    list_display = ("due_at", "patient", "instrument", "reason", "created_at", "closed_at", "assessment")
    list_filter = ("reason", "instrument", "patient__site", "due_at")
    search_fields = PATIENT_SEARCH
    date_hierarchy = "due_at"
    list_select_related = ("patient",)


@admin.register(QuestionnaireLinkUse)
class QuestionnaireLinkUseAdmin(AuditedReadOnlyAdmin):
    """The one-time questionnaire links that were followed."""

    read_action = "integration.questionnairelink.view"
    list_display = ("used_at", "questionnaire", "nonce")
    list_filter = ("used_at",)
    search_fields = ("nonce", *(f"questionnaire__{field}" for field in PATIENT_SEARCH))
    date_hierarchy = "used_at"
    list_select_related = ("questionnaire__patient",)
