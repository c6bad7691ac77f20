"""Staff screens of the reports: ask for one from the patient page's panel, watch it appear (each pending row asks
for its own update every 2 s with htmx until it is ready or failed), download it; and, for clinic administrators,
the reports that need attention (failed, or lost on their way to a worker) with a retry.

Views derive from clinic.views.StaffView / PatientScopedView and read jobs only through clinic.reports.queries.
Decisions are the services'; a refusal comes back beside the form that asked.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse

from clinic import audit
from clinic.errors import DomainError
from clinic.http import user_of
from clinic.models import ReportJob
from clinic.reports import panels, queries, services
from clinic.reports.kinds import PARAMETERS
from clinic.scoping import note_refused
from clinic.views import PatientScopedView, StaffView

PANEL_TEMPLATE = "staff/reports/panel.html"
ATTENTION_TEMPLATE = "staff/reports/attention.html"


def file_response(report: services.ReportFile) -> FileResponse:
    """The PDF as a download, never cached by a browser or a proxy (it holds patient data)."""
    response = FileResponse(report.file, as_attachment=True, filename=report.filename, content_type="application/pdf")
    response["Cache-Control"] = "no-store, private"
    return response


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


class ReportRequestView(PatientScopedView):
    """POST: ask for a report of this patient. htmx gets the panel back (the new job polling in its list)."""

    clinical = True

    def post(self, request: HttpRequest, patient_pk: int) -> HttpResponse:
        patient = self.get_patient()
        kind = request.POST.get("kind", "")
        parameters: dict[str, str] = {n: request.POST[n] for n in PARAMETERS if request.POST.get(n, "") != ""}
        reason, notice = "", ""
        try:
            requested = services.request_report(by=user_of(request), patient=patient, kind=kind, parameters=parameters)
        except DomainError as exc:
            reason = services.refusal(exc)
        else:
            notice = "" if requested.created else "This report is already being prepared."
        if not is_htmx(request):
            if reason:
                messages.error(request, reason)
            else:
                messages.success(request, notice or "The report is being prepared; it appears under Reports.")
            return HttpResponseRedirect(reverse("staff:patient_detail", args=[patient.pk]) + "#reports-panel")
        refused = {"errors": {kind: reason}, "chosen": next(iter(parameters.values()), None)} if reason else {}
        context = panels.staff_context(request, patient, **refused)
        if context is None:
            audit.note_refused(patient.pk)
            raise Http404("No reports for your role.")
        panel = {"key": "reports", "notice": notice, **context}
        # 200 with the reason beside the form: htmx swaps in only successful answers.
        return render(request, PANEL_TEMPLATE, {"panel": panel, "patient": patient})


class ReportStatusView(StaffView):
    """GET: one job's row; a pending row keeps polling, a finished one stops."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        job = queries.get_job_for(request.user, pk)
        response = render(request, "staff/reports/job_row.html", {"row": panels.job_row(job, request.user)})
        audit.record("clinic.report.view", patient=job.patient_id, obj=job, details={"via": "staff"})
        return response


class ReportDownloadView(StaffView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        job = queries.get_job_for(request.user, pk)
        try:
            return file_response(services.open_report(by=user_of(request), job=job, via="staff"))
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("staff:patient_detail", args=[job.patient_id]) + "#reports")


class AttentionView(StaffView):
    """Clinic administrators: failed report jobs, and jobs that never reached a worker, with a retry."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not request.user.is_clinic_admin:
            if "pk" in kwargs:
                note_refused(ReportJob, kwargs["pk"])
            raise Http404("Not a page for your role.")
        return super().dispatch(request, *args, **kwargs)


class ReportsNeedingAttentionView(AttentionView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "staff/reports/attention_page.html", {"panel": panels.operations_panel(request)})


class ReportRetryView(AttentionView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = queries.get_job_for(request.user, pk)
        try:
            services.retry_report(by=user_of(request), job=job)
        except DomainError as exc:
            notice, ok = exc.message, False
        else:
            notice, ok = f"The report of {job.patient.full_name} is being prepared again.", True
        if is_htmx(request):
            panel = {**(panels.operations_panel(request) or {}), "notice": notice}
            return render(request, ATTENTION_TEMPLATE, {"panel": panel})
        (messages.success if ok else messages.error)(request, notice)
        return HttpResponseRedirect(reverse("staff:reports:attention"))
