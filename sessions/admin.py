"""Dosing sessions in the Django admin: read-only (clinical records change only through sessions.services)."""

from __future__ import annotations

from django.contrib import admin

from clinic.admin_base import ReadOnlyInline, ReadOnlyModelAdmin
from sessions.models import (
    AdverseEvent,
    AppointmentRequest,
    CheckIn,
    Discharge,
    DissociationScore,
    DoseRecord,
    DosingSession,
    IntegrationAppointment,
    PreVisitCheckIn,
    RemsSubmission,
    ReviewAcknowledgement,
    SessionStatusChange,
    TreatmentCourse,
    VitalSign,
)

PATIENT_SEARCH = ("patient__mrn", "patient__family_name", "patient__given_name")
SESSION_PATIENT_SEARCH = tuple(f"session__{name}" for name in PATIENT_SEARCH)


class VitalSignInline(ReadOnlyInline):
    model = VitalSign
    fields = (
        "recorded_at",
        "phase",
        "systolic",
        "diastolic",
        "heart_rate",
        "spo2",
        "respiratory_rate",
        "gate",
        "alerts",
    )


class AdverseEventInline(ReadOnlyInline):
    model = AdverseEvent
    fields = ("occurred_at", "kind", "severity", "action_taken", "recorded_by")


class StatusChangeInline(ReadOnlyInline):
    model = SessionStatusChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")


class DoseInline(ReadOnlyInline):
    model = DoseRecord
    fields = ("dose_mg", "route", "mg_per_kg", "dosing_weight_kg", "lot_number", "administered_by", "started_at",
              "ended_at", "requires_override", "override_reason", "override_by", "protocol_version")  # fmt: skip


class CheckInInline(ReadOnlyInline):
    model = CheckIn
    fields = ("checked_in_at", "fasting", "fasting_reasons", "escort_confirmed", "checked_in_by")


class DischargeInline(ReadOnlyInline):
    model = Discharge
    fields = ("discharged_at", "aldrete_total", "observation_min", "escort_confirmed", "instructions_given",
              "no_driving_acknowledged", "discharged_by")  # fmt: skip


class DissociationScoreInline(ReadOnlyInline):
    model = DissociationScore
    fields = ("recorded_at", "minutes_after_dosing_start", "items", "total", "recorded_by")


class RemsSubmissionInline(ReadOnlyInline):
    model = RemsSubmission
    fields = ("submitted_at", "submitted_by", "reference", "due_on", "note")


class ReviewAcknowledgementInline(ReadOnlyInline):
    model = ReviewAcknowledgement
    fields = ("acknowledged_at", "acknowledged_by", "reviewed_reasons", "reason")


@admin.register(DosingSession)
class DosingSessionAdmin(ReadOnlyModelAdmin):
    list_display = ("start", "patient", "chair", "route", "status", "supervising_clinician", "course")
    list_filter = ("status", "route", "chair", "chair__site", "start")
    search_fields = PATIENT_SEARCH
    date_hierarchy = "start"
    list_select_related = ("patient", "chair", "supervising_clinician", "course")
    inlines = [
        CheckInInline,
        VitalSignInline,
        ReviewAcknowledgementInline,
        DoseInline,
        DissociationScoreInline,
        AdverseEventInline,
        DischargeInline,
        RemsSubmissionInline,
        StatusChangeInline,
    ]


@admin.register(TreatmentCourse)
class TreatmentCourseAdmin(ReadOnlyModelAdmin):
    list_display = ("patient", "template", "route", "status", "start_date", "end_date")
    list_filter = ("status", "route", "template", "patient__site", "start_date")
    search_fields = PATIENT_SEARCH
    date_hierarchy = "start_date"
    list_select_related = ("patient",)


@admin.register(DoseRecord)
class DoseRecordAdmin(ReadOnlyModelAdmin):
    list_display = ("started_at", "session", "route", "dose_mg", "lot_number", "administered_by", "requires_override")
    list_filter = ("route", "requires_override", "session__chair__site", "session__chair", "started_at")
    search_fields = (*SESSION_PATIENT_SEARCH, "lot_number")
    list_select_related = ("session__patient", "session__chair")
    date_hierarchy = "started_at"


@admin.register(VitalSign)
class VitalSignAdmin(ReadOnlyModelAdmin):
    list_display = ("recorded_at", "session", "phase", "systolic", "diastolic", "heart_rate", "spo2", "gate")
    list_filter = ("phase", "gate", "session__chair__site", "session__chair", "recorded_at")
    search_fields = SESSION_PATIENT_SEARCH
    list_select_related = ("session__patient", "session__chair")
    date_hierarchy = "recorded_at"


