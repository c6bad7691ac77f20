"""The patients' side of the sessions app: their upcoming sessions, an integration session's page, and calendar
files (.ics).

The patient is the signed-in user's own record; sessions are read through sessions.queries, which scopes them to
it, so another patient's session answers 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from clinic import audit
from clinic.domain import site_zone
from clinic.http import AuthedRequest
from clinic.models import User
from clinic.protocol import Route
from clinic.services import current_protocol
from clinic.times import site_datetime
from portal.forms import ChangeRequestForm, PreVisitCheckInForm
from portal.views import PortalFormView, PortalView
from sessions import calendar, queries
from sessions.models import AppointmentRequest, DosingSession, IntegrationAppointment
from sessions.preparation import preparation_for
from sessions.services import checkins
from sessions.services import requests as request_services


class MySessionsView(PortalView, TemplateView):
    """My appointments: the upcoming ones (each with a way to ask to move or cancel it), my requests and what the
    clinic answered, and the past ones."""

    request: AuthedRequest
    template_name = "portal/sessions/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        patient = self.get_patient()
        audit.record("portal.patient.view", patient=patient, obj=patient, details={"page": "sessions"})
        now = timezone.now()
        upcoming = []
        open_requests = request_services.open_requests_of(patient)
        for item in queries.upcoming_for_patient(patient, limit=50):
            is_dosing = isinstance(item, DosingSession)
            upcoming.append(
                {
                    "item": item,
                    "is_dosing": is_dosing,
                    "pending": open_requests.get((is_dosing, item.pk)),
                    "may_request": request_services.may_request(item, now),
                    "change_url": reverse(
                        "portal:session_change" if is_dosing else "portal:appointment_change", args=[item.pk]
                    ),
                }
            )
        asked = AppointmentRequest.objects.filter(patient=patient).select_related(
            "dosing_session", "integration_appointment", "new_dosing_session", "new_integration_appointment"
        )[:10]
        context.update(
            patient=patient,
            site=patient.site,
            upcoming=upcoming,
            requests=[{"item": r, "text": _outcome(r, patient)} for r in asked],
            past=[
                {"item": item, "is_dosing": isinstance(item, DosingSession)}
                for item in queries.past_for_patient(patient)
            ],
        )
        return context


def _outcome(request: AppointmentRequest, patient: Any) -> str:
    new = request.new_dosing_session or request.new_integration_appointment
    return request_services.outcome_text(request, site_datetime(new.start, patient.site) if new else "")


class ChangeRequestView(PortalFormView[ChangeRequestForm]):
    """Ask the clinic to move or cancel one of my sessions; inside the notice period the page warns about the policy."""

    template_name = "portal/sessions/change.html"
    dosing = True
    success_message = "Your request is sent. The clinic will answer here, usually within one working day."

    def subject(self) -> DosingSession | IntegrationAppointment:
        if not hasattr(self, "_subject"):
            pk = self.kwargs["pk"]
            user = self.request.user
            self._subject = queries.get_session_for(user, pk) if self.dosing else queries.get_appointment_for(user, pk)
        return self._subject

    def check_access(self, user: User) -> None:
        self.subject()

    def get_form(self, data: Any = None) -> ChangeRequestForm:
        return ChangeRequestForm(data)

    def show_form(self, form: ChangeRequestForm, *, status: int = 200) -> HttpResponse:
        subject, patient = self.subject(), self.get_patient()
        audit.record("portal.patient.view", patient=patient, obj=subject, details={"page": "change_request"})
        protocol = current_protocol(patient.site)
        context = {
            "form": form,
            "subject": subject,
            "is_dosing": self.dosing,
            "site": patient.site,
            "patient": patient,
            "pending": request_services.open_request_for(subject),
            "may_request": request_services.may_request(subject),
            "inside_notice": request_services.is_inside_notice(subject),
            "notice_hours": protocol.portal.appointment_notice_hours,
        }
        return render(self.request, self.template_name, context, status=status)

    def act(self, form: ChangeRequestForm) -> AppointmentRequest:
        data = form.cleaned_data
        return request_services.request_change(
            by=self.request.user,
            subject=self.subject(),
            kind=data["kind"],
            reason=data["reason"],
            preferred_times=data["preferred_times"],
        )

    def success_url(self, result: AppointmentRequest) -> str:
        return reverse("portal:sessions")


class AppointmentChangeRequestView(ChangeRequestView):
    dosing = False


class SessionCalendarView(PortalView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return calendar.download(queries.get_session_for(request.user, pk), "patient")


class AppointmentView(PortalView, TemplateView):
    """One of my integration sessions as a page, with its calendar file as a separate link."""

    request: AuthedRequest
    template_name = "portal/sessions/appointment.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        appointment = queries.get_appointment_for(self.request.user, self.kwargs["pk"])
        patient = self.get_patient()
        audit.record("portal.patient.view", patient=patient, obj=appointment, details={"page": "appointment"})
        context.update(appointment=appointment, patient=patient, site_tz=patient.site.time_zone)
        return context


class AppointmentCalendarView(PortalView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return calendar.download(queries.get_appointment_for(request.user, pk), "patient")


class PreVisitCheckInView(PortalFormView[PreVisitCheckInForm]):
    """On the day of a treatment: the patient's own check-in (sessions.services.checkins), in the site's time zone;
    the nurse's check-in form starts from it."""

    template_name = "portal/sessions/check_in.html"
    success_message = "Thank you. You are checked in. The nurse will go over your answers with you when you arrive."

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated or not request.user.is_patient_user:
            return super().dispatch(request, *args, **kwargs)
        self.session = queries.get_session_for(request.user, kwargs["pk"])
        with timezone.override(site_zone(self.session.chair.site)):
            return super().dispatch(request, *args, **kwargs)

    def get_form(self, data: Any = None) -> PreVisitCheckInForm:
        record = checkins.pre_visit_of(self.session)
        initial: dict[str, Any] = {}
        if record is not None:
            initial = {
                "last_meal_at": timezone.localtime(record.last_meal_at),
                "last_clear_drink_at": timezone.localtime(record.last_clear_drink_at),
                "escort_name": record.escort_name,
                "escort_phone": record.escort_phone,
                "medication_changed": "yes" if record.medication_changed else "no",
                "medication_changes": record.medication_changes,
            }
        return PreVisitCheckInForm(data, initial=initial)

    def show_form(self, form: PreVisitCheckInForm, *, status: int = 200) -> HttpResponse:
        session, patient = self.session, self.get_patient()
        site = session.chair.site
        audit.record("portal.patient.view", patient=patient, obj=session, details={"page": "check_in"})
        context = {
            "form": form,
            "session": session,
            "site": site,
            "patient": patient,
            "open": checkins.pre_visit_open(session),
            "done": checkins.pre_visit_of(session),
            "preparation": preparation_for(session.start, Route(session.route), current_protocol(site)),
        }
        return render(self.request, self.template_name, context, status=status)

    def act(self, form: PreVisitCheckInForm) -> Any:
        data = form.cleaned_data
        answers = checkins.PreVisitAnswers(
            last_meal_at=data["last_meal_at"],
            last_clear_drink_at=data["last_clear_drink_at"],
            escort_name=data["escort_name"],
            escort_phone=data["escort_phone"],
            medication_changed=data["medication_changed"],
            medication_changes=data["medication_changes"],
        )
        return checkins.record_pre_visit_check_in(by=self.request.user, session=self.session, answers=answers)

    def success_url(self, result: Any) -> str:
        return reverse("portal:home")
