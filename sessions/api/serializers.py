"""The sessions API's answers, one serializer each, so that `/api/v1/schema/` documents every body.

Values pass through as the records hold them (times with their offset, numbers as JSON numbers: the serializers
add no formatting of their own), so the answers read exactly as the API has always given them. Answers that are
more than one record (`{"id", "status", "dose"}` after a step) serialize a small mapping.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.protocol import Route
from sessions import services
from sessions.models import (
    AdverseEventKind,
    AppointmentStatus,
    CourseStatus,
    FastingStatus,
    GateDecision,
    SessionStatus,
    Severity,
    VitalPhase,
)

ROUTES = [route.value for route in Route]
REMS_STATUSES = ("not_required", "in_progress", "due", "overdue", "submitted")
WEIGHT_BASES = ("actual", "ideal", "adjusted")


def instant(**kwargs: Any) -> serializers.DateTimeField:
    return serializers.DateTimeField(format=None, **kwargs)


def number(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=None, decimal_places=None, coerce_to_string=False, **kwargs)


def texts() -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField())


def choice(choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=choices, **kwargs)


class BlankAsNull(serializers.ChoiceField):
    """A choice the record may leave blank: "" is answered as null."""

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        super().__init__(choices, allow_null=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return None if value in ("", None) else super().to_representation(value)


class TextOrNull(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return None if value in ("", None) else super().to_representation(value)


@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$", "example": "09:00:00"})
class WallClockTime(serializers.TimeField):
    """A time of day at the site, without a zone ("09:00" or "09:00:00"); OpenAPI's `time` format would ask for an
    offset."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=None, input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


def ref(source: str, **kwargs: Any) -> serializers.IntegerField:
    """The id of a related record (`patient_id` answered as `patient`)."""
    return serializers.IntegerField(source=source, **kwargs)


# --- Calculations -----------------------------------------------------------------------------------------------


class DoseResultSerializer(serializers.Serializer[Any]):
    """A DoseResult (sessions.dosing): the dose with every intermediate value and the calculation in words."""

    route = choice(ROUTES)
    dose_mg = number()
    dosing_weight_kg = number(allow_null=True)
    weight_basis = choice(WEIGHT_BASES, allow_null=True)
    bmi = number()
    ideal_body_weight_kg = number(allow_null=True)
    adjusted_body_weight_kg = number(allow_null=True)
    mg_per_kg = number(allow_null=True)
    rate_mg_per_min = number(allow_null=True)
    pump_rate_ml_per_h = number(allow_null=True)
    bag_volume_ml = number(allow_null=True)
    draw_volume_ml = number(allow_null=True)
    duration_min = serializers.IntegerField(allow_null=True)
    warnings = texts()
    requires_override = serializers.BooleanField()
    override_reasons = texts()
    steps = texts()


# --- A dosing session and its records ---------------------------------------------------------------------------


class ScheduleSerializer(serializers.Serializer[Any]):
    """A dosing session as the schedule shows it (what front desk sees)."""

    id = serializers.IntegerField()
    patient = ref("patient_id")
    patient_name = serializers.CharField(source="patient.full_name")
    mrn = serializers.CharField(source="patient.mrn")
    site = ref("chair.site_id")
    chair = ref("chair_id")
    chair_name = serializers.CharField(source="chair.name")
    course = ref("course_id", allow_null=True)
    route = choice(ROUTES)
    start = instant()
    block_end = instant()
    status = choice(SessionStatus.choices)
    supervising_clinician = ref("supervising_clinician_id", allow_null=True)


class WithWarnings(serializers.Serializer[Any]):
    """A booking's answer adds the warnings it was booked despite, given as the context's `warnings`."""

    warnings = serializers.SerializerMethodField()

    def get_warnings(self, booked: Any) -> list[str]:
        return list(self.context.get("warnings", ()))


class BookingSerializer(ScheduleSerializer, WithWarnings):
    """A booked session, with the clearance warnings it was booked despite."""


class CheckInSerializer(serializers.Serializer[Any]):
    checked_in_at = instant()
    fasting_solids_hours = number(allow_null=True)
    fasting_clear_liquids_hours = number(allow_null=True)
    fasting = choice(FastingStatus.choices)
    fasting_reasons = texts()
    escort_confirmed = serializers.BooleanField()


