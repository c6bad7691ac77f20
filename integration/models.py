"""Integration therapy records: notes with their addenda, relapse-prevention plans with every revision, and the
maintenance evaluations that the relapse watch opens (clinical protocol §5-7, docs/clinical-protocol.md).

Dosing sessions, integration appointments, courses and assessments belong to other apps: they are referred to by
string foreign keys and reached through integration/sources.py, never imported here. Free text is encrypted at
rest (clinic.encryption). Records change only through integration/services.py; a signed note, an addendum and a
plan revision never change at all (corrections are new records).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from clinic import times
from clinic.encryption import EncryptedJSONField, EncryptedTextField
from clinic.models import Patient, ProtocolVersion, User
from clinic.status import StatusWorkflow
from clinic.validators import NOTE_MAX, REASON_MAX
from integration.modalities import MODALITY_LABELS, Modality
from integration.outcomes import RelapseReason


class AppendOnly(models.Model):
    """A record that is written once: saving it again or deleting it is refused."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationError(f"A {self._meta.verbose_name} is kept as written and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError(f"A {self._meta.verbose_name} is kept as written and cannot be deleted.")


# --- Notes ----------------------------------------------------------------------------------------------------------


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


MODALITY_CHOICES = [(m.value, MODALITY_LABELS[m] if m != Modality.GENERAL else "General") for m in Modality]


class IntegrationNote(models.Model):
    """One integration session's note: written as a draft by its author, then signed and locked."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="integration_notes")
    dosing_session = models.ForeignKey(
        "treatment_sessions.DosingSession", on_delete=models.PROTECT, related_name="integration_notes"
    )
    appointment = models.ForeignKey(
        "treatment_sessions.IntegrationAppointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="integration_notes",
    )
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="integration_notes")
    started_at = models.DateTimeField()
    duration_min = models.PositiveSmallIntegerField()
    modality = models.CharField(max_length=10, choices=MODALITY_CHOICES)
    narrative = EncryptedTextField(blank=True, max_length=NOTE_MAX)
    plan = EncryptedTextField(blank=True, max_length=NOTE_MAX)
    structured = EncryptedJSONField(blank=True, help_text="The modality's fields with their derived values.")
    status = models.CharField(max_length=6, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The PHQ-9 closest in time to `started_at` within the protocol's window, kept with the note: refreshed on each
    # draft save and frozen at signing, so that a signed note shows what its author saw and signed.
    phq9_assessment = models.ForeignKey(
        "intake.Assessment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    phq9_total = models.PositiveSmallIntegerField(null=True, blank=True)
    phq9_administered_at = models.DateTimeField(null=True, blank=True)
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-started_at"]),
            models.Index(fields=["author", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", signed_at__isnull=True, signed_by__isnull=True)
                | Q(status="signed", signed_at__isnull=False, signed_by__isnull=False),
                name="integration_note_signed_fields_match_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_modality_display()} note for {self.patient} on {times.site_date(self.started_at)}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and (IntegrationNote.objects.filter(pk=self.pk, status=NoteStatus.SIGNED).exists()):
            raise ValidationError("A signed note never changes; add an addendum instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("Integration notes are kept; a draft that is not needed stays a draft.")

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED


class NoteAddendum(AppendOnly):
    """A later correction or addition to a signed note."""

    note = models.ForeignKey(IntegrationNote, on_delete=models.PROTECT, related_name="addenda")
    text = EncryptedTextField(max_length=NOTE_MAX)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "note addenda"

    def __str__(self) -> str:
        return f"Addendum to note {self.note_id} by {self.author} at {times.site_datetime(self.created_at)}"


# --- Relapse-prevention plans ---------------------------------------------------------------------------------------


PLAN_SECTIONS = (
    "warning_signs",
    "coping_strategies",
    "distractions",
    "people_to_ask",
    "professionals",
    "safe_environment",
)
PLAN_SECTION_LABELS = {
    "warning_signs": "Warning signs",
    "coping_strategies": "Internal coping strategies",
    "distractions": "People and places for distraction",
    "people_to_ask": "People to ask for help",
    "professionals": "Professionals and services",
    "safe_environment": "Making the environment safe",
    "maintenance_criteria": "Maintenance criteria",
    "review_date": "Review date",
}
# The sections as the patient reads them, in the plan's order (the portal's plan and its PDF).
PATIENT_PLAN_HEADINGS = (
    ("warning_signs", "Warning signs that things are getting harder"),
    ("coping_strategies", "Things I can do on my own to feel better"),
    ("distractions", "People and places that take my mind off things"),
    ("people_to_ask", "People I can ask for help"),
    ("professionals", "Professionals and services I can contact"),
    ("safe_environment", "Making my surroundings safe"),
)


class RelapsePreventionPlan(models.Model):
    """A patient's plan (clinical protocol §7): the anchor of its revisions, the newest of which is the plan."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="relapse_prevention_plan")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Relapse-prevention plan of {self.patient}"


class RelapsePlanRevision(AppendOnly):
    """One version of the plan, kept for good: the Stanley-Brown sections, each a list of short texts."""

    plan = models.ForeignKey(RelapsePreventionPlan, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    warning_signs = EncryptedJSONField(default=list, blank=True)
    coping_strategies = EncryptedJSONField(default=list, blank=True)
    distractions = EncryptedJSONField(default=list, blank=True)
    people_to_ask = EncryptedJSONField(default=list, blank=True)
    professionals = EncryptedJSONField(default=list, blank=True)
    safe_environment = EncryptedJSONField(default=list, blank=True)
    maintenance_criteria = EncryptedTextField(blank=True, max_length=NOTE_MAX)
    review_date = models.DateField()
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # The site's protocol version the revision was written under (its default review days and maintenance criteria):
    # printed on the plan's PDF. Empty only for revisions written before it was kept.
    protocol_version = models.ForeignKey(
        ProtocolVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="relapse_plan_revision_number_once"),
        ]

    def __str__(self) -> str:
        return f"Revision {self.number} of the relapse-prevention plan of patient {self.plan.patient_id}"


