"""The patients' side of integration therapy: their relapse-prevention plan in plain, large type with crisis
resources, and their progress chart (clinical protocol §5 and §7). Included by portal/urls.py.

The patient is the signed-in user's own record (portal.views.PortalView); the plan and the outcomes are read through
integration.services, which check that the reader is the patient and audit the read.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView

from clinic.http import AuthedRequest
from integration import services
from integration.charts import PATIENT_WORDING
from integration.models import PATIENT_PLAN_HEADINGS
from portal.reports_views import document_url
from portal.views import PortalView


class RelapsePlanView(PortalView, TemplateView):
    request: AuthedRequest
    template_name = "portal/integration/plan.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        patient = self.get_patient()
        plan = services.current_relapse_plan(self.request.user, patient)
        context.update(
            patient=patient,
            plan=plan,
            sections=[(name, heading, getattr(plan, name)) for name, heading in PATIENT_PLAN_HEADINGS] if plan else [],
            care_team=patient.care_team.select_related("user").order_by("-is_primary"),
            # The PDF is a stored file a task makes: the documents page prepares and serves it.
            pdf_url=document_url("relapse_plan") if plan else None,
        )
        return context


class ProgressView(PortalView, TemplateView):
    request: AuthedRequest
    template_name = "portal/integration/progress.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        patient = self.get_patient()
        view = services.outcome_summary(self.request.user, patient, chart=PATIENT_WORDING)
        chart = view.chart
        scores = chart.scores if chart else {}
        context.update(
            patient=patient,
            summary=view.summary,
            chart_svg=mark_safe(chart.svg) if chart else "",  # noqa: S308 - clinic.charts escapes every text
            phq9=list(reversed(scores.get("phq9", []))),
            gad7=list(reversed(scores.get("gad7", []))),
            site_tz=patient.site.time_zone,
        )
        return context


urlpatterns = [
    path("my-plan/", RelapsePlanView.as_view(), name="relapse_plan"),
    path("my-progress/", ProgressView.as_view(), name="progress"),
]
