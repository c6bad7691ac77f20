"""Treatment courses, dosing sessions and what happens in them (clinical protocol §2, §3 and §4).

Records change only through sessions.services, which stores the protocol version each decision used and writes the
audit trail; status changes go through `set_status` (clinic.status.StatusWorkflow), which refuses a step the
transition tables below do not allow. The database itself refuses double bookings on PostgreSQL: the
exclusion constraints below make two overlapping active sessions of one chair or one patient, or two overlapping
integration appointments of one therapist, impossible whatever code writes them. SQLite has no exclusion
constraints; there the services give the same answers by checking overlaps under the write lock that every
transaction takes (`transaction_mode` IMMEDIATE in clinic.config).
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Q

from clinic import times
from clinic.encryption import EncryptedTextField
from clinic.models import Chair, Patient, ProtocolVersion, User
from clinic.protocol import Route
from clinic.status import StatusWorkflow
from clinic.validators import NOTE_MAX, REASON_MAX, validate_phone, validate_place_name
from sessions.dosing import ROUTE_LABELS


class TsTzRange(models.Func):
    """PostgreSQL `tstzrange(lower, upper, bounds)`: the half-open time range a booking holds."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint that exists only on PostgreSQL.

    Declared in Meta.constraints so that the migration state is the same on every backend (makemigrations stays
    clean on SQLite and PostgreSQL); on any other database it creates, removes and validates nothing, and the
    services check overlaps themselves.
    """

    def _on_postgres(self, schema_editor: Any) -> bool:
        return bool(schema_editor.connection.vendor == "postgresql")

    def constraint_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().constraint_sql(model, schema_editor) if self._on_postgres(schema_editor) else None

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().create_sql(model, schema_editor) if self._on_postgres(schema_editor) else None

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().remove_sql(model, schema_editor) if self._on_postgres(schema_editor) else None

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: str = "default") -> None:
        from django.db import connections

        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


def _no_overlap(name: str, key: str, start: str, end: str, statuses: tuple[str, ...]) -> PostgresExclusionConstraint:
    return PostgresExclusionConstraint(
        name=name,
        expressions=[(TsTzRange(start, end, RangeBoundary()), RangeOperators.OVERLAPS), (key, RangeOperators.EQUAL)],
        condition=Q(status__in=statuses),
    )


ROUTE_CHOICES = [(route.value, ROUTE_LABELS[route][:1].upper() + ROUTE_LABELS[route][1:]) for route in Route]


class CourseStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


COURSE_TRANSITIONS: dict[str, frozenset[str]] = {
    # A planned course whose sessions all ended undosed (cancelled, deferred) completes without becoming active.
    CourseStatus.PLANNED: frozenset({CourseStatus.ACTIVE, CourseStatus.COMPLETED, CourseStatus.STOPPED}),
    CourseStatus.ACTIVE: frozenset({CourseStatus.COMPLETED, CourseStatus.STOPPED}),
    CourseStatus.COMPLETED: frozenset(),
    CourseStatus.STOPPED: frozenset(),
}


class TreatmentCourse(StatusWorkflow):
    """A course of dosing sessions planned from a protocol template (clinical protocol §3)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="treatment_courses")
    template = models.CharField(max_length=40, help_text="Key of the protocol's course template.")
    template_label = models.CharField(max_length=200, blank=True)
    route = models.CharField(max_length=12, choices=ROUTE_CHOICES)
    status = models.CharField(max_length=10, choices=CourseStatus.choices, default=CourseStatus.PLANNED)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    weekdays = models.JSONField(default=list, blank=True, help_text="0 = Monday ... 6 = Sunday")
    local_time = models.TimeField(null=True, blank=True, help_text="Wall-clock start time at the site.")
    baseline_instrument = models.CharField(max_length=20, blank=True)
    baseline_total = models.PositiveSmallIntegerField(null=True, blank=True)
    baseline_recorded_at = models.DateTimeField(null=True, blank=True)
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    stopped_reason = models.CharField(max_length=300, blank=True)

    transitions = COURSE_TRANSITIONS
    status_action = "sessions.treatmentcourse.status"
    status_noun = "course"

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["patient", "-start_date"])]

    def __str__(self) -> str:
        return f"{self.template_label or self.template} for {self.patient} from {self.start_date}"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CHECKED_IN = "checked_in", "Checked in"
    DOSING = "dosing", "Dosing"
    MONITORING = "monitoring", "Monitoring"
    DISCHARGED = "discharged", "Discharged"
    CANCELLED = "cancelled", "Cancelled"
    DEFERRED = "deferred", "Deferred"
    NO_SHOW = "no_show", "No-show"


