"""The patients' side. No models here: portal views call the same services as staff screens and the API.

The patient is always the signed-in user's own record (never an id from the request).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import TemplateView

from clinic import audit, panels
from clinic.errors import InvalidInput
from clinic.models import Patient
from clinic.scoping import get_patient_for
from intake import services as intake_services
from intake.consent import CURRENT_CONSENT_VERSION, consent_text
from intake.forms import (
    ConsentForm,
    HealthQuestionnaireForm,
    PatientMedicationFormSet,
    apply_errors,
    medication_rows,
    self_report_initial,
)
from intake.models import Assessment, Consent, HealthQuestionnaire
from intake.questionnaires import QUESTIONNAIRES, QuestionnaireForm, questionnaire_or_404


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


# --- Intake: questionnaires, health and medicines, consent (issue 3) ---------------------------------------------


class QuestionnaireView(PortalView):
    """The patient fills a questionnaire (PHQ-9, GAD-7, C-SSRS screener) for their own record."""

    template_name = "portal/questionnaire.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.questionnaire = questionnaire_or_404(kwargs["instrument"])
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form: QuestionnaireForm, *, status: int = 200) -> HttpResponse:
        context = {"form": form, "questionnaire": self.questionnaire, "patient": self.get_patient()}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_form(QuestionnaireForm(questionnaire=self.questionnaire))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = QuestionnaireForm(request.POST, questionnaire=self.questionnaire)
        assessment = form.save(by=request.user, patient=self.get_patient())  # type: ignore[arg-type]
        if assessment is None:
            return self.render_form(form, status=400)
        return HttpResponseRedirect(reverse("portal:questionnaire_done", args=[assessment.pk]))


class QuestionnaireDoneView(PortalView, TemplateView):
    """After a questionnaire: thanks, and crisis resources at once when an answer signalled risk."""

    template_name = "portal/questionnaire_done.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        patient = self.get_patient()
        assessment = get_object_or_404(Assessment, pk=kwargs["assessment_pk"], patient=patient)
        audit.record("portal.assessment.view", patient=patient, obj=assessment, details={"page": "result"})
        context.update(
            patient=patient,
            assessment=assessment,
            risk=intake_services.raises_safety_alert(assessment),
            show_score=assessment.total is not None,
            next_questionnaires=[q for i, q in QUESTIONNAIRES.items() if i.value != assessment.instrument],
        )
        return context


class HealthView(PortalView):
    """The patient's own account of their history and medicines, in plain words."""

    template_name = "portal/health.html"

    def render_form(self, form: HealthQuestionnaireForm, formset: Any, *, status: int = 200) -> HttpResponse:
        context = {"form": form, "formset": formset, "patient": self.get_patient()}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = self.get_patient()
        last = HealthQuestionnaire.objects.filter(patient=patient).first()
        audit.record("portal.healthquestionnaire.view", patient=patient, obj=last, details={"page": "health"})
        initial: dict[str, Any] = {}
        rows: list[dict[str, Any]] = []
        if last is not None:
            initial = {**self_report_initial(last), "notes": last.notes}
            rows = list(last.medications)
        return self.render_form(
            HealthQuestionnaireForm(initial=initial), PatientMedicationFormSet(initial=rows, prefix="med")
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = HealthQuestionnaireForm(request.POST)
        formset = PatientMedicationFormSet(request.POST, prefix="med")
        if form.is_valid() and formset.is_valid():
            data = {
                "history": form.cleaned_data["history"],
                "medications": medication_rows(formset),
                "substance_use_disorder": form.substance_use(),
                "pregnant_or_breastfeeding": form.cleaned_data["pregnant_or_breastfeeding"],
                "notes": form.cleaned_data["notes"],
            }
            try:
                intake_services.record_health_questionnaire(by=request.user, patient=self.get_patient(), data=data)  # type: ignore[arg-type]
            except InvalidInput as exc:
                apply_errors(exc, form, formset)
            else:
                messages.success(request, "Thank you. Your care team will go through these answers with you.")
                return HttpResponseRedirect(reverse("portal:home"))
        return self.render_form(form, formset, status=400)


class ConsentView(PortalView):
    """The consent document, signed by typing one's full name. The text's SHA-256 is kept with the signature."""

    template_name = "portal/consent.html"

    def render_form(self, form: ConsentForm, *, status: int = 200) -> HttpResponse:
        patient = self.get_patient()
        context = {
            "form": form,
            "patient": patient,
            "consent_text": mark_safe(consent_text(CURRENT_CONSENT_VERSION)),  # noqa: S308 - our own template
            "consent_version": CURRENT_CONSENT_VERSION,
            "signed": Consent.objects.filter(patient=patient, document_version=CURRENT_CONSENT_VERSION).first(),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        audit.record("portal.consent.view", patient=self.get_patient(), details={"version": CURRENT_CONSENT_VERSION})
        return self.render_form(ConsentForm())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ConsentForm(request.POST)
        if form.is_valid():
            try:
                intake_services.record_consent(by=request.user, patient=self.get_patient(), **form.cleaned_data)  # type: ignore[arg-type]
            except InvalidInput as exc:
                apply_errors(exc, form)
            else:
                messages.success(request, "Thank you. Your consent is signed; your care team can see it.")
                return HttpResponseRedirect(reverse("portal:home"))
        return self.render_form(form, status=400)
