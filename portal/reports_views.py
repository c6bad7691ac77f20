"""The patient's documents in the portal: their course summaries and relapse-prevention plan as PDFs.

The patient is the signed-in user's own record (never an id from the request): requests go to
clinic.reports.services with that patient, and jobs are read through clinic.reports.queries with `portal=True`,
which lets a patient see only their own jobs of the kinds offered to patients; anything else answers 404. Every
download is audited by the service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse

from clinic import audit
from clinic.errors import DomainError
from clinic.http import user_of
from clinic.models import Patient, ReportJob
from clinic.reports import kinds, panels, queries, services
from clinic.reports.kinds import PARAMETERS
from clinic.reports.views import file_response, is_htmx
from portal.views import PortalView

DOCUMENT_TEMPLATE = "portal/reports/document.html"


def anchor(kind: str, value: int | None = None) -> str:
    """The id of a document's box on the documents page (a link to the page goes straight to it)."""
    return f"document-{kind}-{value or 0}"


def document_url(kind: str, value: int | None = None) -> str:
    """The documents page at the box of one document (e.g. the relapse plan, from the plan's page)."""
    return f"{reverse('portal:reports')}#{anchor(kind, value)}"


def _document(kind: kinds.ReportKind, choice: kinds.Choice | None, job: ReportJob | None, user: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "choice": choice,
        "title": f"{kind.label}: {choice.label}" if choice else kind.label,
        "row": panels.job_row(job, user) if job is not None else None,
        "anchor": anchor(kind.name, choice.value if choice else None),
    }


def documents(user: Any, patient: Patient) -> list[dict[str, Any]]:
    """Each document the patient may have (a course summary per course, the plan), with its latest job."""
    latest = queries.latest_jobs_by_request(user, patient, portal=True)
    found = []
    for kind in queries.kinds_for(user, patient):
        for choice in kind.choices_for(patient) if kind.parameter else [None]:
            key = services.request_key(kind.name, {kind.parameter: choice.value} if kind.parameter and choice else {})
            found.append(_document(kind, choice, latest.get(key), user))
    return found


def _document_of(job: ReportJob, user: Any) -> dict[str, Any]:
    kind = kinds.get(job.kind)
    assert kind is not None  # noqa: S101 - queries only return jobs of registered kinds
    value = job.parameters.get(kind.parameter) if kind.parameter else None
    choice = kinds.Choice(value, job.subject) if value is not None else None
    return _document(kind, choice, job, user)


class MyReportsView(PortalView):
    def get(self, request: HttpRequest) -> HttpResponse:
        patient = self.get_patient()
        audit.record("portal.patient.view", patient=patient, obj=patient, details={"page": "reports"})
        context = {"patient": patient, "documents": documents(request.user, patient)}
        return render(request, "portal/reports/list.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        patient = self.get_patient()
        parameters: dict[str, str] = {n: request.POST[n] for n in PARAMETERS if request.POST.get(n, "") != ""}
        try:
            requested = services.request_report(
                by=user_of(request),
                patient=patient,
                kind=request.POST.get("kind", ""),
                parameters=parameters,
            )
        except DomainError as exc:
            messages.error(request, services.refusal(exc))
            if is_htmx(request):  # the whole page again, with the message on top
                return HttpResponse(headers={"HX-Redirect": reverse("portal:reports")})
            return HttpResponseRedirect(reverse("portal:reports"))
        if is_htmx(request):
            return render(request, DOCUMENT_TEMPLATE, {"document": _document_of(requested.job, request.user)})
        messages.success(request, "Your document is being prepared. It takes a few seconds.")
        return HttpResponseRedirect(reverse("portal:reports"))


class ReportStatusView(PortalView):
    """GET: one document's box; while it is being prepared it asks again every 2 s. Opened as a page (not by the
    list's htmx poll), it goes to the list of documents: the box alone is no page."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        job = queries.get_job_for(request.user, pk, portal=True)
        document = _document_of(job, request.user)
        audit.record("clinic.report.view", patient=job.patient_id, obj=job, details={"via": "portal"})
        if request.headers.get("HX-Request") != "true":
            return HttpResponseRedirect(reverse("portal:reports") + "#" + document["anchor"])
        return render(request, DOCUMENT_TEMPLATE, {"document": document})


class ReportDownloadView(PortalView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        job = queries.get_job_for(request.user, pk, portal=True)
        try:
            return file_response(services.open_report(by=user_of(request), job=job, via="portal"))
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("portal:reports"))
