"""Staff screens of intake: the patient's intake page, the screening form, questionnaires entered in clinic,
witnessed consent, and the prescriber's override and medical clearance.

Every form post is a clinic.views.PatientFormView: the view asks the predicate of intake/permissions.py that the
service enforces (403 otherwise), parses the form and makes one service call; a field error comes back beside the
field (400, nothing typed is lost), a refusal as a message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from clinic import audit
from clinic.errors import DomainError, InvalidInput, NotAllowed
from clinic.form_posts import FormPostMixin, add_domain_error
from clinic.http import AuthedRequest
from clinic.models import User
from clinic.scoping import can_view_clinical, patients_visible_to
from clinic.services import current_protocol
from clinic.views import PatientFormView, PatientScopedView, StaffView
from intake import permissions, services
from intake.consent import CURRENT_CONSENT_VERSION, consent_text
from intake.forms import (
    ConsentForm,
    MedicalClearanceForm,
    MedicationFormSet,
    MedicationRows,
    OverrideForm,
    ResolveSafetyTaskForm,
    ScreeningForm,
    self_report_initial,
)
from intake.models import Assessment, Consent, HealthQuestionnaire, MedicalClearance, SafetyTask, Screening
from intake.questionnaires import QUESTIONNAIRES, QuestionnaireForm, questionnaire_or_404
from intake.rules import FindingKind
from intake.summary import finding_rows, intake_state, saved_message, worklist


class IntakeWorklistView(StaffView):
    """What intake needs from clinicians now, across their patients: open safety tasks and overrides to decide."""

    template_name = "staff/intake/worklist.html"

    def check_access(self, user: User) -> None:
        if not can_view_clinical(user):
            raise Http404("Not available for your role.")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = self.request.user
        audit.record("intake.worklist.view", details={"via": "staff"})
        context = worklist(patients_visible_to(user), timezone.now())
        return render(request, self.template_name, {**context, "can_override": permissions.can_override(user)})


def override_form(screening: Screening, data: Any = None) -> OverrideForm:
    """The override form of `screening`: one checkbox per relative finding, in words."""
    findings = [(row.code, f"{row.label}: {row.message}") for row in finding_rows(screening, FindingKind.RELATIVE)]
    min_chars = current_protocol(screening.patient.site).screening.override_reason_min_chars
    return OverrideForm(data, findings=findings, min_chars=min_chars)


class IntakePage(PatientScopedView):
    """The patient's intake page; the forms posted from it re-render it with their bound form when it has errors."""

    clinical = True
    template_name = "staff/intake/patient_intake.html"

    def page(self, *, status: int = 200, **forms: BaseForm) -> HttpResponse:
        patient = self.get_patient()
        user = self.request.user
        state = intake_state(patient, timezone.now())
        context: dict[str, Any] = {
            "patient": patient,
            **state,
            "can_screen": permissions.can_screen(user),
            "can_override": permissions.can_override(user),
            "can_record_clearance": permissions.can_record_medical_clearance(user),
            "can_enter": permissions.can_enter_assessments(user),
            "can_witness": permissions.can_witness_consent(user),
            "can_resolve": permissions.can_resolve_safety_tasks(user),
            "questionnaires": list(QUESTIONNAIRES.values()),
            "override_form": forms.get("override_form")
            or (override_form(state["latest"]["screening"]) if state["latest"] else None),
            "clearance_form": forms.get("clearance_form") or MedicalClearanceForm(),
            "safety_rows": [
                (task, self._resolve_form(task, forms.get("resolve_form"))) for task in state["safety_tasks"]
            ],
        }
        return render(self.request, self.template_name, context, status=status)

    @staticmethod
    def _resolve_form(task: SafetyTask, bound: BaseForm | None) -> BaseForm:
        prefix = f"task{task.pk}"
        return bound if bound is not None and bound.prefix == prefix else ResolveSafetyTaskForm(prefix=prefix)


