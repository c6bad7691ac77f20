"""The care-team form on the staff patient page: add a staff member of the patient's site, remove one.

Only those clinic.care_team.can_manage_care_team allows see the form or may post it (403 for the others, 404 for
a patient they may not see); the services enforce the same rule and audit each change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from clinic import services
from clinic.care_team import can_manage_care_team, display_name, staff_or_members
from clinic.care_team_forms import CareTeamAddForm
from clinic.errors import InvalidInput
from clinic.http import user_of
from clinic.models import Patient
from clinic.views import PatientDetailView, PatientScopedView


def _back_to_team(patient: Patient) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("staff:patient_detail", args=[patient.pk]) + "#care-team")


def _require_manager(request: HttpRequest, patient: Patient) -> None:
    if not can_manage_care_team(request.user, patient):
        raise PermissionDenied("Only a prescriber, nurse or clinic administrator of this site changes the care team.")


class CareTeamAddView(PatientDetailView):
    """POST only; a refused form comes back on the patient page with the reason and what was chosen."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = self.get_patient()
        _require_manager(request, patient)
        form = CareTeamAddForm(request.POST, patient=patient)
        if form.is_valid():
            member = form.cleaned_data["member"]
            try:
                services.add_care_team_member(
                    by=user_of(request),
                    patient=patient,
                    member=member,
                    is_primary=form.cleaned_data["is_primary"],
                )
            except InvalidInput as exc:
                form.add_error("member", exc.errors.get("user", [exc.message]))
            else:
                messages.success(request, f"{display_name(member)} joined the care team.")
                return _back_to_team(patient)
        return self.render_to_response(self.get_context_data(care_team_form=form), status=400)


class CareTeamRemoveView(PatientScopedView):
    """POST only; the page asks for confirmation before it posts."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = self.get_patient()
        _require_manager(request, patient)
        member = get_object_or_404(staff_or_members(patient), pk=kwargs["user_pk"])
        try:
            services.remove_care_team_member(by=user_of(request), patient=patient, member=member)
        except InvalidInput as exc:
            messages.error(request, " ".join(exc.errors.get("user", [exc.message])))
        else:
            messages.success(request, f"{display_name(member)} is no longer on the care team.")
        return _back_to_team(patient)
