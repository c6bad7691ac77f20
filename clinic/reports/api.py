"""The reports API (issue 10): ask for a PDF report of a patient, follow its job, download the file.

    POST /api/v1/patients/{id}/reports/    {"kind", "course" | "session"} -> 202 {"id", "kind", "status"}
    GET  /api/v1/reports/{id}/             the job: status, error, size, SHA-256, times
    GET  /api/v1/reports/{id}/download/    the application/pdf bytes once ready; 409 report_not_ready before
    POST /api/v1/reports/{id}/retry/       a failed job queued again (clinic administrators)

For staff who may see the patient's clinical data and whose role may get the kind; everyone else gets 404 (the
front desk, a therapist off the care team, another site's nurse). Patients download their documents in the portal,
so a patient's token gets 404 here too. Every download is audited (clinic.reports.services.open_report).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from clinic import audit
from clinic.api import PatientNestedViewSet, ScopedViewSet
from clinic.api_schema import ErrorDetail, FieldErrors
from clinic.http import user_of
from clinic.models import Patient, ReportJob, ReportStatus
from clinic.reports import queries, services
from clinic.reports.views import file_response
from clinic.scoping import note_refused


class ReportRequestSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField(help_text="course_summary, session_record, relapse_plan or rems_form.")
    course = serializers.IntegerField(required=False, help_text="For a course summary: the course's id.")
    session = serializers.IntegerField(required=False, help_text="For a session record or REMS form: its id.")


class ReportAcceptedSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(choices=ReportStatus.choices)


class ReportJobSerializer(serializers.ModelSerializer[ReportJob]):
    class Meta:
        model = ReportJob
        fields = ["id", "kind", "status", "error", "size_bytes", "sha256", "created_at", "ready_at"]
        read_only_fields = fields


class ReportProblemSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="report_not_ready, report_file_missing, report_not_retryable, ...")
    detail = serializers.CharField()


NOT_FOUND = OpenApiResponse(ErrorDetail, description="No such patient or report, or not one this requester may see.")


class PatientReportViewSet(PatientNestedViewSet):
    """POST /patients/{patient_pk}/reports/: ask for a report (202; the same pending job for an identical request)."""

    serializer_class = ReportRequestSerializer

    def get_patient(self) -> Patient:
        if self.request.user.is_authenticated and self.request.user.is_patient_user:
            note_refused(Patient, self.kwargs.get("patient_pk"))
            raise Http404("No such patient.")  # patients use the portal
        return super().get_patient()

    def scoped_queryset(self) -> QuerySet[ReportJob]:
        return queries.jobs_visible_to(self.request.user).filter(patient=self.get_patient())

    @extend_schema(
        request=ReportRequestSerializer,
        responses={
            202: ReportAcceptedSerializer,
            400: OpenApiResponse(
                FieldErrors, description="Unknown kind, or a missing or foreign course or session (per field)."
            ),
            403: ReportProblemSerializer,
            404: NOT_FOUND,
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_patient()
        serializer = ReportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        kind = data.pop("kind")
        requested = services.request_report(by=user_of(request), patient=patient, kind=kind, parameters=data)
        job = requested.job
        body = ReportAcceptedSerializer({"id": job.pk, "kind": job.kind, "status": job.status}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class ReportViewSet(ScopedViewSet):
    """GET /reports/{id}/, GET /reports/{id}/download/, POST /reports/{id}/retry/."""

    serializer_class = ReportJobSerializer

    def scoped_queryset(self) -> QuerySet[ReportJob]:
        return queries.jobs_visible_to(self.request.user)

    def get_object(self) -> ReportJob:
        return queries.get_job_for(self.request.user, self.kwargs["pk"])

    @extend_schema(responses={200: ReportJobSerializer, 404: NOT_FOUND})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        job = self.get_object()
        audit.record("clinic.report.view", patient=job.patient_id, obj=job, details={"via": "api"})
        return Response(ReportJobSerializer(job).data)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The report's PDF."),
            404: NOT_FOUND,
            409: ReportProblemSerializer,
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        return file_response(services.open_report(by=user_of(request), job=self.get_object(), via="api"))

    @extend_schema(
        request=None,
        responses={
            202: ReportJobSerializer,
            403: ReportProblemSerializer,
            404: NOT_FOUND,
            409: ReportProblemSerializer,
        },
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        job = services.retry_report(by=user_of(request), job=self.get_object())
        return Response(ReportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
