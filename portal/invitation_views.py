"""The patient's side of a portal invitation (clinic/invitations.py): the one-time link's page, where the patient
chooses a password and lands signed in on the portal home, and the page of a link that no longer works, with a way
to ask for a new one (sent to the email address on file).

These pages are for someone who is not signed in yet: they show only the patient's first name, read through the
link's secret, and every opening is audited (`clinic.invitation.open`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from clinic import invitations
from clinic.errors import DomainError, InvalidInput
from clinic.models import Patient, Role, User

TEMPLATE = "portal/invitation.html"


def _form(check: invitations.LinkCheck, data: Any = None) -> SetPasswordForm[User]:
    patient = check.invitation.patient if check.invitation else Patient()
    # An unsaved account, so that the password validators compare the password with the patient's name and email.
    user = User(
        username=invitations.username_for(patient),
        role=Role.PATIENT,
        first_name=patient.given_name,
        last_name=patient.family_name,
        email=patient.email,
    )
    form = SetPasswordForm(user, data)
    form.fields["new_password1"].label = "Choose a password"
    form.fields["new_password2"].label = "Type the same password again"
    return form


class InvitationView(View):
    def _show(
        self, request: HttpRequest, check: invitations.LinkCheck, form: Any = None, status: int = 200
    ) -> HttpResponse:
        patient = check.invitation.patient if check.invitation else None
        context = {
            "state": check.state.value,
            "reason": invitations.expired_text(check.state),
            "form": form,
            "given_name": patient.given_name if patient else "",
            "username": invitations.username_for(patient) if patient and form is not None else "",
            "token": self.kwargs["token"],
            "site_phone": patient.site.phone if patient else "",
        }
        return render(request, TEMPLATE, context, status=status)

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        check = invitations.check_link(token)
        invitations.record_opened(check)
        if check.state is invitations.LinkState.VALID:
            return self._show(request, check, _form(check))
        return self._show(request, check, status=404 if check.state is invitations.LinkState.UNKNOWN else 410)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        check = invitations.check_link(token)
        if check.state is not invitations.LinkState.VALID:
            return self._show(request, check, status=410)
        form = _form(check, request.POST)
        if not form.is_valid():
            return self._show(request, check, form, status=400)
        try:
            user = invitations.accept_invitation(token=token, password=form.cleaned_data["new_password1"])
        except InvalidInput as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            return self._show(request, check, form, status=400)
        except DomainError:
            return self._show(request, invitations.check_link(token), status=410)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, f"Welcome, {user.first_name}. Your account is ready. Next time, sign in with {user.username}."
        )
        return HttpResponseRedirect(reverse("portal:home"))


class NewLinkView(View):
    """POST only: send a new link to the email address on file (once per old link)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        result = invitations.request_new_link(token)
        check = invitations.check_link(token)
        context = {
            "state": "new_link",
            "sent": result.sent,
            "reason": result.message,
            "token": token,
            "form": None,
            "given_name": check.invitation.patient.given_name if check.invitation else "",
            "site_phone": check.invitation.patient.site.phone if check.invitation else "",
        }
        return render(request, TEMPLATE, context)