class CheckedInSerializer(CheckInSerializer):
    """The answer to check-in: the session's id and status, and the check-in."""

    id = ref("session_id")
    status = choice(SessionStatus.choices, source="session.status")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        return {"id": fields.pop("id"), "status": fields.pop("status"), **fields}


class VitalSignSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    recorded_at = instant()
    phase = choice(VitalPhase.choices)
    systolic = serializers.IntegerField()
    diastolic = serializers.IntegerField()
    heart_rate = serializers.IntegerField()
    spo2 = serializers.IntegerField()
    respiratory_rate = serializers.IntegerField(allow_null=True)
    gate_reasons = texts()
    alerts = texts()
    gate = BlankAsNull(GateDecision.choices, help_text="The pre-dose gate; null during and after dosing.")


class VitalsRecordedSerializer(serializers.Serializer[Any]):
    """The answer to recording vital signs: the gate (before dosing) or the alerts (during and after)."""

    id = serializers.IntegerField()
    gate = BlankAsNull(GateDecision.choices)
    alerts = texts()
    phase = choice(VitalPhase.choices)
    gate_reasons = texts()


class ReviewAcknowledgedSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reviewed = texts()
    reason = serializers.CharField()


class DoseRecordSerializer(serializers.Serializer[Any]):
    """The dose given: what was calculated and who gave it when."""

    id = serializers.IntegerField()
    route = choice(ROUTES)
    dose_mg = number()
    mg_per_kg = number(allow_null=True)
    dosing_weight_kg = number(allow_null=True)
    duration_min = serializers.IntegerField(allow_null=True)
    rate_mg_per_min = number(allow_null=True)
    pump_rate_ml_per_h = number(allow_null=True)
    draw_volume_ml = number(allow_null=True)
    warnings = texts()
    lot_number = serializers.CharField()
    administered_by = ref("administered_by_id")
    started_at = instant()
    ended_at = instant(allow_null=True)
    protocol_version = ref("protocol_version_id")
    override_reasons = texts()
    override_by = ref("override_by_id", allow_null=True)
    weight_basis = BlankAsNull(WEIGHT_BASES)
    steps = serializers.SerializerMethodField()
    override_reason = TextOrNull()
    actual_duration_min = serializers.IntegerField(allow_null=True, help_text="Minutes dosing really ran, once ended.")
    actual_dose_mg = number(allow_null=True, help_text="The dose given when dosing stopped early.")
    stopped_early = serializers.BooleanField()
    stop_reason = serializers.CharField(help_text="Why dosing ended before its planned duration, or empty.")

    def get_steps(self, dose: Any) -> list[str]:
        steps: list[str] = dose.result.get("steps", [])
        return steps


class DoseStepSerializer(serializers.Serializer[Any]):
    """The answer to the start and the end of dosing: the session's id and new status, and the dose."""

    id = serializers.IntegerField()
    status = choice(SessionStatus.choices)
    dose = DoseRecordSerializer()


class AdverseEventSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    occurred_at = instant()
    kind = choice(AdverseEventKind.choices)
    severity = choice(Severity.choices)
    action_taken = serializers.CharField(allow_blank=True)


class AdverseEventRecordedSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = choice(AdverseEventKind.choices)
    severity = choice(Severity.choices)


class DischargeSerializer(serializers.Serializer[Any]):
    discharged_at = instant()
    aldrete_total = serializers.IntegerField()
    observation_min = serializers.IntegerField()
    escort_confirmed = serializers.BooleanField()
    instructions_given = serializers.BooleanField()
    no_driving_acknowledged = serializers.BooleanField()
    aldrete = serializers.ListField(child=serializers.IntegerField(), source="aldrete_items")


class DischargedSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = choice(SessionStatus.choices)
    discharge = DischargeSerializer()


class DissociationSerializer(serializers.Serializer[Any]):
    """A CADSS-6 rating."""

    id = serializers.IntegerField()
    items = serializers.ListField(child=serializers.IntegerField())
    total = serializers.IntegerField()
    minutes_after_dosing_start = serializers.IntegerField()
    recorded_at = instant()
    recorded_by = ref("recorded_by_id")


class StatusChangeSerializer(serializers.Serializer[Any]):
    to = choice(SessionStatus.choices, source="to_status")
    at = instant(source="changed_at")
    reason = serializers.CharField(allow_blank=True)

    def get_fields(self) -> dict[str, Any]:
        # "from" is a Python keyword: the field is added here, first, as the answer has always listed it.
        return {"from": BlankAsNull(SessionStatus.choices, source="from_status"), **super().get_fields()}


