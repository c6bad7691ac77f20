"""My profile in the portal: contact details and emergency contact, my password, and links to two-step sign-in
(optional for patients), signing out of other devices (clinic.security's account page) and reminder preferences."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from clinic import audit, services
from clinic.models import Patient, User
from clinic.security import mfa
from portal.forms import ProfileForm
from portal.views import PortalFormView


class ProfileView(PortalFormView[ProfileForm]):
    template_name = "portal/profile.html"
    success_message = "Thank you. Your details are saved."

    def get_form(self, data: Any = None) -> ProfileForm:
        patient = self.get_patient()
        return ProfileForm(data, initial={name: getattr(patient, name) for name in services.OWN_DETAILS})

    def show_form(self, form: ProfileForm, *, status: int = 200) -> HttpResponse:
        patient, user = self.get_patient(), self.request.user
        audit.record("portal.patient.view", patient=patient, obj=patient, details={"page": "profile"})
        context = {"form": form, "patient": patient, "username": user.username, "mfa_on": mfa.is_enrolled(user)}
        return render(self.request, self.template_name, context, status=status)

    def act(self, form: ProfileForm) -> Patient:
        return services.update_own_details(by=self.request.user, data=form.cleaned_data)

    def success_url(self, result: Patient) -> str:
        return reverse("portal:profile")


class PasswordView(PortalFormView[PasswordChangeForm]):
    template_name = "portal/password.html"
    success_message = "Your password is changed. Other devices are signed out; this one stays signed in."

    def get_form(self, data: Any = None) -> PasswordChangeForm:
        form = PasswordChangeForm(self.request.user, data)
        form.fields["old_password"].label = "Your current password"
        form.fields["new_password1"].label = "New password"
        form.fields["new_password2"].label = "New password again"
        return form

    def show_form(self, form: PasswordChangeForm, *, status: int = 200) -> HttpResponse:
        return render(self.request, self.template_name, {"form": form}, status=status)

    def act(self, form: PasswordChangeForm) -> User:
        user: User = form.save()
        update_session_auth_hash(self.request, user)
        audit.record("clinic.user.password_change", obj=user, patient=user.patient_id, details={"via": "portal"})
        return user

    def success_url(self, result: User) -> str:
        return reverse("portal:profile")
