"""Core records: staff and roles, sites and chairs, patients and care teams, protocol versions, the audit log."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar
from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from pydantic import ValidationError as PydanticValidationError

from clinic import clock
from clinic.protocol import DEFAULT_PROTOCOL, Protocol, validation_messages
from clinic.validators import ADDRESS_MAX, PHONE_MAX, REASON_MAX, validate_phone, validate_place_name


class Role(models.TextChoices):
    PRESCRIBER = "prescriber", "Prescriber (physician or nurse practitioner)"
    NURSE = "nurse", "Nurse"
    THERAPIST = "therapist", "Therapist"
    FRONT_DESK = "front_desk", "Front desk"
    CLINIC_ADMIN = "clinic_admin", "Clinic administrator"
    PATIENT = "patient", "Patient"


STAFF_ROLES = frozenset(r for r in Role if r != Role.PATIENT)
CLINICAL_ROLES = frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.CLINIC_ADMIN})
SITE_WIDE_ROLES = frozenset({Role.PRESCRIBER, Role.NURSE, Role.CLINIC_ADMIN, Role.FRONT_DESK})


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone such as America/New_York.")


class Site(models.Model):
    name = models.CharField(max_length=120, unique=True)
    code = models.CharField(
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]{2,8}$", "Use 2-8 capital letters or digits.")],
        help_text="Short prefix of the medical record numbers issued here, e.g. MAIN.",
    )
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    address = models.TextField(blank=True, max_length=ADDRESS_MAX)
    phone = models.CharField(max_length=PHONE_MAX, blank=True, validators=[validate_phone])
    next_mrn_number = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClinicUserManager(UserManager["User"]):
    pass


class User(AbstractUser):
    """A person who signs in: staff with a role at one or more sites, or a patient linked to one Patient record."""

    role = models.CharField(max_length=20, choices=Role.choices)
    sites = models.ManyToManyField(Site, blank=True, related_name="staff")
    patient = models.OneToOneField(
        "clinic.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="user"
    )
    credentials = models.CharField(max_length=40, blank=True, help_text="e.g. MD, NP, RN, LCSW")

    objects: ClassVar[ClinicUserManager] = ClinicUserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role="patient", patient__isnull=False) | (~Q(role="patient") & Q(patient__isnull=True)),
                name="user_patient_link_matches_role",
                violation_error_message="A patient account must be linked to a patient record; staff must not be.",
            ),
        ]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.get_role_display()})" if full else self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The admin site lets in clinic administrators (ClinicAdminSite); is_staff mirrors that for Django's forms.
        self.is_staff = self.is_superuser or self.role == Role.CLINIC_ADMIN
        super().save(*args, **kwargs)

    @property
    def is_patient_user(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_clinical_staff(self) -> bool:
        return self.is_superuser or self.role in CLINICAL_ROLES

    @property
    def is_prescriber(self) -> bool:
        return self.role == Role.PRESCRIBER

    @property
    def is_clinic_admin(self) -> bool:
        return self.is_superuser or self.role == Role.CLINIC_ADMIN

    @property
    def is_staff_member(self) -> bool:
        return self.is_superuser or self.role in STAFF_ROLES


class Chair(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="chairs")
    name = models.CharField(max_length=80, validators=[validate_place_name])
    is_active = models.BooleanField(default=True)
    notes = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["site__name", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="chair_name_unique_per_site")]

    def __str__(self) -> str:
        return f"{self.name} ({self.site})"


class SexAtBirth(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"


class ReminderChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    NONE = "none", "No reminders"


SMS_NEEDS_PHONE = "Give a mobile phone number for text-message reminders."


def reminder_contact_error(channel: str, phone: str | None) -> str | None:
    """Why reminders could not be sent on this channel (a text message without a phone number), or None; the
    registration form asks it too, so the page shows it with the form's own errors."""
    if channel == ReminderChannel.SMS and not (phone or "").strip():
        return SMS_NEEDS_PHONE
    return None


