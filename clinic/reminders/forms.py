"""The reminder preferences form, for the front desk on the staff patient page and for the patient in the portal.

It only reads what was typed; `clinic.reminders.preferences.set_reminder_preferences` validates (text messages need
a phone number, quiet hours need both ends), and its refusals come back beside their fields (the form's fields are
named as the service names them).
"""

from __future__ import annotations

from typing import Any

from django import forms

from clinic.models import Patient
from clinic.reminders.preferences import PREFERENCE_FIELDS
from clinic.times import time_input

TIME_INPUT = time_input()


class ReminderPreferencesForm(forms.ModelForm[Patient]):
    class Meta:
        model = Patient
        fields = list(PREFERENCE_FIELDS)
        widgets = {"quiet_hours_start": TIME_INPUT, "quiet_hours_end": TIME_INPUT}

    def __init__(self, *args: Any, for_patient: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel, start, end, opt_out = (self.fields[name] for name in PREFERENCE_FIELDS)
        channel.error_messages["required"] = "Choose how reminders are sent."
        if for_patient:
            channel.label = "Send me reminders by"
            start.label, end.label = "Quiet hours from", "Quiet hours until"
            start.help_text = (
                "No messages between these times (your clinic's local time), except the last reminder two hours "
                "before a treatment session."
            )
            opt_out.label = "Only send me messages about my appointments and questionnaires"
        else:
            channel.label = "Reminders by"
            start.label, end.label = "Quiet hours from", "Quiet hours until"
            start.help_text = (
                "In the site's time zone; the reminder two hours before a dosing session is not held back."
            )
            opt_out.label = "Only messages about their care"
        end.help_text = "Leave both empty for no quiet hours."
        opt_out.help_text = "Appointment reminders and questionnaires still go; reminders that repeat do not."

    def _post_clean(self) -> None:
        # The service validates and saves; the form only reads the fields.
        pass

    def preferences(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "channel": data["preferred_reminder_channel"],
            "quiet_hours_start": data.get("quiet_hours_start"),
            "quiet_hours_end": data.get("quiet_hours_end"),
            "non_clinical_opt_out": bool(data.get("non_clinical_opt_out")),
        }