class IntakeView(IntakePage):
    """The patient's intake page (each load is audited as a read of the record)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = self.get_patient()
        audit.record("intake.patient.view", patient=patient, obj=patient, details={"via": "staff"})
        return self.page()


class IntakeActionView[F: BaseForm](FormPostMixin[F], IntakePage):
    """A form posted from the intake page: on success back to the page with a message; a field error re-renders
    the page with the bound form (400); a role the service refuses gets 403; another refusal a message."""

    http_method_names = ["post"]
    form_key = ""

    def show_form(self, form: F, *, status: int = 200) -> HttpResponse:
        return self.page(status=status, **{self.form_key: form})

    def success_url(self, result: Any) -> str:
        return reverse("staff:intake", args=[self.get_patient().pk])

    def refused(self, form: F, exc: DomainError) -> HttpResponseBase:
        if isinstance(exc, InvalidInput):
            return super().refused(form, exc)
        if isinstance(exc, NotAllowed):
            raise PermissionDenied(exc.message)
        return self.back_with_error(exc.message)


class OverrideView(IntakeActionView[OverrideForm]):
    form_class = OverrideForm
    form_key = "override_form"
    success_message = "Screening overridden; the reason is kept with it."
    denied_message = "Only a prescriber may override a screening."

    def check_access(self, user: User) -> None:
        self.screening = get_object_or_404(Screening, pk=self.kwargs["screening_pk"], patient=self.get_patient())
        super().check_access(user)

    def allowed(self, user: User) -> bool:
        return permissions.can_override(user)

    def get_form(self, data: Any = None) -> OverrideForm:
        return override_form(self.screening, data)

    def post(self, request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # A screening no one may override answers why, whatever the form holds (the service refuses it too).
        refusal = services.override_refusal(self.screening, timezone.now())
        if refusal is not None:
            return self.refused(self.get_form(request.POST), refusal)
        return super().post(request, *args, **kwargs)

    def act(self, form: OverrideForm) -> Screening:
        data = form.cleaned_data
        return services.override_screening(
            self.screening, self.request.user, data["reason"], addressed=data["addressed_findings"]
        )


class MedicalClearanceView(IntakeActionView[MedicalClearanceForm]):
    form_class = MedicalClearanceForm
    form_key = "clearance_form"
    success_message = "Medical clearance recorded."
    denied_message = "Only a prescriber may record a medical clearance."

    def allowed(self, user: User) -> bool:
        return permissions.can_record_medical_clearance(user)

    def act(self, form: MedicalClearanceForm) -> MedicalClearance:
        note = form.cleaned_data["note"]
        return services.record_medical_clearance(by=self.request.user, patient=self.get_patient(), note=note)


class ResolveSafetyTaskView(IntakeActionView[ResolveSafetyTaskForm]):
    form_key = "resolve_form"
    success_message = "Safety task resolved."
    denied_message = "Your role may not resolve safety tasks."

    def check_access(self, user: User) -> None:
        self.task = get_object_or_404(SafetyTask, pk=self.kwargs["task_pk"], patient=self.get_patient())
        super().check_access(user)

    def allowed(self, user: User) -> bool:
        return permissions.can_resolve_safety_tasks(user)

    def get_form(self, data: Any = None) -> ResolveSafetyTaskForm:
        return ResolveSafetyTaskForm(data, prefix=f"task{self.task.pk}")

    def act(self, form: ResolveSafetyTaskForm) -> SafetyTask:
        return services.resolve_safety_task(self.task, by=self.request.user, note=form.cleaned_data["note"])


class ScreeningCreateView(PatientFormView[ScreeningForm]):
    """The screening form: a few minutes for a nurse. Height and weight, and the patient's own account of their
    history and medicines (portal), prefill it; the nurse verifies everything before saving."""

    clinical = True
    template_name = "staff/intake/screening_form.html"
    denied_message = "Only a nurse or a prescriber may screen a patient."

    def allowed(self, user: User) -> bool:
        return permissions.can_screen(user)

    def get_form(self, data: Any = None) -> ScreeningForm:
        self.formset = MedicationFormSet(data, prefix="med")
        return ScreeningForm(data)

    def form_is_valid(self, form: ScreeningForm) -> bool:
        return form.is_valid() and self.formset.is_valid()

    def show_form(self, form: ScreeningForm, *, status: int = 200) -> HttpResponse:
        patient = self.get_patient()
        context = {
            "patient": patient,
            "form": form,
            "formset": self.formset,
            "self_report": HealthQuestionnaire.objects.filter(patient=patient).first(),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = self.get_patient()
        initial: dict[str, Any] = {"height_cm": patient.height_cm, "weight_kg": patient.weight_kg}
        rows: list[dict[str, Any]] = []
        report = HealthQuestionnaire.objects.filter(patient=patient).first()
        audit.record("intake.screeningform.view", patient=patient, obj=report, details={"via": "staff"})
        if report is not None:
            initial.update(self_report_initial(report))
            rows = [{"name": m["name"], "category": m["category"]} for m in report.medications]
        self.formset = MedicationFormSet(initial=rows, prefix="med")
        return self.show_form(ScreeningForm(initial=initial))

    def act(self, form: ScreeningForm) -> Screening:
        self.rows = MedicationRows(self.formset)
        facts = form.facts(self.rows.rows())
        return services.screen_patient(by=self.request.user, patient=self.get_patient(), facts=facts)

    def refused(self, form: ScreeningForm, exc: DomainError) -> HttpResponseBase:
        add_domain_error(form, exc, rows=self.rows)
        return self.form_invalid(form)

    def succeeded(self, result: Screening) -> HttpResponseBase:
        messages.add_message(self.request, *saved_message(result.decision))  # override required is no success
        return HttpResponseRedirect(self.success_url(result))

    def success_url(self, result: Screening) -> str:
        return reverse("staff:intake", args=[result.patient_id])


class AssessmentEntryView(PatientFormView[QuestionnaireForm]):
    """A questionnaire the patient answers in clinic, entered by a clinician."""

    clinical = True
    template_name = "staff/intake/questionnaire_form.html"
    denied_message = "Your role may not enter questionnaires."

    def check_access(self, user: User) -> None:
        self.questionnaire = questionnaire_or_404(self.kwargs["instrument"])
        super().check_access(user)

    def allowed(self, user: User) -> bool:
        return permissions.can_enter_assessments(user)

    def get_form(self, data: Any = None) -> QuestionnaireForm:
        return QuestionnaireForm(data, questionnaire=self.questionnaire)

    def get(self, request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """The empty form, with the patient's name: an audited read of their intake."""
        response = super().get(request, *args, **kwargs)
        patient = self.get_patient()
        audit.record(
            "intake.patient.view", patient=patient, obj=patient, details={"via": "staff", "page": "questionnaire"}
        )
        return response

    def show_form(self, form: QuestionnaireForm, *, status: int = 200) -> HttpResponse:
        context = {"patient": self.get_patient(), "form": form, "questionnaire": self.questionnaire}
        return render(self.request, self.template_name, context, status=status)

    def act(self, form: QuestionnaireForm) -> Assessment:
        instrument, answers = self.questionnaire.instrument, form.answers()
        return services.record_assessment(
            by=self.request.user, patient=self.get_patient(), instrument=instrument, answers=answers
        )

    def succeeded(self, result: Assessment) -> HttpResponseBase:
        if hasattr(result, "safety_task"):
            messages.error(  # a safety alert is red, never a mere warning
                self.request,
                f"Safety alert: {result.safety_task.reason}. The care team has been notified and a safety task "
                "is open below.",
            )
        return super().succeeded(result)

    def success_text(self, result: Assessment) -> str:
        return f"{result.instrument_label} saved: {result.score_display}."

    def success_url(self, result: Assessment) -> str:
        return reverse("staff:intake", args=[result.patient_id])


