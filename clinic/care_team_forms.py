"""The care-team form of the staff patient page (clinic.care_team_views posts it)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest

from clinic.care_team import can_manage_care_team, display_name, staff_of_site
from clinic.models import Patient, Role, User

# Therapists first: they are the usual addition, and they see a patient only once on the team.
ROLE_ORDER = (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE, Role.CLINIC_ADMIN, Role.FRONT_DESK)
NOT_OFFERED = "Choose a staff member of this site who is not on the care team yet."


def _option_label(user: User) -> str:
    return f"{display_name(user)}, {user.credentials}" if user.credentials else display_name(user)


class CareTeamAddForm(forms.Form):
    member = forms.TypedChoiceField(
        label="Staff member",
        coerce=int,
        error_messages={"invalid_choice": NOT_OFFERED, "required": "Choose the staff member to add."},
    )
    is_primary = forms.BooleanField(label="Primary contact on the team", required=False)

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {u.pk: u for u in staff_of_site(patient).exclude(care_teams__patient=patient)}
        groups = [
            (role.label, [(u.pk, _option_label(u)) for u in self.candidates.values() if u.role == role])
            for role in ROLE_ORDER
        ]
        field: Any = self.fields["member"]
        field.choices = [("", "Choose someone"), *[(label, options) for label, options in groups if options]]

    def clean_member(self) -> User:
        return self.candidates[self.cleaned_data["member"]]


def care_team_form_for(request: HttpRequest, patient: Patient) -> CareTeamAddForm | None:
    """A blank form for those who may change the team; None for the others."""
    return CareTeamAddForm(patient=patient) if can_manage_care_team(request.user, patient) else None
