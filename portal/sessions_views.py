"""The patients' side of the sessions app: their upcoming sessions and calendar files (.ics).

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


class AppointmentCalendarView(PortalView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return calendar.download(queries.get_appointment_for(request.user, pk), "patient")