# Sessions that hold their chair and count for the patient's spacing rules; cancelled, deferred and no-show
# sessions free the chair and were never dosed.
ACTIVE_SESSION_STATUSES: tuple[str, ...] = (
    SessionStatus.SCHEDULED,
    SessionStatus.CHECKED_IN,
    SessionStatus.DOSING,
    SessionStatus.MONITORING,
    SessionStatus.DISCHARGED,
)

SESSION_TRANSITIONS: dict[str, frozenset[str]] = {
    SessionStatus.SCHEDULED: frozenset({SessionStatus.CHECKED_IN, SessionStatus.CANCELLED, SessionStatus.NO_SHOW}),
    SessionStatus.CHECKED_IN: frozenset({SessionStatus.DOSING, SessionStatus.DEFERRED, SessionStatus.CANCELLED}),
    SessionStatus.DOSING: frozenset({SessionStatus.MONITORING}),
    SessionStatus.MONITORING: frozenset({SessionStatus.DISCHARGED}),
    SessionStatus.DISCHARGED: frozenset(),
    SessionStatus.CANCELLED: frozenset(),
    SessionStatus.DEFERRED: frozenset(),
    SessionStatus.NO_SHOW: frozenset(),
}


class DosingSession(StatusWorkflow):
    """One dosing appointment: the chair is held from `start` to `block_end` (dosing + observation + turnover)."""

    course = models.ForeignKey(
        TreatmentCourse, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="dosing_sessions")
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, related_name="dosing_sessions")
    supervising_clinician = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="supervised_sessions"
    )
    route = models.CharField(max_length=12, choices=ROUTE_CHOICES)
    planned_duration_min = models.PositiveSmallIntegerField(null=True, blank=True)
    start = models.DateTimeField()
    block_end = models.DateTimeField(help_text="Start + dosing + minimum observation + turnover.")
    status = models.CharField(max_length=12, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")
    booked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    transitions = SESSION_TRANSITIONS
    status_action = "sessions.dosingsession.status"
    status_history = "status_changes"
    status_noun = "session"

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["chair", "start"]),
            models.Index(fields=["patient", "start"]),
            models.Index(fields=["status", "start"]),
            models.Index(fields=["start"], name="dosing_session_start_idx"),  # a day's sessions at every site
        ]
        constraints = [
            models.CheckConstraint(condition=Q(block_end__gt=F("start")), name="dosing_session_block_after_start"),
            _no_overlap("dosing_session_chair_no_overlap", "chair", "start", "block_end", ACTIVE_SESSION_STATUSES),
            _no_overlap("dosing_session_patient_no_overlap", "patient", "start", "block_end", ACTIVE_SESSION_STATUSES),
        ]

    def __str__(self) -> str:
        return f"{self.get_route_display()} session of {self.patient} at {times.site_datetime(self.start)}"

    @property
    def site(self) -> Any:
        return self.chair.site

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_SESSION_STATUSES


class SessionStatusChange(models.Model):
    """One validated step of a session's life (oscar's order status changes)."""

    session = models.ForeignKey(DosingSession, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=SessionStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=SessionStatus.choices)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status} at {times.site_datetime(self.changed_at)}"


class FastingStatus(models.TextChoices):
    OK = "ok", "OK"
    REVIEW = "review", "Review"


class CheckIn(models.Model):
    """Arrival: fasting attestation and escort (clinical protocol §4)."""

    session = models.OneToOneField(DosingSession, on_delete=models.CASCADE, related_name="check_in")
    checked_in_at = models.DateTimeField()
    checked_in_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    fasting_solids_hours = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    fasting_clear_liquids_hours = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    fasting = models.CharField(max_length=6, choices=FastingStatus.choices)
    fasting_reasons = models.JSONField(default=list, blank=True)
    escort_confirmed = models.BooleanField(default=False)
    escort_name = models.CharField(max_length=120, blank=True)
    escort_phone = models.CharField(max_length=40, blank=True, validators=[validate_phone])
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")
    corrected_at = models.DateTimeField(null=True, blank=True, help_text="When the check-in was last corrected.")
    fasting_attested_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the fasting hours were last attested (a correction); empty: at check-in. A prescriber's "
        "fasting review counts only if made after it.",
    )

    def __str__(self) -> str:
        return f"Check-in of {self.session_id} at {times.site_datetime(self.checked_in_at)}"


class VitalPhase(models.TextChoices):
    PRE = "pre", "Before dosing"
    DURING = "during", "During dosing"
    POST = "post", "After dosing"


class GateDecision(models.TextChoices):
    PROCEED = "proceed", "Proceed"
    REVIEW = "review", "Review"
    DEFER = "defer", "Defer"