class ClinicalSessionSerializer(ScheduleSerializer):
    """A dosing session with its clinical record (staff who may see clinical data)."""

    check_in = CheckInSerializer(allow_null=True)
    vitals = VitalSignSerializer(many=True, source="vital_signs")
    pending_review = serializers.SerializerMethodField()
    dose = DoseRecordSerializer(allow_null=True)
    adverse_events = AdverseEventSerializer(many=True)
    discharge = DischargeSerializer(allow_null=True)
    dissociation = DissociationSerializer(many=True, source="dissociation_scores")
    status_changes = StatusChangeSerializer(many=True)

    def get_pending_review(self, session: Any) -> list[str]:
        """What a prescriber must acknowledge before dosing (while the patient is checked in)."""
        if session.status != SessionStatus.CHECKED_IN:
            return []
        return list(services.pending_review(session).reasons)


# --- The esketamine REMS form -----------------------------------------------------------------------------------


class RemsItemSerializer(serializers.Serializer[Any]):
    def get_fields(self) -> dict[str, Any]:
        # `label` is also an attribute of every serializer field: declared here, not as a class attribute.
        return {
            "key": serializers.CharField(),
            "label": serializers.CharField(),
            "value": serializers.CharField(allow_null=True),
            "missing": serializers.BooleanField(),
            "detail": serializers.CharField(allow_blank=True),
            "at": instant(allow_null=True),
        }


class RemsSubmissionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    due_on = serializers.DateField(format=None)
    submitted_at = instant()
    submitted_by = ref("submitted_by_id")


class RemsFormSerializer(serializers.Serializer[Any]):
    """The REMS Patient Monitoring Form as the session's records fill it."""

    session = serializers.IntegerField()
    items = RemsItemSerializer(many=True)
    missing = texts()
    complete = serializers.BooleanField()
    due_on = serializers.DateField(format=None, allow_null=True)
    status = choice(REMS_STATUSES)
    submission = RemsSubmissionSerializer(allow_null=True)


# --- Courses and integration appointments -----------------------------------------------------------------------


class BaselineSerializer(serializers.Serializer[Any]):
    instrument = TextOrNull(source="baseline_instrument")
    total = serializers.IntegerField(source="baseline_total", allow_null=True)
    recorded_at = instant(source="baseline_recorded_at", allow_null=True)


class CourseSerializer(serializers.Serializer[Any]):
    """A treatment course and its sessions; `baseline` (a score) only for staff who may see clinical data."""

    id = serializers.IntegerField()
    patient = ref("patient_id")
    template = serializers.CharField()
    route = choice(ROUTES)
    status = choice(CourseStatus.choices)
    start = serializers.DateField(source="start_date", format=None)
    end = serializers.DateField(source="end_date", format=None, allow_null=True)
    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6))
    time = WallClockTime(source="local_time", allow_null=True)
    sessions = serializers.SerializerMethodField()
    baseline = BaselineSerializer(source="*", required=False, help_text="Staff who may see clinical data only.")

    @extend_schema_field(ScheduleSerializer(many=True))
    def get_sessions(self, course: Any) -> Any:
        sessions = getattr(course, "ordered_sessions", None)  # a list's courses come with them (one query)
        if sessions is None:
            sessions = course.sessions.select_related("patient", "chair").order_by("start")
        return ScheduleSerializer(sessions, many=True).data

    def to_representation(self, instance: Any) -> dict[str, Any]:
        body: dict[str, Any] = super().to_representation(instance)
        if not self.context.get("clinical"):
            del body["baseline"]
        return body


class AppointmentSerializer(serializers.Serializer[Any]):
    """An integration-therapy appointment."""

    id = serializers.IntegerField()
    patient = ref("patient_id")
    therapist = ref("therapist_id")
    dosing_session = ref("dosing_session_id", allow_null=True)
    chair = ref("chair_id", allow_null=True)
    room = serializers.CharField(allow_blank=True)
    start = instant()
    end = instant()
    status = choice(AppointmentStatus.choices)


class AppointmentBookedSerializer(AppointmentSerializer, WithWarnings):
    """A booked appointment, with the course template's timing advice it does not meet."""
