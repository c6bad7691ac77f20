"""Signed-in sessions (so a person can see and end them) and break-glass grants."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from clinic import clock
from clinic.models import Patient, User


class SignedInSession(models.Model):
    """One browser session of a user, kept beside Django's session row so that the user can list and end it."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    signed_in_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.user} since {clock.moment_words(timezone.localtime(self.signed_in_at))}"


class BreakGlassGrantQuerySet(models.QuerySet["BreakGlassGrant"]):
    def active(self, now: object | None = None) -> BreakGlassGrantQuerySet:
        return self.filter(expires_at__gt=now or timezone.now(), ended_at__isnull=True)


class BreakGlassGrant(models.Model):
    """Emergency access of a prescriber to a patient outside their sites, for a limited time, with a reason."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="break_glass_grants")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="break_glass_grants")
    reason = models.TextField(max_length=2000)
    opened_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = BreakGlassGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["user", "patient", "expires_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("opened_at")), name="break_glass_ends_later")
        ]

    def __str__(self) -> str:
        return f"{self.user} -> {self.patient} until {clock.moment_words(timezone.localtime(self.expires_at))}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None and self.expires_at > timezone.now()


class StaffSignInSecurity(User):
    """The admin's view of staff accounts' two-step sign-in (reset it when a phone is lost)."""

    class Meta:
        proxy = True
        verbose_name = "staff two-step sign-in"
        verbose_name_plural = "staff two-step sign-in"
