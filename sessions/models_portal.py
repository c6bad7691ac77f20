"""The patient's own records about their sessions, made in the portal or the API (sessions.models imports them, so
they belong to the treatment_sessions app and its migrations like the rest):

- `PreVisitCheckIn`: the patient's check-in on the day of a dosing session (sessions/services/checkins.py);
- `AppointmentRequest`: a request to move or cancel a session, which the front desk decides
  (sessions/services/requests.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from clinic.encryption import EncryptedTextField
from clinic.models import Patient, User
from clinic.validators import REASON_MAX

if TYPE_CHECKING:
    from sessions.models import DosingSession, IntegrationAppointment


class PreVisitCheckIn(models.Model):
    """The patient's own check-in from the portal on the day of a dosing session (sessions/services/checkins.py):
    when they last ate and drank, who takes them home, and any change in their medicines. The nurse's check-in form
    starts from it; the nurse still confirms every fact at the chair. The patient may correct it until the start."""

    session = models.OneToOneField(
        "treatment_sessions.DosingSession", on_delete=models.CASCADE, related_name="pre_visit_check_in"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="pre_visit_check_ins")
    last_meal_at = models.DateTimeField(help_text="When the patient last ate solid food or drank milk.")
    last_clear_drink_at = models.DateTimeField(help_text="When the patient last drank a clear liquid.")
    escort_name = models.CharField(max_length=120)
    escort_phone = models.CharField(max_length=40, blank=True)
    medication_changed = models.BooleanField(default=False)
    medication_changes = EncryptedTextField(
        blank=True, max_length=REASON_MAX, help_text="What changed, in the patient's words."
    )
    submitted_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"Pre-visit check-in of session {self.session_id}"


class RequestKind(models.TextChoices):
    RESCHEDULE = "reschedule", "Move to another time"
    CANCEL = "cancel", "Cancel"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for the clinic"
    CONFIRMED = "confirmed", "Done by the clinic"
    DECLINED = "declined", "Declined by the clinic"


class AppointmentRequest(models.Model):
    """A patient's request to move or cancel one of their sessions (a dosing session or an integration appointment),
    made in the portal or the API and decided by the front desk (sessions/services/requests.py): a confirmed
    reschedule books the new time through the booking services and cancels the old one."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointment_requests")
    dosing_session = models.ForeignKey(
        "treatment_sessions.DosingSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="change_requests",
    )
    integration_appointment = models.ForeignKey(
        "treatment_sessions.IntegrationAppointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="change_requests",
    )
    kind = models.CharField(max_length=10, choices=RequestKind.choices)
    reason = models.TextField(max_length=REASON_MAX)
    preferred_times = models.CharField(max_length=300, blank=True, help_text="When would suit the patient instead.")
    inside_notice = models.BooleanField(default=False, help_text="Made inside the clinic's notice period.")
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decision_note = models.CharField(max_length=500, blank=True, help_text="What the patient reads.")
    new_dosing_session = models.ForeignKey(
        "treatment_sessions.DosingSession", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_integration_appointment = models.ForeignKey(
        "treatment_sessions.IntegrationAppointment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(dosing_session__isnull=False, integration_appointment__isnull=True)
                | Q(dosing_session__isnull=True, integration_appointment__isnull=False),
                name="appointment_request_one_subject",
            ),
            models.UniqueConstraint(
                fields=["dosing_session"], condition=Q(status="open"), name="appointment_request_one_open_per_session"
            ),
            models.UniqueConstraint(
                fields=["integration_appointment"],
                condition=Q(status="open"),
                name="appointment_request_one_open_per_appointment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request of {self.patient} ({self.get_status_display()})"

    @property
    def subject(self) -> DosingSession | IntegrationAppointment:
        if self.dosing_session is not None:
            return self.dosing_session
        if self.integration_appointment is None:  # the check constraint forbids it
            raise ValueError(f"Appointment request {self.pk} names no session.")
        return self.integration_appointment
