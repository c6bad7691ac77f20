"""Staff screens of the reports: the panel on the patient page, asking with htmx and watching the job (a pending row
polls every 2 s, a finished one stops), the download, and the clinic administrators' list of reports to retry."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.test import Client

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
from tests.conftest import World
from tests.sessions.conftest import Clock, signed_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
POLLING = 'hx-trigger="every 2s"'


def patient_page(client: Client, course: Course) -> str:
    response = client.get(f"/staff/patients/{course.patient.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def request(client: Client, of: Course, **data: Any) -> Any:
    with committed():
        return client.post(f"/staff/patients/{of.patient.pk}/reports/", data, **HTMX)


def test_the_patient_page_offers_the_reports_the_role_may_get(course: Course, world: World) -> None:
    html = patient_page(signed_in(world.nurse1), course)
    assert 'id="reports-panel"' in html
    assert "Prepare the course summary" in html
    assert "Prepare the REMS monitoring form" in html
    assert "Standard induction (6 IV infusions, twice weekly), from May 4, 2026 (active)" in html
    therapist = patient_page(signed_in(world.therapist1), course)
    assert "Prepare the course summary" in therapist
    assert "REMS monitoring form" not in therapist
    assert 'id="reports-panel"' not in patient_page(signed_in(world.front_desk1), course)


def test_a_nurse_asks_and_watches_the_report_appear(course: Course, queued: list[int]) -> None:
    nurse = signed_in(course.clinic.nurse)
    response = request(nurse, course, kind="course_summary", course=course.course.pk)
    assert response.status_code == 200
    html = response.content.decode()
    job = ReportJob.objects.get()
    assert f'id="report-job-{job.pk}"' in html
    assert f'hx-get="/staff/reports/{job.pk}/"' in html
    assert POLLING in html
    assert "Being prepared…" in html
    assert queued == [job.pk]

    pending = nurse.get(f"/staff/reports/{job.pk}/", **HTMX).content.decode()
    assert POLLING in pending  # keeps asking
    run_queued(queued)
    ready = nurse.get(f"/staff/reports/{job.pk}/", **HTMX).content.decode()
    assert POLLING not in ready  # stops asking
    assert f'href="/staff/reports/{job.pk}/download/"' in ready
    download = nurse.get(f"/staff/reports/{job.pk}/download/")
    assert download["Content-Type"] == "application/pdf"
    data = body_of(download)
    assert course.patient.mrn in pdf_text(data)[0]
    assert AuditEvent.objects.filter(action="clinic.report.download", details__via="staff").count() == 1


def test_asking_again_while_it_is_prepared_says_so(course: Course, queued: list[int]) -> None:
    nurse = signed_in(course.clinic.nurse)
    request(nurse, course, kind="course_summary", course=course.course.pk)
    again = request(nurse, course, kind="course_summary", course=course.course.pk)
    assert "This report is already being prepared." in again.content.decode()
    assert ReportJob.objects.count() == 1


def test_a_refusal_comes_back_beside_the_form_with_the_choice(course: Course) -> None:
    response = request(signed_in(course.clinic.nurse), course, kind="session_record", session="999999")
    assert response.status_code == 200  # htmx swaps in only successful answers
    html = response.content.decode()
    assert 'id="report-error-session_record"' in html
    assert "This patient has no such dosing session for a session record." in html
    assert 'aria-invalid="true"' in html
    assert not ReportJob.objects.exists()


def test_without_javascript_the_form_comes_back_to_the_patient_page(course: Course) -> None:
    client = signed_in(course.clinic.nurse)
    with committed():
        response = client.post(
            f"/staff/patients/{course.patient.pk}/reports/", {"kind": "course_summary", "course": course.course.pk}
        )
    assert response.status_code == 302
    assert response["Location"] == f"/staff/patients/{course.patient.pk}/#reports-panel"
    page = client.get(response["Location"]).content.decode()
    assert "The report is being prepared" in page
    assert "Being prepared…" in page
    refused = client.post(f"/staff/patients/{course.patient.pk}/reports/", {"kind": "nothing"})
    assert refused.status_code == 302
    assert "Choose one of the reports this clinic makes" in client.get(refused["Location"]).content.decode()


@pytest.mark.parametrize(("who", "allowed"), MAY_GET_PATIENT_A_REPORTS.items())
def test_who_reaches_the_staff_report_screens(
    course: Course, world: World, queued: list[int], who: str, allowed: bool
) -> None:
    job = ready_report(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk)
    client = signed_in(world.users()[who])
    expected = 200 if allowed else 404
    assert client.get(f"/staff/reports/{job.pk}/").status_code == expected
    download = client.get(f"/staff/reports/{job.pk}/download/")
    assert download.status_code == expected
    body_of(download)
    asked = request(client, course, kind="course_summary", course=course.course.pk)
    assert asked.status_code == expected


def test_a_download_before_ready_explains_instead(course: Course) -> None:
    job = ask(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk).job
    client = signed_in(course.clinic.nurse)
    response = client.get(f"/staff/reports/{job.pk}/download/")
    assert response.status_code == 302
    assert "The report is not ready yet." in client.get(response["Location"]).content.decode()


def test_clinic_admins_see_reports_that_failed_and_retry_them(course: Course, world: World, queued: list[int]) -> None:
    job = ask(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk).job
    ReportJob.objects.filter(pk=job.pk).update(status=ReportStatus.FAILED, error="The PDF could not be made.")
    queued.clear()
    admin = signed_in(world.admin1)
    page = admin.get("/staff/reports/attention/").content.decode()
    assert "The PDF could not be made." in page
    listed = AuditEvent.objects.get(action="clinic.report.failed_list")
    assert listed.details == {"shown": 1, "patients": [course.patient.pk]}
    assert f'action="/staff/reports/{job.pk}/retry/"' in page
    assert course.patient.mrn in page
    for other in (world.nurse1, world.front_desk1, world.patient_a_user):
        client = signed_in(other)
        assert client.get("/staff/reports/attention/").status_code == 404
        assert client.post(f"/staff/reports/{job.pk}/retry/").status_code == 404
    with committed():
        retried = admin.post(f"/staff/reports/{job.pk}/retry/", **HTMX)
    assert retried.status_code == 200
    html = retried.content.decode()
    assert "is being prepared again" in html
    assert "Every report asked for has been made." in html
    assert queued == [job.pk]
    job.refresh_from_db()
    assert job.status == ReportStatus.PENDING
    assert signed_in(world.admin1).post(f"/staff/reports/{job.pk}/retry/").status_code == 302


def test_a_lost_job_is_listed_with_what_to_check(course: Course, world: World, clock: Clock) -> None:
    ask(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk)
    clock.advance(minutes=20)
    page = signed_in(world.admin1).get("/staff/reports/attention/").content.decode()
    assert "check that the worker for reports is running" in page
    assert "Try again" in page


def test_another_sites_admin_does_not_see_the_job(course: Course, world: World) -> None:
    from clinic.models import Role
    from tests.factories import staff

    job = ask(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk).job
    ReportJob.objects.filter(pk=job.pk).update(status=ReportStatus.FAILED, error="Broken.")
    admin2 = staff(Role.CLINIC_ADMIN, world.site2, username="admin2")
    client = signed_in(admin2)
    assert "Broken." not in client.get("/staff/reports/attention/").content.decode()
    assert client.post(f"/staff/reports/{job.pk}/retry/").status_code == 404


def test_the_admin_lists_the_sites_jobs_read_only_and_retries_failed_ones(
    course: Course, world: World, queued: list[int]
) -> None:
    from clinic.models import Role
    from tests.factories import staff

    job = ask(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk).job
    ReportJob.objects.filter(pk=job.pk).update(status=ReportStatus.FAILED, error="Broken.")
    queued.clear()
    admin = signed_in(world.admin1)
    listing = admin.get("/admin/clinic/reportjob/").content.decode()
    assert f"/admin/clinic/reportjob/{job.pk}/change/" in listing
    detail = admin.get(f"/admin/clinic/reportjob/{job.pk}/change/").content.decode()
    assert "Broken." in detail
    assert job.file_token not in detail  # the stored file's name is not shown
    assert 'name="_save"' not in detail  # read-only
    other = signed_in(staff(Role.CLINIC_ADMIN, world.site2, username="admin2"))
    assert f"/admin/clinic/reportjob/{job.pk}/change/" not in other.get("/admin/clinic/reportjob/").content.decode()
    with committed():
        admin.post("/admin/clinic/reportjob/", {"action": "retry_failed", "_selected_action": [job.pk], "index": 0})
    job.refresh_from_db()
    assert job.status == ReportStatus.PENDING
    assert queued == [job.pk]


def test_the_operations_page_gets_the_reports_section_as_a_panel(course: Course, world: World) -> None:
    from django.test import RequestFactory

    from clinic import panels

    job = ask(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk).job
    ReportJob.objects.filter(pk=job.pk).update(status=ReportStatus.FAILED, error="Broken.")
    request = RequestFactory().get("/staff/operations/")
    request.user = world.admin1
    [section] = panels.render_context("operations", cast(Any, request), None, clinical=True)
    assert section["template"] == "staff/reports/attention.html"
    assert [row["job"] for row in section["report_rows"]] == [job]
    request.user = world.nurse1
    assert panels.render_context("operations", cast(Any, request), None, clinical=True) == []
