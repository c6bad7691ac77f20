"""The patient's reminder preferences (/portal/profile/reminders/; the profile page links here) and where the
one-time link of a questionnaire message lands (/portal/questionnaires/link/<token>/)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from clinic import audit
from clinic.http import AuthedRequest
from clinic.models import Patient
from clinic.reminders.forms import ReminderPreferencesForm
from clinic.reminders.preferences import set_reminder_preferences
from integration import reminders as questionnaire_reminders
from portal.views import PortalFormView, PortalView

LINK_PROBLEMS = {
    "invalid": (
        404,
        "This link does not work",
        "The link is not complete, or it was sent to someone else. Your questionnaires are on your portal's home page.",
    ),
    "expired": (
        410,
        "This link has expired",
        "Questionnaire links work for a few days only. If your questionnaire is still waiting, you will find it on "
        "your portal's home page.",
    ),
    "used": (
        410,
        "This link was used already",
        "Each link works once. If your questionnaire is still waiting, you will find it on your portal's home page.",
    ),
    "answered": (
        200,
        "Thank you, this questionnaire is answered",
        "There is nothing more to fill in for now. We will let you know when the next one is due.",
    ),
}


class ReminderPreferencesView(PortalFormView[ReminderPreferencesForm]):
    request: AuthedRequest
    template_name = "portal/reminder_preferences.html"
    success_message = "Your reminder preferences are saved."

    def get_form(self, data: Any = None) -> ReminderPreferencesForm:
        return ReminderPreferencesForm(data, instance=self.get_patient(), for_patient=True)

    def show_form(self, form: ReminderPreferencesForm, *, status: int = 200) -> HttpResponse:
        patient = self.get_patient()
        audit.record("portal.patient.view", patient=patient, obj=patient, details={"page": "reminder_preferences"})
        return render(self.request, self.template_name, {"form": form, "patient": patient}, status=status)

    def act(self, form: ReminderPreferencesForm) -> Patient:
        return set_reminder_preferences(by=self.request.user, patient=self.get_patient(), **form.preferences())

    def success_url(self, result: Patient | None) -> str:
        return reverse("portal:reminder_preferences")


class QuestionnaireLinkView(PortalView):
    """A questionnaire message's link: the signed-in patient lands on the questionnaire; a link that expired, was
    used, or is not theirs gives a page saying so (a patient who is not signed in signs in first)."""

    request: AuthedRequest

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        result = questionnaire_reminders.use_link(by=self.request.user, token=token)
        if result.problem is None:
            return HttpResponseRedirect(reverse("portal:questionnaire", args=[result.instrument]))
        status, title, text = LINK_PROBLEMS[result.problem]
        context = {"title": title, "text": text, "problem": result.problem}
        return render(request, "portal/questionnaire_link.html", context, status=status)
