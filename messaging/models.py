"""Secure messages between a patient and their care team: threads of text messages, and who read each message when.

Records change only through messaging/services.py, which checks, locks and audits. A message never changes once
sent; its text is encrypted at rest (clinic.encryption). A `MessageRead` row is a read receipt: the first time a
person opened a message (staff see who on the care team read a patient's message; the unread counts come from it).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from clinic.encryption import EncryptedTextField
from clinic.models import Patient, User
from clinic.validators import NOTE_MAX


class Thread(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="message_threads")
    subject = models.CharField(max_length=120)
    started_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [models.Index(fields=["patient", "-last_message_at"])]

    def __str__(self) -> str:
        return f"{self.subject} ({self.patient})"


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="None: the clinic's automatic reply.",
    )
    from_patient = models.BooleanField(default=False)
    automatic = models.BooleanField(default=False)
    body = EncryptedTextField(
        max_length=NOTE_MAX, help_text="The protocol's limit (messaging.message_max_chars) is lower."
    )
    sent_at = models.DateTimeField(default=timezone.now)
    crisis_words = models.JSONField(
        default=list, blank=True, help_text="The protocol's crisis words the message contains (flagged to the team)."
    )

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["thread", "sent_at"])]

    def __str__(self) -> str:
        return f"Message {self.pk} in thread {self.thread_id}"

    @property
    def flagged(self) -> bool:
        return bool(self.crisis_words)


class MessageRead(models.Model):
    """A read receipt: `reader` first opened `message` at `read_at`."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reads")
    reader = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["read_at", "id"]
        constraints = [models.UniqueConstraint(fields=["message", "reader"], name="message_read_once_per_reader")]

    def __str__(self) -> str:
        return f"{self.reader} read message {self.message_id}"
