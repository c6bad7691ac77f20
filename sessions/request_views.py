"""The front desk's side of patients' requests to move or cancel a session (sessions/services/requests.py): the queue
on the staff home (a clinic.panels section) and one page per request, where the request is confirmed (a move books
the new time through the booking services) or declined with a note the patient reads."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from clinic import audit, panels
from clinic.domain import site_zone
from clinic.models import User
from clinic.scoping import is_active_user, note_refused
from clinic.views import StaffFormView
from sessions.models import AppointmentRequest, DosingSession, RequestKind
from sessions.services import requests as request_services

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "Confirm"), ("decline", "Decline")], widget=forms.HiddenInput)
    new_start = forms.DateTimeField(
        label="New day and time",
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text="In the clinic's time zone. The same chair, route and clinician as before.",
    )
    note = forms.CharField(
        label="Note for the patient",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when you decline: say why and what they can do instead.",
    )

    def field_for_error(self, key: str) -> str | None:
        """The booking services name the new time `start`; this form calls it `new_start`."""
        return "new_start" if key == "start" else key


def home_queue(request: HttpRequest, _patient: None) -> dict[str, Any] | None:
    """The staff home's queue of open requests (the soonest session first), for whoever books sessions."""
    user = request.user
    if not is_active_user(user):
        return None
    rows = request_services.open_queue(user)
    if not rows:
        return None
    audit.record(
        "sessions.appointmentrequest.list",
        details={"shown": len(rows), "patients": sorted({r.patient_id for r in rows})},
    )
    return {"requests": rows}


def register() -> None:
    panels.register(
        panels.Panel(
            "appointment_requests", "staff_home", "staff/sessions/home_requests.html", home_queue, 10, clinical=False
        )
    )


class AppointmentRequestView(StaffFormView[DecisionForm]):
    """One request: what the patient asked, and the front desk's answer."""

    template_name = "staff/sessions/request.html"

    def check_access(self, user: User) -> None:
        super().check_access(user)
        found = request_services.requests_visible_to(user).filter(pk=self.kwargs["pk"]).first()
        if found is None:
            note_refused(AppointmentRequest, self.kwargs["pk"])  # a request about a patient they may not see
            raise Http404("No such request.")
        self.appointment_request = found

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        found = AppointmentRequest.objects.select_related("patient__site").filter(pk=kwargs["pk"]).first()
        if found is None:  # the sign-in check first, then check_access's 404: no answer tells a stranger what exists
            return super().dispatch(request, *args, **kwargs)
        with timezone.override(site_zone(found.patient.site)):
            return super().dispatch(request, *args, **kwargs)

    def get_form(self, data: Any = None) -> DecisionForm:
        return DecisionForm(data, initial={"decision": "confirm"})

    def show_form(self, form: DecisionForm, *, status: int = 200) -> HttpResponse:
        item = self.appointment_request
        audit.record("sessions.appointmentrequest.view", patient=item.patient_id, obj=item)
        context = {
            "item": item,
            "subject": item.subject,
            "is_dosing": isinstance(item.subject, DosingSession),
            "site": item.patient.site,
            "form": form,
            "may_decide": request_services.may_decide(self.request.user, item),
            "reschedule": item.kind == RequestKind.RESCHEDULE,
        }
        return render(self.request, self.template_name, context, status=status)

    def act(self, form: DecisionForm) -> AppointmentRequest:
        data, user = form.cleaned_data, self.request.user
        if data["decision"] == "decline":
            return request_services.decline_request(by=user, request=self.appointment_request, note=data["note"])
        return request_services.confirm_request(
            by=user, request=self.appointment_request, new_start=data["new_start"], note=data["note"]
        )

    def success_text(self, result: AppointmentRequest) -> str:
        name = result.patient.full_name
        if result.status == "declined":
            return f"Request declined. {name} will see your note in the portal."
        if result.kind == RequestKind.CANCEL:
            return f"Cancelled, as {name} asked."
        return f"Moved, as {name} asked. The new session is on the schedule."

    def success_url(self, result: AppointmentRequest) -> str:
        return reverse("staff:home")