class ConsentWitnessView(PatientFormView[ConsentForm]):
    """The consent document read with the patient in clinic; the patient types their name, the clinician witnesses."""

    clinical = True
    form_class = ConsentForm
    template_name = "staff/intake/consent_form.html"
    success_message = "Consent signed and witnessed."
    denied_message = "Your role may not witness consent."

    def allowed(self, user: User) -> bool:
        return permissions.can_witness_consent(user)

    def get(self, request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """The empty form, with the patient's name: an audited read of their intake."""
        response = super().get(request, *args, **kwargs)
        patient = self.get_patient()
        audit.record("intake.patient.view", patient=patient, obj=patient, details={"via": "staff", "page": "consent"})
        return response

    def show_form(self, form: ConsentForm, *, status: int = 200) -> HttpResponse:
        context = {
            "patient": self.get_patient(),
            "form": form,
            "consent_text": mark_safe(consent_text(CURRENT_CONSENT_VERSION)),  # noqa: S308 - our own template
            "consent_version": CURRENT_CONSENT_VERSION,
        }
        return render(self.request, self.template_name, context, status=status)

    def act(self, form: ConsentForm) -> Consent:
        return services.record_consent(by=self.request.user, patient=self.get_patient(), **form.cleaned_data)

    def success_url(self, result: Consent) -> str:
        return reverse("staff:intake", args=[result.patient_id])
