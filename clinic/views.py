"""Staff screens of the core app, and the role-based landing after sign-in.

Every view that shows patient data derives from `PatientScopedView` or `StaffView` and reads patients only
through clinic.scoping; tests/clinic/test_url_scoping.py enforces it. A page that posts a form to a service derives
from `StaffFormView` or `PatientFormView` (clinic.form_posts).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.generic import TemplateView

from clinic import audit, panels, services
from clinic.alerts import home_alerts
from clinic.care_team import can_manage_care_team
from clinic.care_team_forms import care_team_form_for
from clinic.errors import DomainError
from clinic.form_posts import FormPostMixin, GuardedView
from clinic.forms import PatientRegistrationForm
from clinic.http import AuthedRequest
from clinic.models import Patient, User
from clinic.pagination import BoundedPaginator
from clinic.patient_search import matching
from clinic.scoping import (
    can_register_patients,
    can_view_clinical,
    get_patient_for,
    patients_visible_to,
    sites_of,
)


def home(request: HttpRequest) -> HttpResponse:
    """Where sign-in lands: staff on /staff/, patients on /portal/."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if user.is_patient_user:
        return redirect("portal:home")
    return redirect("staff:home")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for the load balancer and docker compose; no data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class StaffView(LoginRequiredMixin, GuardedView):
    """A staff screen: patients (portal users) get 404, as does anyone without a staff role; then `check_access`."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return self.handle_no_permission()
        if not user.is_staff_member:
            raise Http404("Not a staff page.")
        self.check_access(user)
        return super().dispatch(request, *args, **kwargs)


class PatientScopedView(StaffView):
    """A staff screen about one patient, looked up through the scoping helper (404 if not visible)."""

    clinical = False

    def get_patient(self) -> Patient:
        if not hasattr(self, "_patient"):
            self._patient = get_patient_for(self.request.user, self.kwargs["patient_pk"], clinical=self.clinical)
        return self._patient

    def check_access(self, user: User) -> None:
        self.get_patient()
        super().check_access(user)


class StaffFormView[F: BaseForm](FormPostMixin[F], StaffView):
    """A staff page that posts a form to one service (clinic.form_posts: write `act`, `show_form`, `success_url`)."""


class PatientFormView[F: BaseForm](FormPostMixin[F], PatientScopedView):
    """A staff page about one patient that posts a form to one service: the patient answers 404 before the role's
    403 (`allowed`), and `get_patient()` is the scoped patient."""


class StaffHomeView(StaffView, TemplateView):
    request: AuthedRequest
    template_name = "staff/home.html"
    page_size = 25

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()
        patients = matching(patients_visible_to(self.request.user).filter(is_active=True), query)
        page = BoundedPaginator(patients, self.page_size).get_page(self.request.GET.get("page"))
        audit.record_reads("clinic.patient.list", page.object_list, details={"via": "staff", "page": "home"})
        context.update(
            query=query,
            page_obj=page,
            patients=page.object_list,
            can_register=can_register_patients(self.request.user),
            show_clinical=can_view_clinical(self.request.user),
            home_panels=panels.render_context(
                "staff_home", self.request, None, clinical=can_view_clinical(self.request.user)
            ),
        )
        if not self.request.headers.get("HX-Request"):
            context.update(home_alerts(self.request))
        return context

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request") and self.request.headers.get("HX-Target") == "patient-results":
            return ["staff/home.html#patient-results"]
        return [self.template_name]


class PatientDetailView(PatientScopedView, TemplateView):
    request: AuthedRequest
    template_name = "staff/patient_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        patient = self.get_patient()
        show_clinical = can_view_clinical(self.request.user, patient)
        audit.record("clinic.patient.view", patient=patient, obj=patient, details={"via": "staff"})
        context.setdefault("care_team_form", care_team_form_for(self.request, patient))
        context.update(
            patient=patient,
            show_clinical=show_clinical,
            can_manage_care_team=can_manage_care_team(self.request.user, patient),
            care_team=patient.care_team.select_related("user").order_by("-is_primary", "user__last_name"),
            panels=panels.render_context("staff", self.request, patient, clinical=show_clinical),
        )
        return context


class PatientCreateView(StaffFormView[PatientRegistrationForm]):
    """Register a patient. A patient of the site with the same name and date of birth is shown first (open their
    record, or tick that this is someone else); the patient page then confirms the registration."""

    template_name = "staff/patient_form.html"
    form_class = PatientRegistrationForm
    denied_message = "Not available for your role."

    def check_access(self, user: User) -> None:
        if not can_register_patients(user):
            raise Http404(self.denied_message)

    def get_form(self, data: Any = None) -> PatientRegistrationForm:
        user = self.request.user
        return PatientRegistrationForm(data, sites=sites_of(user), show_clinical=can_view_clinical(user))

    def show_form(self, form: PatientRegistrationForm, *, status: int = 200, same_person: Any = None) -> HttpResponse:
        context = {
            "form": form,
            "same_person": same_person,
            "site": form.cleaned_data.get("site") if same_person else None,
        }
        return render(self.request, self.template_name, context, status=status)

    def act(self, form: PatientRegistrationForm) -> Patient:
        data = dict(form.cleaned_data)
        site = data.pop("site")
        anyway = data.pop("register_anyway")
        return services.register_patient(by=self.request.user, site=site, data=data, refuse_same_person=not anyway)

    def refused(self, form: PatientRegistrationForm, exc: DomainError) -> HttpResponseBase:
        if exc.code != "possible_duplicate":
            return super().refused(form, exc)
        ids = [int(pk) for pk in exc.details.get("patients", [])]  # type: ignore[attr-defined]
        same = patients_visible_to(self.request.user).filter(pk__in=ids)
        return self.show_form(form, status=400, same_person=list(same))

    def success_text(self, result: Patient) -> str:
        return f"{result.full_name} is registered with medical record number {result.mrn}."

    def success_url(self, result: Patient) -> str:
        return reverse("staff:patient_detail", args=[result.pk])