class VitalSign(models.Model):
    """One set of vital signs, with the gate (before dosing) or the alerts (during and after) it raised."""

    session = models.ForeignKey(DosingSession, on_delete=models.CASCADE, related_name="vital_signs")
    recorded_at = models.DateTimeField()
    phase = models.CharField(max_length=6, choices=VitalPhase.choices)
    systolic = models.PositiveSmallIntegerField()
    diastolic = models.PositiveSmallIntegerField()
    heart_rate = models.PositiveSmallIntegerField()
    spo2 = models.PositiveSmallIntegerField("SpO2")
    respiratory_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    gate = models.CharField(max_length=7, choices=GateDecision.choices, blank=True)
    gate_reasons = models.JSONField(default=list, blank=True)
    alerts = models.JSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["session", "phase", "recorded_at"])]

    def __str__(self) -> str:
        when = times.site_time(self.recorded_at)
        return f"{self.systolic}/{self.diastolic} HR {self.heart_rate} SpO2 {self.spo2} at {when}"


class ReviewAcknowledgement(models.Model):
    """A prescriber's reason to proceed despite a `review` gate reading and/or a fasting `review` at check-in."""

    session = models.ForeignKey(DosingSession, on_delete=models.CASCADE, related_name="review_acknowledgements")
    vital_sign = models.ForeignKey(VitalSign, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    covers_fasting = models.BooleanField(default=False)
    reviewed_reasons = models.JSONField(default=list, blank=True)
    reason = models.TextField(max_length=REASON_MAX)
    acknowledged_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField()

    class Meta:
        ordering = ["acknowledged_at", "id"]

    def __str__(self) -> str:
        return f"Review acknowledged by {self.acknowledged_by} at {times.site_time(self.acknowledged_at)}"


class DoseRecord(models.Model):
    """The dose given: the calculation's inputs and result (with its steps), the protocol version, who and when."""

    session = models.OneToOneField(DosingSession, on_delete=models.PROTECT, related_name="dose")
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")
    route = models.CharField(max_length=12, choices=ROUTE_CHOICES)
    inputs = models.JSONField(help_text="The DoseRequest, as given to the calculation.")
    result = models.JSONField(help_text="The DoseResult with every intermediate value and the steps.")
    dose_mg = models.DecimalField(max_digits=7, decimal_places=1)
    mg_per_kg = models.DecimalField(max_digits=5, decimal_places=3, null=True, blank=True)
    dosing_weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    weight_basis = models.CharField(max_length=10, blank=True)
    duration_min = models.PositiveSmallIntegerField(null=True, blank=True)
    rate_mg_per_min = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    pump_rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    draw_volume_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    lot_number = models.CharField(max_length=60)
    administered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    requires_override = models.BooleanField(default=False)
    override_reasons = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(blank=True, max_length=REASON_MAX)
    override_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The planned values above stay as calculated; the end of dosing records what really happened.
    actual_duration_min = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Minutes from the start to the end of dosing."
    )
    actual_dose_mg = models.DecimalField(
        max_digits=7, decimal_places=1, null=True, blank=True, help_text="The dose given (less after an early stop)."
    )
    stopped_early = models.BooleanField(default=False)
    stop_reason = models.TextField(
        blank=True, max_length=REASON_MAX, help_text="Why dosing ended before its planned duration."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(stopped_early=False) | ~Q(stop_reason=""), name="dose_early_stop_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(actual_dose_mg__isnull=True) | Q(actual_dose_mg__lte=F("dose_mg")),
                name="dose_given_not_above_planned",
            ),
            models.CheckConstraint(
                condition=Q(requires_override=False) | (~Q(override_reason="") & Q(override_by__isnull=False)),
                name="dose_override_has_reason_and_prescriber",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dose_mg} mg {self.route} (lot {self.lot_number})"


class AdverseEventKind(models.TextChoices):
    NAUSEA_VOMITING = "nausea_vomiting", "Nausea / vomiting"
    SEVERE_HYPERTENSION = "severe_hypertension", "Severe hypertension"
    DISTRESS = "distress", "Distress"
    OVER_SEDATION = "over_sedation", "Over-sedation"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class AdverseEvent(models.Model):
    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="adverse_events")
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=AdverseEventKind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    # The event's description and what was done: encrypted at rest (docs/security.md, "Encryption at rest").
    action_taken = EncryptedTextField(max_length=NOTE_MAX)
    notes = EncryptedTextField(blank=True, max_length=NOTE_MAX)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()}) at {times.site_time(self.occurred_at)}"


