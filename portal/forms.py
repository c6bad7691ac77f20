"""The portal's own forms (the intake forms live with intake). Labels are questions a patient can answer on a phone."""

from __future__ import annotations

from typing import Any

from django import forms

from clinic.validators import REASON_MAX

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class _When(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [DATETIME_LOCAL, "%Y-%m-%d %H:%M"])
        kwargs.setdefault(
            "error_messages",
            {"required": "Give the day and time.", "invalid": "Give the day and time, e.g. today at 7:30 AM."},
        )
        super().__init__(**kwargs)


class PreVisitCheckInForm(forms.Form):
    """The patient's check-in on the day of a treatment (sessions.services.checkins), in the site's time zone."""

    last_meal_at = _When(
        label="When did you last eat?",
        help_text="Any food, milk or chewing gum counts as eating.",
    )
    last_clear_drink_at = _When(
        label="When did you last have a drink?",
        help_text="The last time you drank anything, even water.",
    )
    escort_name = forms.CharField(label="Who will take you home?", max_length=120, required=False)
    escort_phone = forms.CharField(
        label="Their phone number", max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    medication_changed = forms.TypedChoiceField(
        label="Have any of your medicines changed since your last visit?",
        choices=[("no", "No"), ("yes", "Yes")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose yes or no."},
    )
    medication_changes = forms.CharField(
        label="If yes: which medicine, and what changed?",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: started sertraline 50 mg last week.",
    )


class ChangeRequestForm(forms.Form):
    """A request to move or cancel a session (sessions.services.requests)."""

    kind = forms.ChoiceField(
        label="What would you like?",
        choices=[("reschedule", "Move it to another time"), ("cancel", "Cancel it")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to move the session or cancel it."},
    )
    reason = forms.CharField(
        label="Why? A few words are enough.",
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    preferred_times = forms.CharField(
        label="If you want to move it: which days and times suit you?",
        max_length=300,
        required=False,
        help_text="For example: Tuesday or Thursday mornings next week.",
    )


class ProfileForm(forms.Form):
    """My contact details and my emergency contact (clinic.services.update_own_details)."""

    email = forms.EmailField(label="Email address", required=False, max_length=254)
    phone = forms.CharField(
        label="Mobile phone", required=False, max_length=32, widget=forms.TextInput(attrs={"type": "tel"})
    )
    emergency_contact_name = forms.CharField(label="Emergency contact: name", required=False, max_length=120)
    emergency_contact_phone = forms.CharField(
        label="Emergency contact: phone", required=False, max_length=32, widget=forms.TextInput(attrs={"type": "tel"})
    )
    emergency_contact_relationship = forms.CharField(
        label="Emergency contact: who they are to you", required=False, max_length=60,
        help_text="For example: partner, sister, friend.",
    )  # fmt: skip
