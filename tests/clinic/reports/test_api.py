"""The reports API (issue 10): the contract (202, the job's fields, the PDF, 409 before ready), bad input naming the
field, the schema, and who gets in: everyone who may not see the patient's clinical data gets 404."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from rest_framework.test import APIClient

from clinic.models import AuditEvent, ReportJob, ReportStatus
from tests.clinic.reports.support import (
    MAY_GET_PATIENT_A_REPORTS,
    Course,
    ask,
    body_of,
    committed,
    pdf_text,
    ready_report,
    run_queued,
)
from tests.conftest import World, api_as

pytestmark = pytest.mark.django_db


def post(client: APIClient, of: Course, **body: Any) -> Any:
    with committed():
        return client.post(f"/api/v1/patients/{of.patient.pk}/reports/", body, format="json")


def test_ask_follow_and_download_a_course_summary(course: Course, queued: list[int]) -> None:
    nurse = api_as(course.clinic.nurse)
    response = post(nurse, course, kind="course_summary", course=course.course.pk)
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert response.json() == {"id": job_id, "kind": "course_summary", "status": "pending"}
    again = post(nurse, course, kind="course_summary", course=course.course.pk)
    assert (again.status_code, again.json()) == (202, response.json())  # the same pending job
    assert queued == [job_id]

    status = nurse.get(f"/api/v1/reports/{job_id}/")
    assert status.status_code == 200
    assert status.json() == {
        "id": job_id,
        "kind": "course_summary",
        "status": "pending",
        "error": "",
        "size_bytes": None,
        "sha256": "",
        "created_at": "2026-05-11T12:00:00-04:00",
        "ready_at": None,
    }
    early = nurse.get(f"/api/v1/reports/{job_id}/download/")
    assert early.status_code == 409
    assert early.json()["code"] == "report_not_ready"
    assert early.json()["detail"] == "The report is not ready yet."

    run_queued(queued)
    ready = nurse.get(f"/api/v1/reports/{job_id}/").json()
    assert ready["status"] == "ready"
    assert ready["ready_at"] == "2026-05-11T12:00:00-04:00"
    download = nurse.get(f"/api/v1/reports/{job_id}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith('attachment; filename="course-summary-')
    assert "no-store" in download["Cache-Control"]
    data = body_of(download)
    assert hashlib.sha256(data).hexdigest() == ready["sha256"]
    assert len(data) == ready["size_bytes"]
    assert "35.0 mg" in "".join(pdf_text(data))
    event = AuditEvent.objects.get(action="clinic.report.download")
    assert (event.actor, event.patient_id, event.details["via"]) == (course.clinic.nurse, course.patient.pk, "api")


def test_a_failed_report_says_why(course: Course, queued: list[int]) -> None:
    job = ask(course.clinic.nurse, course.patient, "session_record", session=course.sessions[0].pk).job
    ReportJob.objects.filter(pk=job.pk).update(status=ReportStatus.FAILED, error="The report could not be made.")
    body = api_as(course.clinic.nurse).get(f"/api/v1/reports/{job.pk}/").json()
    assert (body["status"], body["error"]) == ("failed", "The report could not be made.")
    refused = api_as(course.clinic.nurse).get(f"/api/v1/reports/{job.pk}/download/")
    assert (refused.status_code, refused.json()["code"]) == (409, "report_not_ready")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "kind"),
        ({"kind": "everything"}, "kind"),
        ({"kind": "course_summary"}, "course"),
        ({"kind": "course_summary", "course": "twelve"}, "course"),
        ({"kind": "course_summary", "course": 999999}, "course"),
        ({"kind": "session_record", "session": 999999}, "session"),
        ({"kind": "relapse_plan", "course": 1}, "course"),
    ],
)
def test_bad_input_names_the_field(course: Course, body: dict[str, Any], field: str) -> None:
    response = post(api_as(course.clinic.nurse), course, **body)
    assert response.status_code == 400
    assert field in response.json()
    assert not ReportJob.objects.exists()


def test_a_role_that_may_see_the_patient_but_not_this_kind_gets_403(course: Course, world: World) -> None:
    response = post(api_as(world.therapist1), course, kind="rems_form", session=course.sessions[0].pk)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize(("who", "allowed"), MAY_GET_PATIENT_A_REPORTS.items())
def test_who_may_ask_for_a_report(course: Course, world: World, who: str, allowed: bool) -> None:
    response = post(api_as(world.users()[who]), course, kind="course_summary", course=course.course.pk)
    assert response.status_code == (202 if allowed else 404)


@pytest.mark.parametrize(("who", "allowed"), MAY_GET_PATIENT_A_REPORTS.items())
def test_who_may_read_and_download_a_report(
    course: Course, world: World, queued: list[int], who: str, allowed: bool
) -> None:
    job = ready_report(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk)
    client = api_as(world.users()[who])
    assert client.get(f"/api/v1/reports/{job.pk}/").status_code == (200 if allowed else 404)
    download = client.get(f"/api/v1/reports/{job.pk}/download/")
    assert download.status_code == (200 if allowed else 404)
    body_of(download)
    assert AuditEvent.objects.filter(action="clinic.report.download").count() == (1 if allowed else 0)


def test_a_therapist_never_reaches_a_rems_form_even_on_the_care_team(
    course: Course, world: World, queued: list[int]
) -> None:
    job = ask(course.clinic.nurse, course.patient, "session_record", session=course.sessions[0].pk).job
    ReportJob.objects.filter(pk=job.pk).update(kind="rems_form")
    assert api_as(world.therapist1).get(f"/api/v1/reports/{job.pk}/").status_code == 404
    assert api_as(world.nurse1).get(f"/api/v1/reports/{job.pk}/").status_code == 200


def test_anonymous_requests_are_refused(course: Course) -> None:
    assert APIClient().get("/api/v1/reports/1/").status_code in (401, 403)


def test_retry_through_the_api(course: Course, world: World, queued: list[int]) -> None:
    job = ask(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk).job
    ReportJob.objects.filter(pk=job.pk).update(status=ReportStatus.FAILED, error="Broken.")
    assert api_as(world.nurse1).post(f"/api/v1/reports/{job.pk}/retry/").status_code == 403
    with committed():
        response = api_as(world.admin1).post(f"/api/v1/reports/{job.pk}/retry/")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert queued == [job.pk, job.pk]
    again = api_as(world.admin1).post(f"/api/v1/reports/{job.pk}/retry/")
    assert (again.status_code, again.json()["code"]) == (409, "report_not_retryable")


def test_the_schema_documents_every_answer(world: World) -> None:
    schema = api_as(world.nurse1).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    create = schema["paths"]["/api/v1/patients/{patient_pk}/reports/"]["post"]
    assert set(create["responses"]) == {"202", "400", "401", "403", "404", "409", "429"}
    assert create["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("FieldErrors")
    assert create["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith("ReportAccepted")
    detail = schema["paths"]["/api/v1/reports/{id}/"]["get"]["responses"]["200"]
    assert detail["content"]["application/json"]["schema"]["$ref"].endswith("ReportJob")
    download = schema["paths"]["/api/v1/reports/{id}/download/"]["get"]["responses"]
    assert download["200"]["content"]["application/pdf"]["schema"] == {"type": "string", "format": "binary"}
    assert download["409"]["content"]["application/json"]["schema"]["$ref"].endswith("ReportProblem")
    fields = schema["components"]["schemas"]["ReportJob"]["properties"]
    assert set(fields) == {"id", "kind", "status", "error", "size_bytes", "sha256", "created_at", "ready_at"}
