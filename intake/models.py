"""Intake records: rating-scale assessments, screenings and their overrides, consent, medical clearance, safety tasks.

Clinical records are append-only in spirit: nothing here is edited through an endpoint; a correction is a new
record. Every change goes through intake.services, which validates, locks and audits. Status changes go through
`set_status` (clinic.status.StatusWorkflow), which refuses a transition the workflow does not allow and writes it to
the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from clinic import times
from clinic.encryption import EncryptedTextField
from clinic.models import Patient, ProtocolVersion, User
from clinic.status import StatusWorkflow
from clinic.validators import NOTE_MAX, REASON_MAX
from intake.instruments import Instrument
from intake.rules import Decision, FindingKind


class AssessmentSource(models.TextChoices):
    CLINIC = "clinic", "Entered in clinic"
    PORTAL = "portal", "Filled in by the patient in the portal"


class Assessment(models.Model):
    """One administration of a rating instrument (PHQ-9, GAD-7, C-SSRS screener, ...), scored with the protocol."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments")
    instrument = models.CharField(max_length=20, choices=[(i.value, i.label) for i in Instrument])
    answers = models.JSONField(help_text="As entered: a list of item scores, or the C-SSRS yes/no answers.")
    total = models.PositiveSmallIntegerField(null=True, blank=True, help_text="None for the C-SSRS screener.")
    severity = models.CharField(max_length=30, blank=True, help_text="The protocol's band, or the C-SSRS risk.")
    flags = models.JSONField(default=list, blank=True)
    administered_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=AssessmentSource.choices)
    entered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-administered_at", "-id"]
        indexes = [models.Index(fields=["patient", "instrument", "-administered_at"])]

    def __str__(self) -> str:
        on = times.site_date(self.administered_at)
        return f"{self.instrument_label} {self.score_display} for {self.patient} on {on}"

    @property
    def instrument_label(self) -> str:
        return Instrument(self.instrument).label

    @property
    def score_display(self) -> str:
        severity = self.severity.replace("_", " ")
        if self.total is None:
            return f"risk {severity}" if severity else "-"
        return f"{self.total} ({severity})" if severity else str(self.total)


class ScreeningStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    DECIDED = "decided", "Decided"
    OVERRIDDEN = "overridden", "Overridden by a prescriber"
    EXPIRED = "expired", "Expired"


SCREENING_TRANSITIONS: dict[str, frozenset[str]] = {
    ScreeningStatus.DRAFT: frozenset({ScreeningStatus.DECIDED}),
    ScreeningStatus.DECIDED: frozenset({ScreeningStatus.OVERRIDDEN, ScreeningStatus.EXPIRED}),
    ScreeningStatus.OVERRIDDEN: frozenset({ScreeningStatus.EXPIRED}),
    ScreeningStatus.EXPIRED: frozenset(),
}


