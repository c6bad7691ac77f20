"""Dosing sessions in the Django admin: read-only (clinical records change only through sessions.services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from clinic import times
from clinic.admin_base import ReadOnlyInline, ReadOnlyModelAdmin
from sessions.chairside import session_flags
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
    fields = ("dose_mg", "route", "mg_per_kg", "dosing_weight_kg", "duration_min", "lot_number", "administered_by",
              "started_at", "ended_at", "actual_duration_min", "actual_dose_mg", "stopped_early", "stop_reason",
              "requires_override", "override_reason", "override_by", "protocol_version")  # fmt: skip


class CheckInInline(ReadOnlyInline):
    model = CheckIn
    fields = ("checked_in_at", "fasting", "fasting_reasons", "escort_confirmed", "escort_name", "escort_phone",
              "checked_in_by", "corrected_at", "fasting_attested_at")  # fmt: skip


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


class EndedEarlyFilter(admin.SimpleListFilter):
    title = "ended early"
    parameter_name = "ended_early"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Ended early"), ("no", "Ran as planned")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(dose__stopped_early=True)
        if self.value() == "no":
            return queryset.filter(dose__stopped_early=False)
        return queryset


class CheckInCorrectedFilter(admin.SimpleListFilter):
    title = "check-in corrected"
    parameter_name = "check_in_corrected"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Corrected after check-in"), ("no", "Not corrected")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(check_in__corrected_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(check_in__isnull=False, check_in__corrected_at__isnull=True)
        return queryset


CHAIR_SIDE = ("dose_given", "real_duration", "early_stop_reason", "check_in_corrected", "chair_flags")


@admin.register(DosingSession)
class DosingSessionAdmin(ReadOnlyModelAdmin):
    """The session with what happened at the chair, read-only: the dose given and the real duration (less than
    planned after an early stop, with its reason), check-in corrections, and the flags the day board shows."""

    list_display = ("start", "patient", "chair", "route", "status", "ended_early", "supervising_clinician", "course")
    list_filter = ("status", EndedEarlyFilter, CheckInCorrectedFilter, "route", "chair", "chair__site", "start")
    search_fields = PATIENT_SEARCH
    date_hierarchy = "start"
    list_select_related = ("patient", "chair", "supervising_clinician", "course", "dose")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return [f.name for f in self.model._meta.fields if f.name != "id"] + list(CHAIR_SIDE)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [str(name) for name in self.get_fields(request, obj)]

    @staticmethod
    def _dose(session: DosingSession) -> DoseRecord | None:
        try:
            return session.dose
        except DoseRecord.DoesNotExist:
            return None

    @admin.display(boolean=True, description="ended early", ordering="dose__stopped_early")
    def ended_early(self, session: DosingSession) -> bool | None:
        dose = self._dose(session)
        return dose.stopped_early if dose is not None and dose.ended_at is not None else None

    @admin.display(description="dose actually given")
    def dose_given(self, session: DosingSession) -> str:
        dose = self._dose(session)
        if dose is None:
            return "Not dosed."
        if dose.actual_dose_mg is None:
            return f"{dose.dose_mg} mg planned; dosing has not ended."
        return f"{dose.actual_dose_mg} mg of {dose.dose_mg} mg planned."

    @admin.display(description="real duration")
    def real_duration(self, session: DosingSession) -> str:
        dose = self._dose(session)
        if dose is None or dose.actual_duration_min is None:
            return "—"
        planned = f" of {dose.duration_min} min planned" if dose.duration_min else ""
        return f"{dose.actual_duration_min} min{planned}."

    @admin.display(description="early stop reason")
    def early_stop_reason(self, session: DosingSession) -> str:
        dose = self._dose(session)
        return dose.stop_reason if dose is not None and dose.stopped_early else "—"

    @admin.display(description="check-in corrected")
    def check_in_corrected(self, session: DosingSession) -> str:
        check = CheckIn.objects.filter(session=session).first()
        if check is None or check.corrected_at is None:
            return "—"
        return f"Last corrected {times.site_datetime(check.corrected_at, session.chair.site)}."

    @admin.display(description="flags")
    def chair_flags(self, session: DosingSession) -> str:
        protocol = session.protocol_version.protocol()
        flags = session_flags(session, timezone.now(), protocol, clinical=True)
        return "; ".join(flag.text for flag in flags) or "—"

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
