"""A reminder is a row: who gets which message about what, when, and how its delivery went.

The row is the truth; the broker only carries "send reminder 42 under claim T" for a few minutes. See
docs/architecture.md, "Reminders", for the states and the delivery guarantee.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Skipped"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class SkipReason(models.TextChoices):
    PAST_DUE = "past_due", "Already past when it was booked"
    TOO_LATE = "too_late", "Too late to be useful"
    NO_ADDRESS = "no_address", "No address for the channel"
    OPTED_OUT = "opted_out", "The patient asked for no such messages"
    NO_CHANNEL = "no_channel", "The patient asked for no reminders"
    SUBJECT_GONE = "subject_gone", "What it was about no longer exists"


OPEN_STATUSES = (ReminderStatus.PENDING, ReminderStatus.SENDING)


class Reminder(models.Model):
    """One message to one recipient about one subject (a dosing session, an appointment, a questionnaire, a staff
    alert), by one channel. `(subject, kind, occurrence, channel, recipient)` is unique: it can never exist twice.

    `occurrence` numbers repeats of the same kind about the same subject: the daily questionnaire nudges, or the
    reminder again after its appointment moved once it had gone out.
    """

    delivery_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    patient = models.ForeignKey(
        "clinic.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reminders",
        help_text="The recipient, or for a message to staff the patient it is about.",
    )
    recipient_user = models.ForeignKey(
        "clinic.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reminders",
        help_text="The staff member it goes to (empty: it goes to the patient).",
    )
    subject_type = models.CharField(
        max_length=64, help_text='What it is about, e.g. "treatment_sessions.dosingsession".'
    )
    subject_id = models.PositiveBigIntegerField()
    subject_starts_at = models.DateTimeField(
        null=True, blank=True, help_text="When the appointment begins; a reminder is never sent after that."
    )
    occurrence = models.PositiveSmallIntegerField(default=1)
    due_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(help_text="When it may go next: its due time, after quiet hours or backoff.")
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    skip_reason = models.CharField(max_length=16, choices=SkipReason.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True, max_length=2_000)  # system-written; cut by the delivery if longer
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(
        null=True, blank=True, help_text="Committed just before the message goes to the provider."
    )
    provider_message_id = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind", "occurrence", "channel", "patient"],
                condition=Q(recipient_user__isnull=True),
                name="reminder_once_per_patient",
            ),
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind", "occurrence", "channel", "recipient_user"],
                condition=Q(recipient_user__isnull=False),
                name="reminder_once_per_staff_member",
            ),
            models.CheckConstraint(
                condition=Q(patient__isnull=False) | Q(recipient_user__isnull=False),
                name="reminder_has_a_recipient",
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(claim_token__isnull=False, lease_until__isnull=False),
                name="reminder_sending_has_a_lease",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="reminder_due_idx"),
            models.Index(fields=["status", "lease_until"], name="reminder_lease_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="reminder_subject_idx"),
            models.Index(fields=["patient", "due_at"], name="reminder_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"

    @property
    def is_for_staff(self) -> bool:
        return self.recipient_user_id is not None

    @property
    def reference(self) -> str:
        """The message's own id at the provider's door: the same for every attempt, so a send can be looked up, and
        unique across databases (a mail client may drop a second message with a Message-ID it has seen)."""
        return f"reminder-{self.pk}.{self.delivery_key.hex}"
