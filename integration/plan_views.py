"""Staff screens of the relapse-prevention plan (clinical protocol §7) and of a maintenance evaluation's resolution
(§5): the plan with every revision and what the last one changed, the plan's edit form (each save a new revision),
and a prescriber's outcome of an evaluation.

Like integration/views.py: one patient the requester may see and whose therapy records their role reads (else 404);
form posts are clinic.views.PatientFormView making one service call.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import TemplateView

from clinic.http import AuthedRequest
from clinic.models import User
from clinic.views import PatientFormView
from integration import services
from integration.forms import RelapsePlanForm, ResolveEvaluationForm
from integration.history import plan_changes
from integration.models import (
    PLAN_SECTION_LABELS,
    PLAN_SECTIONS,
    EvaluationOutcome,
    MaintenanceEvaluation,
    RelapsePlanRevision,
)
from integration.permissions import can_resolve_evaluations, can_revise_relapse_plan
from integration.views import IntegrationPage

PLAN_ORDER = (*PLAN_SECTIONS, "maintenance_criteria", "review_date")


def revision_values(revision: RelapsePlanRevision) -> dict[str, Any]:
    """The plan's parts of a revision as plain values (the review date as text), in the plan's order."""
    values = {name: getattr(revision, name) for name in PLAN_ORDER}
    values["review_date"] = revision.review_date.isoformat()
    return values


class RelapsePlanView(IntegrationPage, TemplateView):
    """The current plan, every revision with its author and time, and what the last revision changed."""

    request: AuthedRequest
    template_name = "staff/integration/plan.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        patient, user = self.get_patient(), self.request.user
        revisions = services.relapse_plan_revisions(user, patient)
        current = revisions[0] if revisions else None
        previous = revisions[1] if len(revisions) > 1 else None
        changes = (
            plan_changes(revision_values(previous) if previous else None, revision_values(current), PLAN_ORDER)
            if current
            else []
        )
        context.update(
            patient=patient,
            plan=current,
            sections=[(PLAN_SECTION_LABELS[name], getattr(current, name)) for name in PLAN_SECTIONS] if current else [],
            revisions=revisions,
            changes=[(PLAN_SECTION_LABELS[change.name], change) for change in changes],
            can_revise=can_revise_relapse_plan(user),
            site_tz=patient.site.time_zone,
            # The PDF is a stored file a task makes: the reports panel of the patient's page prepares and serves it.
            pdf_url=f"{reverse('staff:patient_detail', args=[patient.pk])}#reports-panel" if current else None,
        )
        return context


class RelapsePlanEditView(IntegrationPage, PatientFormView[RelapsePlanForm]):
    """The plan's form, starting from the current revision (or the protocol's defaults); each save is a new
    revision, written with the patient."""

    template_name = "staff/integration/plan_form.html"
    denied_message = "Only therapists and prescribers revise relapse-prevention plans."

    def allowed(self, user: User) -> bool:
        return can_revise_relapse_plan(user)

    def get_form(self, data: Any = None) -> RelapsePlanForm:
        if data is not None:
            return RelapsePlanForm(data)
        patient = self.get_patient()
        current = services.current_relapse_plan(self.request.user, patient)
        defaults = services.plan_defaults(patient)
        initial = revision_values(current) if current else defaults
        if current is not None and current.review_date < defaults["review_date"]:
            initial["review_date"] = defaults["review_date"]  # a review date passed: the next one from today
        self.current = current
        return RelapsePlanForm(initial=initial)

    def show_form(self, form: RelapsePlanForm, *, status: int = 200) -> HttpResponse:
        patient = self.get_patient()
        context = {"patient": patient, "form": form, "current": getattr(self, "current", None)}
        return render(self.request, self.template_name, context, status=status)

    def act(self, form: RelapsePlanForm) -> RelapsePlanRevision:
        return services.revise_relapse_plan(by=self.request.user, patient=self.get_patient(), data=form.plan_data())

    def success_text(self, result: RelapsePlanRevision) -> str:
        return f"Plan saved as revision {result.number}. The patient sees it in the portal."

    def success_url(self, result: RelapsePlanRevision) -> str:
        return reverse("staff:integration:plan", args=[self.get_patient().pk])


class ResolveEvaluationView(IntegrationPage, PatientFormView[ResolveEvaluationForm]):
    """A prescriber records the outcome of an open maintenance evaluation (from the patient's page)."""

    template_name = "staff/integration/evaluation_resolve.html"
    form_class = ResolveEvaluationForm
    denied_message = "Only a prescriber resolves a maintenance evaluation."

    def get_evaluation(self) -> MaintenanceEvaluation:
        if not hasattr(self, "_evaluation"):
            evaluation = services.get_evaluation_for(self.request.user, self.kwargs["evaluation_pk"])
            if evaluation.patient_id != self.get_patient().pk:
                raise Http404("No such evaluation.")
            self._evaluation = evaluation
        return self._evaluation

    def allowed(self, user: User) -> bool:
        self.get_evaluation()
        return can_resolve_evaluations(user)

    def show_form(self, form: ResolveEvaluationForm, *, status: int = 200) -> HttpResponse:
        patient = self.get_patient()
        context = {
            "patient": patient,
            "evaluation": self.get_evaluation(),
            "form": form,
            "site_tz": patient.site.time_zone,
        }
        return render(self.request, self.template_name, context, status=status)

    def act(self, form: ResolveEvaluationForm) -> MaintenanceEvaluation:
        return services.resolve_maintenance_evaluation(
            by=self.request.user, evaluation=self.get_evaluation(), **form.cleaned_data
        )

    def success_text(self, result: MaintenanceEvaluation) -> str:
        return f"Maintenance evaluation resolved: {EvaluationOutcome(result.outcome).label.lower()}."

    def success_url(self, result: MaintenanceEvaluation) -> str:
        return reverse("staff:patient_detail", args=[result.patient_id]) + "#integration"
