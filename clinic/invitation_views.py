"""The staff side of portal invitations (clinic/invitations.py): the "Portal account" panel of the staff patient page
and the button that sends (or sends again) the invitation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from clinic import invitations, panels
from clinic.admin_base import refusal_text
from clinic.errors import DomainError
from clinic.http import user_of
from clinic.models import Patient
from clinic.views import PatientScopedView


def staff_panel(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    account = invitations.account_of(patient)
    return {
        "account": account,
        "invitation": None if account else invitations.latest_invitation(patient),
        "can_invite": account is None and invitations.can_invite(user_of(request), patient),
        "site": patient.site,
    }


def register() -> None:
    panels.register(
        panels.Panel("portal_account", "staff", "staff/portal_account_panel.html", staff_panel, 15, clinical=False)
    )


class InvitePatientView(PatientScopedView):
    """POST only: email the patient a link to set up their portal account."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = self.get_patient()
        try:
            invitation = invitations.invite_patient(by=user_of(request), patient=patient)
        except DomainError as exc:
            messages.error(request, refusal_text(exc))
        else:
            messages.success(request, f"The invitation is on its way to {invitation.email}.")
        return HttpResponseRedirect(reverse("staff:patient_detail", args=[patient.pk]) + "#panel-portal_account")
