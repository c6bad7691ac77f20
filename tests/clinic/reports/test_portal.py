"""The patient's documents in the portal (portal/reports_views.py): their own course summaries and relapse plan,
prepared on request, watched, downloaded and audited; never another patient's, never a staff-only kind."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client

from clinic.models import AuditEvent, ReportJob
from tests.clinic.reports.support import Course, ask, body_of, committed, pdf_text, ready_report, run_queued
from tests.conftest import World
from tests.sessions.conftest import signed_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def prepare(client: Client, **data: object) -> HttpResponse:
    with committed():
        return client.post("/portal/reports/", data, **HTMX)


def test_the_portal_home_links_to_the_documents(course: Course, world: World) -> None:
    html = signed_in(world.patient_a_user).get("/portal/").content.decode()
    assert "My documents" in html
    assert "Your course summary and relapse-prevention plan, as PDF files" in html
    assert 'href="/portal/reports/"' in html


def test_a_patient_prepares_and_downloads_their_course_summary(course: Course, world: World, queued: list[int]) -> None:
    patient = signed_in(world.patient_a_user)
    page = patient.get("/portal/reports/").content.decode()
    assert "Course summary: Standard induction (6 IV infusions, twice weekly), from May 4, 2026 (active)" in page
    assert "Relapse-prevention plan" in page
    assert "Session record" not in page  # staff-only kinds are not offered
    assert AuditEvent.objects.filter(action="portal.patient.view", details__page="reports").count() == 1

    response = prepare(patient, kind="course_summary", course=course.course.pk)
    job = ReportJob.objects.get()
    html = response.content.decode()
    assert f'hx-get="/portal/reports/{job.pk}/"' in html
    assert 'hx-trigger="every 2s"' in html
    assert job.requested_by == world.patient_a_user
    run_queued(queued)
    ready = patient.get(f"/portal/reports/{job.pk}/", **HTMX).content.decode()
    assert 'hx-trigger="every 2s"' not in ready
    assert f'href="/portal/reports/{job.pk}/download/"' in ready
    assert "Prepare an up-to-date copy" in ready
    download = patient.get(f"/portal/reports/{job.pk}/download/")
    assert download["Content-Type"] == "application/pdf"
    data = body_of(download)
    assert "35.0 mg" in "".join(pdf_text(data))
    event = AuditEvent.objects.get(action="clinic.report.download")
    assert (event.actor, event.details["via"]) == (world.patient_a_user, "portal")
    assert "Download the PDF" in patient.get("/portal/reports/").content.decode()


def test_a_patient_never_reaches_another_patients_report(course: Course, world: World, queued: list[int]) -> None:
    job = ready_report(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk)
    other = signed_in(world.patient_b_user)
    assert other.get(f"/portal/reports/{job.pk}/").status_code == 404
    assert other.get(f"/portal/reports/{job.pk}/download/").status_code == 404
    refused = other.post("/portal/reports/", {"kind": "course_summary", "course": course.course.pk})
    assert refused.status_code == 302
    assert "This patient has no such course" in other.get("/portal/reports/").content.decode()
    assert not ReportJob.objects.filter(patient=world.patient_b).exists()


def test_a_patient_sees_reports_staff_prepared_for_them_only_of_the_portal_kinds(
    course: Course, world: World, queued: list[int]
) -> None:
    summary = ready_report(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk)
    record = ready_report(course.clinic.nurse, course.patient, "session_record", session=course.sessions[0].pk)
    patient = signed_in(world.patient_a_user)
    assert f"/portal/reports/{summary.pk}/download/" in patient.get("/portal/reports/").content.decode()
    assert patient.get(f"/portal/reports/{record.pk}/").status_code == 404
    assert patient.get(f"/portal/reports/{record.pk}/download/").status_code == 404
    refused = patient.post("/portal/reports/", {"kind": "session_record", "session": course.sessions[0].pk})
    assert refused.status_code == 302
    assert "The session record is not available to you." in patient.get("/portal/reports/").content.decode()


def test_staff_do_not_use_the_portal_pages(course: Course, world: World, queued: list[int]) -> None:
    job = ask(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk).job
    run_queued(queued)
    nurse = signed_in(world.nurse1)
    assert nurse.get("/portal/reports/").status_code == 404
    assert nurse.get(f"/portal/reports/{job.pk}/download/").status_code == 404


def test_a_failed_document_says_why_and_offers_to_try_again(course: Course, world: World, queued: list[int]) -> None:
    from integration import reports as integration_reports

    integration_reports.register()  # the patient has no plan yet
    patient = signed_in(world.patient_a_user)
    prepare(patient, kind="relapse_plan")
    run_queued(queued)
    page = patient.get("/portal/reports/").content.decode()
    assert "It could not be prepared: There is no relapse-prevention plan yet." in page
    assert "Prepare the PDF" in page


def test_a_refusal_under_htmx_reloads_the_page_with_the_reason(course: Course, world: World) -> None:
    patient = signed_in(world.patient_a_user)
    refused = patient.post("/portal/reports/", {"kind": "course_summary", "course": "999999"}, **HTMX)
    assert refused["HX-Redirect"] == "/portal/reports/"
    assert "This patient has no such course" in patient.get("/portal/reports/").content.decode()
