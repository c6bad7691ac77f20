"""Staff screens of intake: the patient's intake page, the screening form, questionnaires entered in clinic,
witnessed consent, and the prescriber's override and medical clearance. Views parse forms and call the services;
a domain error becomes a form error (400, nothing typed is lost), a 403, or a message."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from clinic import audit
from clinic.errors import Conflict, DomainError, InvalidInput, NotAllowed
from clinic.scoping import can_view_clinical, patients_visible_to
from clinic.views import PatientScopedView, StaffView
from intake import permissions, services
from intake.consent import CURRENT_CONSENT_VERSION, consent_text
from intake.forms import (
    ConsentForm,
    MedicalClearanceForm,
    MedicationFormSet,
    OverrideForm,
    ResolveSafetyTaskForm,
    ScreeningForm,
    apply_errors,
    medication_rows,
    self_report_initial,
)
from intake.models import HealthQuestionnaire, SafetyTask, Screening
from intake.questionnaires import QUESTIONNAIRES, QuestionnaireForm, questionnaire_or_404
from intake.summary import intake_state, worklist


def _deny_unless(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


class IntakeWorklistView(StaffView):
    """What intake needs from clinicians now, across their patients: open safety tasks and overrides to decide."""

    template_name = "staff/intake/worklist.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_view_clinical(request.user):
            raise Http404("Not available for your role.")
        audit.record("intake.worklist.view", details={"via": "staff"})
        context = worklist(patients_visible_to(request.user), timezone.now())
        return render(request, self.template_name, {**context, "can_override": permissions.can_override(request.user)})


class RoleGatedView(PatientScopedView):
    """A form only some roles may use: 404 for patients the user may not see, then 403 for the wrong role."""

    clinical = True
    denied_message = ""

    def allowed(self, user: Any) -> bool:
        raise NotImplementedError

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and user.is_staff_member:
            self.get_patient()
            _deny_unless(self.allowed(user), self.denied_message)
        return super().dispatch(request, *args, **kwargs)


class IntakeView(PatientScopedView):
    """The patient's intake page; POST views below re-render it with their bound form when it has errors."""

    clinical = True
    template_name = "staff/intake/patient_intake.html"

    def page(self, *, status: int = 200, **forms: Form) -> HttpResponse:
        patient = self.get_patient()
        user = self.request.user
        state = intake_state(patient, timezone.now())
        context: dict[str, Any] = {
            "patient": patient,
            **state,
            "can_screen": permissions.can_screen(user),
            "can_override": permissions.can_override(user),
            "can_enter": permissions.can_enter_assessments(user),
            "can_witness": permissions.can_witness_consent(user),
            "can_resolve": permissions.can_resolve_safety_tasks(user),
            "questionnaires": list(QUESTIONNAIRES.values()),
            "override_form": forms.get("override_form") or OverrideForm(),
            "clearance_form": forms.get("clearance_form") or MedicalClearanceForm(),
            "safety_rows": [
                (task, self._resolve_form(task, forms.get("resolve_form"))) for task in state["safety_tasks"]
            ],
        }
        return render(self.request, self.template_name, context, status=status)

    @staticmethod
    def _resolve_form(task: SafetyTask, bound: Form | None) -> Form:
        if bound is not None and getattr(bound, "task_id", None) == task.pk:
            return bound
        return ResolveSafetyTaskForm(prefix=f"task{task.pk}")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = self.get_patient()
        audit.record("intake.patient.view", patient=patient, obj=patient, details={"via": "staff"})
        return self.page()

    def done(self, message: str) -> HttpResponse:
        messages.success(self.request, message)
        return HttpResponseRedirect(reverse("staff:intake", args=[self.get_patient().pk]))

    def refused(self, exc: DomainError) -> HttpResponse:
        if isinstance(exc, NotAllowed):
            raise PermissionDenied(exc.message)
        messages.error(self.request, exc.message)
        return HttpResponseRedirect(reverse("staff:intake", args=[self.get_patient().pk]))


class IntakeActionView(IntakeView):
    """A form posted from the intake page: on success back to the page with a message; a field error re-renders
    the page with the bound form (400); a refusal becomes a 403 or an error message."""

    http_method_names = ["post"]
    form_key = ""
    success_message = ""

    def act(self, form: Form) -> None:
        raise NotImplementedError

    def handle(self, form: Form) -> HttpResponse:
        if form.is_valid():
            try:
                self.act(form)
            except InvalidInput as exc:
                apply_errors(exc, form)
            except DomainError as exc:
                return self.refused(exc)
            else:
                return self.done(self.success_message)
        return self.page(status=400, **{self.form_key: form})


class OverrideView(IntakeActionView):
    form_key = "override_form"
    success_message = "Screening overridden; the reason is kept with it."

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.screening = get_object_or_404(Screening, pk=kwargs["screening_pk"], patient=self.get_patient())
        _deny_unless(permissions.can_override(request.user), "Only a prescriber may override a screening.")
        return self.handle(OverrideForm(request.POST))

    def act(self, form: Form) -> None:
        services.override_screening(self.screening, self.request.user, form.cleaned_data["reason"])  # type: ignore[arg-type]


