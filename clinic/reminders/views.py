"""Staff screens of reminders: the operations page (failed reminders, with retry) and the alert link of emails.

The operations page is for clinic administrators (others get 404). Sections other work adds to it (the report
jobs) come through `clinic.panels` with the audience "operations", so this module imports none of it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import TemplateView

from clinic import audit, panels
from clinic.errors import DomainError
from clinic.http import AuthedRequest
from clinic.models import Notification, Patient, User
from clinic.reminders import registry, services
from clinic.reminders.forms import ReminderPreferencesForm
from clinic.reminders.models import ReminderStatus
from clinic.reminders.preferences import set_reminder_preferences
from clinic.scoping import can_register_patients, get_in_scope
from clinic.views import PatientFormView, StaffView


class ClinicAdminView(StaffView):
    request: AuthedRequest

    def check_access(self, user: User) -> None:
        super().check_access(user)
        if not user.is_clinic_admin:
            raise Http404("Not available for your role.")


class OperationsView(ClinicAdminView, TemplateView):
    """Failed reminders of the administrator's sites, newest first, each with "Send again"."""

    request: AuthedRequest
    template_name = "staff/reminders/operations.html"
    shown = 200

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        failed = (
            services.visible_reminders(self.request.user)
            .filter(status=ReminderStatus.FAILED)
            .select_related("patient__site")
            .order_by("-updated_at", "-id")
        )
        shown = list(failed[: self.shown])
        audit.record(
            "clinic.reminder.failed_list",
            details={"shown": len(shown), "patients": sorted({r.patient_id for r in shown if r.patient_id})},
        )
        rows = [{"reminder": r, "kind": registry.label_of(r.kind)} for r in shown]
        context.update(
            failed=rows,
            operations_panels=panels.render_context("operations", self.request, None, clinical=True),
        )
        return context


class RetryReminderView(ClinicAdminView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = self.request.user
        reminder = get_in_scope(services.visible_reminders(user), pk, "No such reminder.")
        try:
            services.retry_reminder(by=user, reminder=reminder)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "The reminder will be sent again within a minute.")
        return HttpResponseRedirect(reverse("staff:operations"))


class NotificationOpenView(StaffView):
    """Where an alert email's link lands: the alert in the recipient's inbox, where it can be opened and
    acknowledged (anyone else gets 404). Landing reads nothing of the patient, so it marks nothing read."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        note = get_in_scope(Notification.objects.filter(recipient=self.request.user), pk, "No such alert.")
        audit.record("clinic.notification.open", patient=note.patient_id, obj=note, details={"kind": note.kind})
        return HttpResponseRedirect(f"{reverse('staff:alerts')}?show=all#alert-{note.pk}")


class ReminderPreferencesView(PatientFormView[ReminderPreferencesForm]):
    """The front desk (and the others who register patients) change how a patient is reminded."""

    template_name = "staff/reminders/preferences.html"
    success_message = "Reminder preferences saved."
    denied_message = "Your role may not change a patient's reminder preferences."

    def allowed(self, user: User) -> bool:
        return can_register_patients(user)

    def get_form(self, data: Any = None) -> ReminderPreferencesForm:
        return ReminderPreferencesForm(data, instance=self.get_patient())

    def show_form(self, form: ReminderPreferencesForm, *, status: int = 200) -> HttpResponse:
        patient = self.get_patient()
        audit.record("clinic.patient.view", patient=patient, obj=patient, details={"page": "reminder_preferences"})
        return render(self.request, self.template_name, {"form": form, "patient": patient}, status=status)

    def act(self, form: ReminderPreferencesForm) -> Patient:
        return set_reminder_preferences(by=self.request.user, patient=self.get_patient(), **form.preferences())

    def success_url(self, result: Patient | None) -> str:
        return reverse("staff:patient_detail", args=[self.get_patient().pk]) + "#panel-reminders"
