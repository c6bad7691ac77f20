"""The patients' side of the sessions app: their upcoming sessions, an integration session's page, and calendar
files (.ics).

The patient is the signed-in user's own record; sessions are read through sessions.queries, which scopes them to
it, so another patient's session answers 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.generic import TemplateView

from clinic import audit
from clinic.http import AuthedRequest
from portal.views import PortalView
from sessions import calendar, queries


class MySessionsView(PortalView, TemplateView):
    request: AuthedRequest
    template_name = "portal/sessions/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        patient = self.get_patient()
        audit.record("portal.patient.view", patient=patient, obj=patient, details={"page": "sessions"})
        context.update(
            patient=patient, upcoming=queries.upcoming_for_patient(patient, limit=50), site_tz=patient.site.time_zone
        )
        return context


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