class Discharge(models.Model):
    """Discharge: modified Aldrete, observation time, escort, instructions (clinical protocol §4)."""

    session = models.OneToOneField(DosingSession, on_delete=models.PROTECT, related_name="discharge")
    discharged_at = models.DateTimeField()
    discharged_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    aldrete_items = models.JSONField(help_text="Activity, respiration, circulation, consciousness, SpO2; 0-2 each.")
    aldrete_total = models.PositiveSmallIntegerField()
    observation_min = models.PositiveIntegerField(help_text="Minutes observed after dosing ended.")
    escort_confirmed = models.BooleanField()
    escort_name = models.CharField(max_length=120, blank=True)
    instructions_given = models.BooleanField(default=False)
    no_driving_acknowledged = models.BooleanField(default=False)
    notes = models.TextField(blank=True, max_length=NOTE_MAX)
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        when = times.site_datetime(self.discharged_at)
        return f"Discharge of {self.session_id} at {when} (Aldrete {self.aldrete_total})"


class DissociationScore(models.Model):
    """A CADSS-6 rating during the session (clinical protocol §4, "During": at 40 min after dosing starts)."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="dissociation_scores")
    items = models.JSONField(help_text="The six CADSS-6 items in order, each 0-4.")
    total = models.PositiveSmallIntegerField(help_text="0-24, scored by intake.instruments.")
    minutes_after_dosing_start = models.PositiveIntegerField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"CADSS-6 {self.total} at {self.minutes_after_dosing_start} min"


class RemsSubmission(models.Model):
    """The esketamine REMS Patient Monitoring Form was submitted for this session, with the REMS's reference number
    and the form's items as they stood then (clinical protocol §4: due within 7 days)."""

    session = models.OneToOneField(DosingSession, on_delete=models.PROTECT, related_name="rems_submission")
    reference = models.CharField(max_length=100, help_text="The confirmation or reference number of the REMS.")
    note = models.TextField(
        blank=True, max_length=REASON_MAX, help_text="How items missing from the session's record were reported."
    )
    form = models.JSONField(help_text="The form's items as submitted.")
    due_on = models.DateField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"REMS form of session {self.session_id}, reference {self.reference}"


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


ACTIVE_APPOINTMENT_STATUSES: tuple[str, ...] = (AppointmentStatus.SCHEDULED, AppointmentStatus.COMPLETED)

APPOINTMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AppointmentStatus.SCHEDULED: frozenset(
        {AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW}
    ),
    AppointmentStatus.COMPLETED: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.NO_SHOW: frozenset(),
}


class IntegrationAppointment(StatusWorkflow):
    """An integration-therapy session (60-90 min) with a therapist, on the same calendar as the dosing sessions."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="integration_appointments")
    therapist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="integration_appointments")
    dosing_session = models.ForeignKey(
        DosingSession, null=True, blank=True, on_delete=models.PROTECT, related_name="integration_appointments"
    )
    chair = models.ForeignKey(
        Chair, null=True, blank=True, on_delete=models.PROTECT, related_name="integration_appointments"
    )
    room = models.CharField(
        max_length=80,
        blank=True,
        validators=[validate_place_name],
        help_text="Where, when it is not one of the chairs.",
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED)
    booked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    transitions = APPOINTMENT_TRANSITIONS
    status_action = "sessions.integrationappointment.status"
    status_noun = "integration session"

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["therapist", "start"]),
            models.Index(fields=["patient", "start"]),
            models.Index(fields=["start"], name="integration_appt_start_idx"),  # a day's appointments
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="integration_appointment_end_after_start"),
            _no_overlap(
                "integration_appointment_therapist_no_overlap",
                "therapist",
                "start",
                "end",
                ACTIVE_APPOINTMENT_STATUSES,
            ),
            # Two patients' integration sessions in one chair, or one patient in two rooms (a NULL chair, a room
            # named in free text, never conflicts here; the service checks those).
            _no_overlap(
                "integration_appointment_chair_no_overlap", "chair", "start", "end", ACTIVE_APPOINTMENT_STATUSES
            ),
            _no_overlap(
                "integration_appointment_patient_no_overlap", "patient", "start", "end", ACTIVE_APPOINTMENT_STATUSES
            ),
        ]

    def __str__(self) -> str:
        return f"Integration session of {self.patient} with {self.therapist} at {times.site_datetime(self.start)}"

    @property
    def site(self) -> Any:
        return self.patient.site

    @property
    def place(self) -> str:
        return self.chair.name if self.chair is not None else self.room


# The patient's own records about a session, made in the portal (kept apart for size; same app, same migrations).
from sessions.models_portal import AppointmentRequest as AppointmentRequest  # noqa: E402
from sessions.models_portal import PreVisitCheckIn as PreVisitCheckIn  # noqa: E402
from sessions.models_portal import RequestKind as RequestKind  # noqa: E402
from sessions.models_portal import RequestStatus as RequestStatus  # noqa: E402
