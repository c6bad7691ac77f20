from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from clinic import notifications, times
from clinic.models import Patient, Site, reminder_contact_error


class PatientRegistrationForm(forms.ModelForm[Patient]):
    site = forms.ModelChoiceField(queryset=Site.objects.none())
    # Shown only once a patient with the same name and date of birth was found at the site (clinic.services).
    register_anyway = forms.BooleanField(
        label="This is a different person: register a new patient anyway", required=False
    )

    class Meta:
        model = Patient
        fields = [
            "site",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex_at_birth",
            "email",
            "phone",
            "preferred_reminder_channel",
            "emergency_contact_name",
            "emergency_contact_relationship",
            "emergency_contact_phone",
            "height_cm",
            "weight_kg",
        ]
        widgets = {"date_of_birth": times.date_input()}
        help_texts = {"phone": "Needed for reminders by text message."}

    def __init__(self, *args: Any, sites: Any, show_clinical: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            choose = isinstance(field, forms.ChoiceField | forms.ModelChoiceField)
            field.error_messages["required"] = f"{'Choose' if choose else 'Give'} the {str(field.label).lower()}."
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        if sites.count() == 1:
            self.fields["site"].initial = sites.first()
        if not show_clinical:
            del self.fields["height_cm"]
            del self.fields["weight_kg"]

    def clean_date_of_birth(self) -> Any:
        value = self.cleaned_data["date_of_birth"]
        if value and value > timezone.localdate():
            raise forms.ValidationError("Date of birth cannot be in the future.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        error = reminder_contact_error(data.get("preferred_reminder_channel", ""), data.get("phone"))
        if error and "phone" not in self.errors:
            self.add_error("phone", error)
        return data

    def _post_clean(self) -> None:
        # The service validates and saves (with the MRN); the form only checks its fields.
        pass


class AcknowledgeForm(forms.Form):
    """Acknowledging an alert for the care team: what was done, required for a safety alert
    (clinic.notifications.note_required; the service checks it too)."""

    note = forms.CharField(
        label="What was done",
        required=False,
        max_length=notifications.NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Who spoke with the patient, when, and the outcome.",
        error_messages={"required": notifications.NOTE_REQUIRED},
    )

    def __init__(self, *args: Any, note_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].required = note_required