class Patient(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=20, editable=False)
    given_name = models.CharField(max_length=80)
    family_name = models.CharField(max_length=80)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=6, choices=SexAtBirth.choices)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=PHONE_MAX, blank=True, validators=[validate_phone])
    preferred_reminder_channel = models.CharField(
        max_length=8, choices=ReminderChannel.choices, default=ReminderChannel.EMAIL
    )
    # Reminder preferences (clinic/reminders/preferences.py): a reminder due inside the quiet hours (the site's time
    # zone) waits for their end, except those about to be too late (the 2-hour one before a dosing session).
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    non_clinical_opt_out = models.BooleanField(
        "no non-clinical messages",
        default=False,
        help_text="Only messages about their care (appointments, preparation, questionnaires) are sent.",
    )
    emergency_contact_name = models.CharField(max_length=120, blank=True)
    emergency_contact_phone = models.CharField(max_length=PHONE_MAX, blank=True, validators=[validate_phone])
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    height_cm = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(260)],
    )
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(2), MaxValueValidator(400)],
    )
    measured_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [models.UniqueConstraint(fields=["site", "mrn"], name="patient_mrn_unique_per_site")]
        indexes = [
            models.Index(fields=["site", "family_name", "given_name"]),
            models.Index(fields=["mrn"]),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (self.quiet_hours_start is None) != (self.quiet_hours_end is None):
            errors["quiet_hours_end" if self.quiet_hours_end is None else "quiet_hours_start"] = (
                "Give both the start and the end of the quiet hours, or neither."
            )
        elif self.quiet_hours_start is not None and self.quiet_hours_start == self.quiet_hours_end:
            errors["quiet_hours_end"] = "The quiet hours must end at another time than they start."
        if errors:
            raise ValidationError(errors)


class CareTeamMember(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="care_teams")
    role = models.CharField(max_length=20, choices=[(r.value, r.label) for r in Role if r != Role.PATIENT])
    is_primary = models.BooleanField(default=False)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient", "user"], name="care_team_member_once")]

    def __str__(self) -> str:
        return f"{self.user} on the care team of {self.patient}"


def _validate_protocol_settings(value: Any) -> None:
    try:
        Protocol.model_validate(value)
    except PydanticValidationError as exc:
        details = "; ".join(f"{path}: {msg}" for path, msg in validation_messages(exc).items())
        raise ValidationError(f"Protocol settings are not valid: {details}") from None


def default_protocol_settings() -> dict[str, Any]:
    return DEFAULT_PROTOCOL.to_json()


class ProtocolVersion(models.Model):
    """One version of a site's protocol. Immutable once a decision used it; changes make a new version."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="protocol_versions")
    number = models.PositiveIntegerField()
    settings = models.JSONField(default=default_protocol_settings, validators=[_validate_protocol_settings])
    change_summary = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=False)
    first_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site__name", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="protocol_version_number_unique_per_site"),
            models.UniqueConstraint(
                fields=["site"], condition=Q(is_active=True), name="one_active_protocol_version_per_site"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} protocol v{self.number}"

    @property
    def label(self) -> str:
        return f"{self.site.code}-v{self.number}"

    @property
    def is_locked(self) -> bool:
        return self.first_used_at is not None

    def protocol(self) -> Protocol:
        return Protocol.model_validate(self.settings)


class AuditEvent(models.Model):
    """One append-only entry of the audit trail. Editing or deleting it is refused (and by a trigger on PostgreSQL)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    # The hash chain (clinic.audit): position, the previous entry's hash, and this entry's hash.
    sequence = models.BigIntegerField(unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["patient", "-occurred_at"]),
            models.Index(fields=["actor", "-occurred_at"]),
        ]

    def __str__(self) -> str:
        when = clock.moment_words(timezone.localtime(self.occurred_at))
        return f"{when} {self.actor_username or 'system'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("Audit events are append-only and cannot be deleted.")


class NotificationKind(models.TextChoices):
    SAFETY_ALERT = "safety_alert", "Safety alert"
    REMINDER = "reminder", "Reminder"
    INFO = "info", "Information"


class NotificationSeverity(models.IntegerChoices):
    """How urgent a notification is; alerts are ranked by it (highest first). clinic/notifications.py derives it
    from the kind unless the caller says otherwise."""

    INFO = 10, "Information"
    WARNING = 20, "Warning"
    CRITICAL = 30, "Critical"


# How each severity looks on a page (a CSS modifier and a badge), so templates never decide it.
SEVERITY_STYLES = {
    NotificationSeverity.CRITICAL: ("critical", "danger"),
    NotificationSeverity.WARNING: ("warning", "warn"),
    NotificationSeverity.INFO: ("info", "muted"),
}


class Notification(models.Model):
    """A message for a staff member or a patient, one row per recipient (clinic/notifications.py). An alert about a
    patient is acknowledged for the whole care team: every row of the same alert (same patient and dedupe key)
    records who acknowledged it, when and what was done."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    severity = models.PositiveSmallIntegerField(choices=NotificationSeverity.choices, default=NotificationSeverity.INFO)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=REASON_MAX)
    link = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    acknowledgement_note = models.TextField("What was done", blank=True, max_length=REASON_MAX)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_dedupe_once",
            )
        ]
        indexes = [models.Index(fields=["recipient", "acknowledged_at", "read_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.title} -> {self.recipient}"

    @property
    def style(self) -> str:
        """The CSS modifier of the severity: `critical`, `warning` or `info`."""
        return SEVERITY_STYLES[NotificationSeverity(self.severity)][0]

    @property
    def badge(self) -> str:
        return SEVERITY_STYLES[NotificationSeverity(self.severity)][1]


class PortalInvitation(models.Model):
    """A one-time link that lets a patient set a password and open their portal account (clinic/invitations.py).
    Only the SHA-256 of the link's secret is kept; a newer invitation replaces the open ones (`replaced_at`)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="portal_invitations")
    email = models.EmailField(help_text="Where the link was sent.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    replaced_at = models.DateTimeField(null=True, blank=True)
    account = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When the email left; empty until it did.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return f"Portal invitation for {self.patient} ({clock.day_words(self.created_at.date(), weekday=False)})"


# Reminders live in their own package; importing the model here registers it with the clinic app.
from clinic.reminders.models import Reminder  # noqa: E402, F401

# Report jobs belong to this app; their code lives with the rest of the reports machinery in clinic/reports/.
from clinic.reports.models import ReportJob as ReportJob  # noqa: E402
from clinic.reports.models import ReportStatus as ReportStatus  # noqa: E402