class MedicalClearanceView(IntakeActionView):
    form_key = "clearance_form"
    success_message = "Medical clearance recorded."

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _deny_unless(permissions.can_override(request.user), "Only a prescriber may record a medical clearance.")
        return self.handle(MedicalClearanceForm(request.POST))

    def act(self, form: Form) -> None:
        services.record_medical_clearance(
            by=self.request.user,  # type: ignore[arg-type]
            patient=self.get_patient(),
            note=form.cleaned_data["note"],
        )


class ResolveSafetyTaskView(IntakeActionView):
    form_key = "resolve_form"
    success_message = "Safety task resolved."

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.task = get_object_or_404(SafetyTask, pk=kwargs["task_pk"], patient=self.get_patient())
        _deny_unless(permissions.can_resolve_safety_tasks(request.user), "Your role may not resolve safety tasks.")
        form = ResolveSafetyTaskForm(request.POST, prefix=f"task{self.task.pk}")
        form.task_id = self.task.pk  # type: ignore[attr-defined]
        return self.handle(form)

    def act(self, form: Form) -> None:
        services.resolve_safety_task(self.task, by=self.request.user, note=form.cleaned_data["note"])  # type: ignore[arg-type]


class ScreeningCreateView(RoleGatedView):
    """The screening form: a few minutes for a nurse. Height and weight, and the patient's own account of their
    history and medicines (portal), prefill it; the nurse verifies everything before saving."""

    template_name = "staff/intake/screening_form.html"
    denied_message = "Only a nurse or a prescriber may screen a patient."

    def allowed(self, user: Any) -> bool:
        return permissions.can_screen(user)

    def render_form(self, form: ScreeningForm, formset: Any, *, status: int = 200) -> HttpResponse:
        patient = self.get_patient()
        return render(
            self.request,
            self.template_name,
            {
                "patient": patient,
                "form": form,
                "formset": formset,
                "self_report": HealthQuestionnaire.objects.filter(patient=patient).first(),
            },
            status=status,
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = self.get_patient()
        initial: dict[str, Any] = {"height_cm": patient.height_cm, "weight_kg": patient.weight_kg}
        rows: list[dict[str, Any]] = []
        report = HealthQuestionnaire.objects.filter(patient=patient).first()
        audit.record("intake.screeningform.view", patient=patient, obj=report, details={"via": "staff"})
        if report is not None:
            initial.update(self_report_initial(report))
            rows = [{"name": m["name"], "category": m["category"]} for m in report.medications]
        return self.render_form(ScreeningForm(initial=initial), MedicationFormSet(initial=rows, prefix="med"))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = self.get_patient()
        form = ScreeningForm(request.POST)
        formset = MedicationFormSet(request.POST, prefix="med")
        if form.is_valid() and formset.is_valid():
            try:
                screening = services.screen_patient(
                    by=request.user,  # type: ignore[arg-type]
                    patient=patient,
                    facts=form.facts(medication_rows(formset)),
                )
            except InvalidInput as exc:
                apply_errors(exc, form, formset)
            else:
                messages.success(request, f"Screening saved: {screening.decision.replace('_', ' ')}.")
                return HttpResponseRedirect(reverse("staff:intake", args=[patient.pk]))
        return self.render_form(form, formset, status=400)


class AssessmentEntryView(RoleGatedView):
    """A questionnaire the patient answers in clinic, entered by a clinician."""

    template_name = "staff/intake/questionnaire_form.html"
    denied_message = "Your role may not enter questionnaires."

    def allowed(self, user: Any) -> bool:
        return permissions.can_enter_assessments(user)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.questionnaire = questionnaire_or_404(kwargs["instrument"])
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form: QuestionnaireForm, *, status: int = 200) -> HttpResponse:
        context = {"patient": self.get_patient(), "form": form, "questionnaire": self.questionnaire}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_form(QuestionnaireForm(questionnaire=self.questionnaire))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = self.get_patient()
        form = QuestionnaireForm(request.POST, questionnaire=self.questionnaire)
        assessment = form.save(by=request.user, patient=patient)  # type: ignore[arg-type]
        if assessment is None:
            return self.render_form(form, status=400)
        if hasattr(assessment, "safety_task"):
            messages.warning(
                request,
                f"Safety alert: {assessment.safety_task.reason}. The care team has been notified and a safety task "
                "is open below.",
            )
        messages.success(request, f"{assessment.instrument_label} saved: {assessment.score_display}.")
        return HttpResponseRedirect(reverse("staff:intake", args=[patient.pk]))


class ConsentWitnessView(RoleGatedView):
    """The consent document read with the patient in clinic; the patient types their name, the clinician witnesses."""

    template_name = "staff/intake/consent_form.html"
    denied_message = "Your role may not witness consent."

    def allowed(self, user: Any) -> bool:
        return permissions.can_witness_consent(user)

    def render_form(self, form: ConsentForm, *, status: int = 200) -> HttpResponse:
        context = {
            "patient": self.get_patient(),
            "form": form,
            "consent_text": mark_safe(consent_text(CURRENT_CONSENT_VERSION)),  # noqa: S308 - our own template
            "consent_version": CURRENT_CONSENT_VERSION,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_form(ConsentForm())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = self.get_patient()
        form = ConsentForm(request.POST)
        if form.is_valid():
            try:
                services.record_consent(by=request.user, patient=patient, **form.cleaned_data)  # type: ignore[arg-type]
            except InvalidInput as exc:
                apply_errors(exc, form)
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Consent signed and witnessed.")
                return HttpResponseRedirect(reverse("staff:intake", args=[patient.pk]))
        return self.render_form(form, status=400)