@admin.register(AdverseEvent)
class AdverseEventAdmin(ReadOnlyModelAdmin):
    list_display = ("occurred_at", "session", "kind", "severity", "recorded_by")
    list_filter = ("kind", "severity", "session__chair__site", "session__chair", "occurred_at")
    search_fields = SESSION_PATIENT_SEARCH
    list_select_related = ("session__patient", "session__chair")
    date_hierarchy = "occurred_at"


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyModelAdmin):
    list_display = ("checked_in_at", "session", "fasting", "escort_confirmed")
    list_filter = ("fasting", "escort_confirmed", "session__chair", "checked_in_at")
    search_fields = SESSION_PATIENT_SEARCH
    list_select_related = ("session__patient", "session__chair")
    date_hierarchy = "checked_in_at"


@admin.register(Discharge)
class DischargeAdmin(ReadOnlyModelAdmin):
    list_display = ("discharged_at", "session", "aldrete_total", "observation_min", "escort_confirmed")
    list_filter = ("escort_confirmed", "session__chair", "discharged_at")
    search_fields = SESSION_PATIENT_SEARCH
    list_select_related = ("session__patient", "session__chair")
    date_hierarchy = "discharged_at"


@admin.register(DissociationScore)
class DissociationScoreAdmin(ReadOnlyModelAdmin):
    list_display = ("recorded_at", "session", "total", "minutes_after_dosing_start", "recorded_by")
    list_filter = ("session__route", "session__chair", "recorded_at")
    search_fields = SESSION_PATIENT_SEARCH
    list_select_related = ("session__patient", "session__chair")
    date_hierarchy = "recorded_at"


@admin.register(RemsSubmission)
class RemsSubmissionAdmin(ReadOnlyModelAdmin):
    list_display = ("submitted_at", "session", "reference", "due_on", "submitted_by")
    list_filter = ("session__chair", "submitted_at")
    search_fields = (*SESSION_PATIENT_SEARCH, "reference")
    list_select_related = ("session__patient", "session__chair")
    date_hierarchy = "submitted_at"


@admin.register(SessionStatusChange)
class SessionStatusChangeAdmin(ReadOnlyModelAdmin):
    list_display = ("changed_at", "session", "from_status", "to_status", "changed_by")
    list_filter = ("to_status", "session__chair", "changed_at")
    search_fields = SESSION_PATIENT_SEARCH
    list_select_related = ("session__patient", "session__chair")
    date_hierarchy = "changed_at"


@admin.register(ReviewAcknowledgement)
class ReviewAcknowledgementAdmin(ReadOnlyModelAdmin):
    list_display = ("acknowledged_at", "session", "acknowledged_by", "covers_fasting")
    list_filter = ("covers_fasting", "session__chair", "acknowledged_at")
    search_fields = SESSION_PATIENT_SEARCH
    list_select_related = ("session__patient", "session__chair")
    date_hierarchy = "acknowledged_at"


@admin.register(IntegrationAppointment)
class IntegrationAppointmentAdmin(ReadOnlyModelAdmin):
    list_display = ("start", "patient", "therapist", "chair", "room", "status")
    list_filter = ("status", "patient__site", "chair", "therapist", "start")
    search_fields = (*PATIENT_SEARCH, "therapist__last_name")
    date_hierarchy = "start"
    list_select_related = ("patient", "therapist", "chair")


@admin.register(PreVisitCheckIn)
class PreVisitCheckInAdmin(ReadOnlyModelAdmin):
    """The patients' own check-ins from the portal (sessions/services/checkins.py)."""

    list_display = ("session", "patient", "updated_at", "last_meal_at", "last_clear_drink_at", "escort_name",
                    "medication_changed")  # fmt: skip
    list_filter = ("medication_changed", "updated_at")
    search_fields = PATIENT_SEARCH
    list_select_related = ("session", "patient")


@admin.register(AppointmentRequest)
class AppointmentRequestAdmin(ReadOnlyModelAdmin):
    """Patients' requests to move or cancel a session and the front desk's answers (sessions/services/requests.py)."""

    list_display = ("created_at", "patient", "kind", "status", "inside_notice", "dosing_session",
                    "integration_appointment", "decided_by", "decided_at")  # fmt: skip
    list_filter = ("status", "kind", "inside_notice", "created_at")
    search_fields = PATIENT_SEARCH
    list_select_related = ("patient", "dosing_session", "integration_appointment", "decided_by")