# --- Maintenance evaluations ----------------------------------------------------------------------------------------


class EvaluationStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


EVALUATION_TRANSITIONS: dict[str, frozenset[str]] = {
    EvaluationStatus.OPEN: frozenset({EvaluationStatus.RESOLVED}),
    EvaluationStatus.RESOLVED: frozenset(),
}
# Saved in the same UPDATE as the status: the database refuses a resolved evaluation without its outcome, and an open
# one with an outcome, so the resolution and its status change together.
RESOLUTION_FIELDS = ("outcome", "reason", "resolved_at", "resolved_by")


class EvaluationOutcome(models.TextChoices):
    BOOSTER_BOOKED = "booster_booked", "Booster session booked"
    PLAN_CHANGED = "plan_changed", "Treatment plan changed"
    NO_ACTION = "no_action", "No action"


class EvaluationTrigger(models.TextChoices):
    RISE_FROM_NADIR = RelapseReason.RISE_FROM_NADIR.value, "Rise from the lowest score after the course"
    CROSSED_THRESHOLD = RelapseReason.CROSSED_THRESHOLD.value, "Crossed the relapse threshold"
    MANUAL = "manual", "Opened by a clinician"


class MaintenanceEvaluation(StatusWorkflow):
    """A question for the care team after a course: does this patient need a booster? At most one open per patient;
    a prescriber resolves it with an outcome (`set_status`, clinic.status)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="maintenance_evaluations")
    course = models.ForeignKey(
        "treatment_sessions.TreatmentCourse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="maintenance_evaluations",
    )
    trigger = models.CharField(max_length=20, choices=EvaluationTrigger.choices)
    trigger_assessment = models.ForeignKey(
        "intake.Assessment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    trigger_details = models.JSONField(default=dict, blank=True, help_text="The scores that opened it.")
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=EvaluationStatus.choices, default=EvaluationStatus.OPEN)
    outcome = models.CharField(max_length=20, choices=EvaluationOutcome.choices, blank=True)
    reason = models.TextField(blank=True, max_length=REASON_MAX)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")

    transitions = EVALUATION_TRANSITIONS
    status_action = "integration.maintenanceevaluation.status"
    status_noun = "maintenance evaluation"

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["patient", "-opened_at"]), models.Index(fields=["status", "opened_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="open"),
                name="one_open_maintenance_evaluation_per_patient",
                violation_error_message="This patient already has an open maintenance evaluation.",
            ),
            # One score opens at most one evaluation, however often the watch is evaluated after it.
            models.UniqueConstraint(
                fields=["trigger_assessment"],
                condition=Q(trigger_assessment__isnull=False),
                name="maintenance_evaluation_once_per_trigger_assessment",
            ),
            models.CheckConstraint(
                condition=Q(status="open", outcome="", resolved_at__isnull=True)
                | (Q(status="resolved", resolved_at__isnull=False) & ~Q(outcome="")),
                name="maintenance_evaluation_outcome_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"Maintenance evaluation of {self.patient} opened {times.site_date(self.opened_at)} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == EvaluationStatus.OPEN

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" in update_fields:
            kwargs["update_fields"] = sorted({*update_fields, *RESOLUTION_FIELDS})
        super().save(*args, **kwargs)


# --- Questionnaires due (clinical protocol §5, "Cadence"; their reminders: integration/reminders.py) ---------------


class QuestionnaireDueReason(models.TextChoices):
    SESSION = "session", "Before a session of the course"
    POST_COURSE_WEEKLY = "post_course_weekly", "Weekly after the course"
    POST_COURSE_INTERVAL = "post_course_interval", "Every few weeks after the course"


class QuestionnaireDue(models.Model):
    """A questionnaire the cadence asks of a patient at `due_at`: announced to the patient then, and nudged until it
    is answered. At most one is open per patient; a due time is asked once (a closed one is never reopened)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="questionnaires_due")
    instrument = models.CharField(max_length=16)
    due_at = models.DateTimeField()
    reason = models.CharField(max_length=24, choices=QuestionnaireDueReason.choices)
    course_id = models.PositiveBigIntegerField(null=True, blank=True, help_text="The treatment course it follows.")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Answered, or no longer due.")
    assessment = models.ForeignKey(
        "intake.Assessment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The answers that closed it.",
    )

    class Meta:
        ordering = ["-due_at", "-id"]
        verbose_name = "questionnaire due"
        verbose_name_plural = "questionnaires due"
        constraints = [
            models.UniqueConstraint(fields=["patient", "instrument", "due_at"], name="questionnaire_due_once"),
            models.UniqueConstraint(
                fields=["patient"], condition=Q(closed_at__isnull=True), name="questionnaire_due_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} due {times.site_datetime(self.due_at)} ({'closed' if self.closed_at else 'open'})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class QuestionnaireLinkUse(models.Model):
    """A one-time questionnaire link that was followed (by its nonce): the same link never works twice."""

    nonce = models.CharField(max_length=32, unique=True)
    questionnaire = models.ForeignKey(QuestionnaireDue, on_delete=models.PROTECT, related_name="link_uses")
    used_at = models.DateTimeField()

    class Meta:
        ordering = ["-used_at"]

    def __str__(self) -> str:
        return f"link {self.nonce} used {times.site_datetime(self.used_at)}"