class Screening(StatusWorkflow):
    """An intake screening (clinical protocol §1): the facts collected, and the engine's decision on them."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="+")
    screened_at = models.DateTimeField(default=timezone.now)
    screened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # The facts
    age_at_screening = models.PositiveSmallIntegerField()
    height_cm = models.DecimalField(max_digits=5, decimal_places=1)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1)
    systolic = models.PositiveSmallIntegerField("systolic BP (mmHg)")
    diastolic = models.PositiveSmallIntegerField("diastolic BP (mmHg)")
    heart_rate = models.PositiveSmallIntegerField("heart rate (/min)")
    history = models.JSONField(default=list, blank=True, help_text="Codes of intake.rules.HISTORY_CODES.")
    medications = models.JSONField(
        default=list, blank=True, help_text='[{"name", "category", "diazepam_equivalent_mg_per_day"}]'
    )
    substance_use = models.JSONField(default=dict, blank=True, help_text='{"status", "remission_since"}')
    myocardial_infarction_date = models.DateField(null=True, blank=True)
    stroke_date = models.DateField("stroke or TIA date", null=True, blank=True)
    pregnant_or_breastfeeding = models.BooleanField(default=False)
    failed_antidepressant_trials = models.PositiveSmallIntegerField(default=0)
    cssrs_assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The latest C-SSRS screener within the protocol's look-back, if any.",
    )  # fmt: skip
    cssrs_risk = models.CharField("C-SSRS risk", max_length=10, blank=True)
    # The outcome
    decision = models.CharField(
        max_length=20, blank=True, choices=[(d.value, d.value.replace("_", " ")) for d in Decision]
    )
    findings = models.JSONField(default=list, blank=True, help_text='[{"code", "kind", "message", "rule"}]')
    status = models.CharField(max_length=12, choices=ScreeningStatus.choices, default=ScreeningStatus.DRAFT)
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    transitions = SCREENING_TRANSITIONS
    status_action = "intake.screening.status"

    class Meta:
        ordering = ["-screened_at", "-id"]
        indexes = [models.Index(fields=["patient", "-screened_at"])]

    def __str__(self) -> str:
        return f"Screening of {self.patient} on {times.site_date(self.screened_at)}: {self.decision or self.status}"

    def findings_of(self, kind: FindingKind | str) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["kind"] == kind]

    @property
    def has_absolute_finding(self) -> bool:
        return bool(self.findings_of(FindingKind.ABSOLUTE))

    @property
    def is_cleared(self) -> bool:
        """Eligible, or overridden by a prescriber; not expired (by status; dates are for is_cleared_for_dosing)."""
        return self.status == ScreeningStatus.OVERRIDDEN or (
            self.status == ScreeningStatus.DECIDED and self.decision == Decision.ELIGIBLE
        )


class Override(models.Model):
    """A prescriber's clearance of a screening that needed one (relative findings only), with the reason."""

    screening = models.OneToOneField(Screening, on_delete=models.PROTECT, related_name="override")
    prescriber = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=REASON_MAX)
    addressed_findings = models.JSONField(
        default=list, blank=True, help_text="The codes of the relative findings the reason addresses (all of them)."
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Override of screening {self.screening_id} by {self.prescriber} on {times.site_date(self.created_at)}"


class ConsentMethod(models.TextChoices):
    PORTAL = "portal", "Signed by the patient in the portal"
    WITNESSED = "witnessed", "Signed in clinic, witnessed by staff"


class Consent(models.Model):
    """The patient's signature (typed name) on one version of the consent document, with a hash of its text."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    document_version = models.CharField(max_length=20)
    text_sha256 = models.CharField("SHA-256 of the text shown", max_length=64)
    signed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10, choices=ConsentMethod.choices)
    witnessed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"Consent {self.document_version} of {self.patient} signed {times.site_date(self.signed_at)}"


class MedicalClearance(models.Model):
    """A prescriber's record that the patient is medically fit for ketamine treatment."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medical_clearances")
    prescriber = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(max_length=NOTE_MAX)  # encrypted at rest (docs/security.md, "Encryption at rest")
    cleared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-cleared_at", "-id"]

    def __str__(self) -> str:
        return f"Medical clearance of {self.patient} by {self.prescriber} on {times.site_date(self.cleared_at)}"


class HealthQuestionnaire(models.Model):
    """The patient's own account of their history and medicines, from the portal. It informs the nurse's screening
    (which prefills from it and is what the decision uses); it never decides anything by itself."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="health_questionnaires")
    history = models.JSONField(default=list, blank=True, help_text="Codes of intake.rules.HISTORY_CODES.")
    medications = models.JSONField(default=list, blank=True, help_text='[{"name", "category", "dose"}]')
    substance_use = models.JSONField(default=dict, blank=True, help_text='{"status", "remission_since"}')
    pregnant_or_breastfeeding = models.BooleanField(default=False)
    notes = EncryptedTextField(
        blank=True, max_length=NOTE_MAX
    )  # the screening's notes, in the patient's words: encrypted at rest
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"Health questionnaire of {self.patient} on {times.site_date(self.submitted_at)}"


class SafetyTaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


SAFETY_TASK_TRANSITIONS: dict[str, frozenset[str]] = {
    SafetyTaskStatus.OPEN: frozenset({SafetyTaskStatus.RESOLVED}),
    SafetyTaskStatus.RESOLVED: frozenset(),
}


class SafetyTask(StatusWorkflow):
    """Follow-up owed to a patient whose answers signalled suicide risk (clinical protocol §5)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="safety_tasks")
    assessment = models.OneToOneField(Assessment, on_delete=models.PROTECT, related_name="safety_task")
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=SafetyTaskStatus.choices, default=SafetyTaskStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = EncryptedTextField(blank=True, max_length=NOTE_MAX)  # what was done about the risk: encrypted at rest

    transitions = SAFETY_TASK_TRANSITIONS
    status_action = "intake.safetytask.status"

    class Meta:
        ordering = ["status", "-created_at"]

    def __str__(self) -> str:
        return f"Safety task for {self.patient}: {self.reason} ({self.status})"


class QuestionnaireDraft(models.Model):
    """The answers a patient has given so far to a questionnaire in the portal, saved as they answer, so that closing
    the tab loses nothing; one per patient and instrument, deleted when the questionnaire is sent. Not a clinical
    record: the Assessment made from it is. `risk_flags` are the safety flags the answers so far raise
    (intake.instruments.risk_flags_so_far); the care team was alerted when they first appeared."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="questionnaire_drafts")
    instrument = models.CharField(max_length=20, choices=[(i.value, i.label) for i in Instrument])
    answers = models.JSONField(default=dict, blank=True, help_text="Form field name -> the answer as given.")
    risk_flags = models.JSONField(default=list, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True, help_text="When risk answers first alerted the team.")
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "instrument"], name="questionnaire_draft_one_per_instrument")
        ]

    def __str__(self) -> str:
        return f"{Instrument(self.instrument).label} in progress for {self.patient}"
