"""The patients' side. No models here: portal views call the same services as staff screens and the API.

The patient is always the signed-in user's own record (never an id from the request).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView

from clinic import audit, panels
from clinic.errors import DomainError
from clinic.form_posts import FormPostMixin, GuardedView, add_domain_error
from clinic.http import AuthedRequest
from clinic.models import Patient, User
from clinic.scoping import get_patient_for
from clinic.services import current_protocol
from intake import services as intake_services
from intake.consent import CURRENT_CONSENT_VERSION, consent_text, preparation_note
from intake.forms import (
    ConsentForm,
    HealthQuestionnaireForm,
    MedicationRows,
    PatientMedicationFormSet,
    self_report_initial,
)
from intake.models import Assessment, Consent, HealthQuestionnaire
from intake.panels import portal_todo
from intake.questionnaires import QuestionnaireForm, answered_so_far, initial_from, questionnaire_or_404


class PortalView(LoginRequiredMixin, GuardedView):
    """A portal page: only patient users; the patient comes from the session."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return self.handle_no_permission()
        if not user.is_patient_user:
            raise Http404("The portal is for patients.")
        self.check_access(user)
        return super().dispatch(request, *args, **kwargs)

    def get_patient(self) -> Patient:
        if not hasattr(self, "_patient"):
            self._patient = get_patient_for(self.request.user, self.request.user.patient_id)
        return self._patient


class PortalFormView[F: BaseForm](FormPostMixin[F], PortalView):
    """A portal page that posts a form to one service, as staff pages do (clinic.form_posts)."""


class PortalHomeView(PortalView, TemplateView):
    request: AuthedRequest
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


class QuestionnaireView(PortalFormView[QuestionnaireForm]):
    """The patient fills a questionnaire (PHQ-9, GAD-7, C-SSRS screener) for their own record, on a phone: one page
    of large answer buttons, saved as they answer (QuestionnaireDraftView) and restored when they come back."""

    template_name = "portal/questionnaire.html"

    def check_access(self, user: User) -> None:
        self.questionnaire = questionnaire_or_404(self.kwargs["instrument"])

    def get_form(self, data: Any = None) -> QuestionnaireForm:
        return QuestionnaireForm(data, questionnaire=self.questionnaire)

    def show_form(self, form: QuestionnaireForm, *, status: int = 200, risk: bool = False) -> HttpResponse:
        context = {
            "form": form,
            "questionnaire": self.questionnaire,
            "patient": self.get_patient(),
            "risk": risk,
            "draft_url": reverse("portal:questionnaire_draft", args=[self.questionnaire.instrument.value]),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """The form, with the answers of a questionnaire left unfinished ticked again."""
        instrument = self.questionnaire.instrument.value
        draft = intake_services.questionnaire_draft(by=request.user, patient=self.get_patient(), instrument=instrument)
        if draft is None:
            return self.show_form(self.get_form())
        form = QuestionnaireForm(
            initial=initial_from(self.questionnaire, draft.answers), questionnaire=self.questionnaire
        )
        return self.show_form(form, risk=bool(draft.risk_flags))

    def act(self, form: QuestionnaireForm) -> Assessment:
        instrument, answers = self.questionnaire.instrument, form.answers()
        return intake_services.record_assessment(
            by=self.request.user, patient=self.get_patient(), instrument=instrument, answers=answers
        )

    def success_url(self, result: Assessment) -> str:
        return reverse("portal:questionnaire_done", args=[result.pk])


class QuestionnaireDraftView(PortalView):
    """Saves the answers given so far. The page posts here on every answer (htmx) and gets back a line saying they
    are saved, with the crisis resources as soon as a risk answer appears; "Save and finish later" posts here too
    and returns to the home page (without a script)."""

    http_method_names = ["post"]
    request: AuthedRequest

    def check_access(self, user: User) -> None:
        self.questionnaire = questionnaire_or_404(self.kwargs["instrument"])

    def post(self, request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        answered = answered_so_far(self.questionnaire, request.POST)
        saved = intake_services.save_questionnaire_draft(
            by=request.user,
            patient=self.get_patient(),
            instrument=self.questionnaire.instrument.value,
            answered=answered,
        )
        if request.headers.get("HX-Request") != "true":
            messages.success(request, "Your answers are saved. You can finish the questionnaire later.")
            return redirect("portal:home")
        context = {"risk": saved.risk, "answered": len(answered), "questions": len(self.questionnaire.items)}
        return render(request, "portal/_questionnaire_saved.html", context)


class QuestionnaireDoneView(PortalView, TemplateView):
    request: AuthedRequest
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
            todo=portal_todo(patient, timezone.now()),
        )
        return context


class HealthView(PortalFormView[HealthQuestionnaireForm]):
    """The patient's own account of their history and medicines, in plain words."""

    template_name = "portal/health.html"
    success_message = "Thank you. Your care team will go through these answers with you."

    def get_form(self, data: Any = None) -> HealthQuestionnaireForm:
        self.formset = PatientMedicationFormSet(data, prefix="med")
        return HealthQuestionnaireForm(data)

    def form_is_valid(self, form: HealthQuestionnaireForm) -> bool:
        return form.is_valid() and self.formset.is_valid()

    def show_form(self, form: HealthQuestionnaireForm, *, status: int = 200) -> HttpResponse:
        context = {"form": form, "formset": self.formset, "patient": self.get_patient()}
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
        self.formset = PatientMedicationFormSet(initial=rows, prefix="med")
        return self.show_form(HealthQuestionnaireForm(initial=initial))

    def act(self, form: HealthQuestionnaireForm) -> HealthQuestionnaire:
        self.rows = MedicationRows(self.formset)
        data = {
            "history": form.cleaned_data["history"],
            "medications": self.rows.rows(),
            "substance_use_disorder": form.substance_use(),
            "pregnant_or_breastfeeding": form.cleaned_data["pregnant_or_breastfeeding"],
            "notes": form.cleaned_data["notes"],
        }
        return intake_services.record_health_questionnaire(by=self.request.user, patient=self.get_patient(), data=data)

    def refused(self, form: HealthQuestionnaireForm, exc: DomainError) -> HttpResponseBase:
        add_domain_error(form, exc, rows=self.rows)
        return self.form_invalid(form)

    def success_url(self, result: HealthQuestionnaire) -> str:
        return reverse("portal:home")


class ConsentView(PortalFormView[ConsentForm]):
    """The consent document, signed by typing one's full name. The text's SHA-256 is kept with the signature."""

    template_name = "portal/consent.html"
    form_class = ConsentForm
    success_message = "Thank you. Your consent is signed; your care team can see it."

    def show_form(self, form: ConsentForm, *, status: int = 200) -> HttpResponse:
        patient = self.get_patient()
        context = {
            "form": form,
            "patient": patient,
            "consent_text": mark_safe(consent_text(CURRENT_CONSENT_VERSION)),  # noqa: S308 - our own template
            "consent_version": CURRENT_CONSENT_VERSION,
            "preparation_note": preparation_note(CURRENT_CONSENT_VERSION, current_protocol(patient.site)),
            "signed": Consent.objects.filter(patient=patient, document_version=CURRENT_CONSENT_VERSION).first(),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        audit.record("portal.consent.view", patient=self.get_patient(), details={"version": CURRENT_CONSENT_VERSION})
        return self.show_form(ConsentForm())

    def act(self, form: ConsentForm) -> Consent:
        return intake_services.record_consent(by=self.request.user, patient=self.get_patient(), **form.cleaned_data)

    def success_url(self, result: Consent) -> str:
        return reverse("portal:home")
