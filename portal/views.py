"""The patients' side. No models here: portal views call the same services as staff screens and the API.

The patient is always the signed-in user's own record (never an id from the request).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views import View
from django.views.generic import TemplateView

from clinic import audit, panels
from clinic.models import Patient
from clinic.scoping import get_patient_for


class PortalView(LoginRequiredMixin, View):
    """A portal page: only patient users; the patient comes from the session."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and not user.is_patient_user:
            raise Http404("The portal is for patients.")
        return super().dispatch(request, *args, **kwargs)

    def get_patient(self) -> Patient:
        if not hasattr(self, "_patient"):
            self._patient = get_patient_for(self.request.user, self.request.user.patient_id)  # type: ignore[union-attr]
        return self._patient


class PortalHomeView(PortalView, TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        patient = self.get_patient()
        audit.record("portal.patient.view", patient=patient, obj=patient, details={"page": "home"})
        context.update(
            patient=patient,
            care_team=patient.care_team.select_related("user").order_by("-is_primary"),
            sections=panels.render_context("portal", self.request, patient, clinical=True),
        )
        return context
