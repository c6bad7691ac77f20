"""Report jobs: requested once per identical request, rendered by the task into one stored file (again and again if
the task runs twice), failed with a sentence, retried by a clinic administrator, downloaded; each step audited."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from pathlib import Path
from typing import Any, cast

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import AuditEvent, Patient, ReportJob, ReportStatus
from clinic.reports import kinds, queries, services, tasks
from clinic.reports.models import REPORT_TRANSITIONS
from clinic.settings import CELERY_TASK_QUEUES
from tests.clinic.reports.support import Course, ask, committed, files_under, run_queued
from tests.conftest import World
from tests.sessions.conftest import Clock

pytestmark = pytest.mark.django_db


def summary(of: Course) -> services.RequestedReport:
    return ask(of.clinic.nurse, of.patient, "course_summary", course=of.course.pk)


def actions(job: ReportJob) -> list[str]:
    """The job's audit entries, sorted (the frozen clock gives them one time)."""
    events = AuditEvent.objects.filter(object_id=str(job.pk), object_type="clinic.reportjob")
    return sorted(events.values_list("action", flat=True))


def test_a_request_is_queued_on_the_reports_queue_after_commit(course: Course, queued: list[int]) -> None:
    requested = summary(course)
    assert requested.created
    job = requested.job
    assert (job.kind, job.parameters, job.status, job.requested_by) == (
        "course_summary",
        {"course": course.course.pk},
        ReportStatus.PENDING,
        course.clinic.nurse,
    )
    assert job.subject == "Standard induction (6 IV infusions, twice weekly), from May 4, 2026 (active)"
    assert queued == [job.pk]
    assert tasks.render_report.queue == "reports"
    assert "reports" in {queue.name for queue in CELERY_TASK_QUEUES}  # workers consume it without -Q
    event = AuditEvent.objects.get(action="clinic.report.request")
    assert (event.actor, event.patient_id, event.details) == (
        course.clinic.nurse,
        course.patient.pk,
        {"kind": "course_summary", "course": course.course.pk, "existing": False},
    )


def test_an_identical_request_returns_the_pending_job(course: Course, queued: list[int]) -> None:
    first = summary(course)
    again = ask(course.clinic.prescriber, course.patient, "course_summary", course=str(course.course.pk))
    assert not again.created
    assert again.job.pk == first.job.pk
    assert queued == [first.job.pk]  # queued once
    other = ask(course.clinic.nurse, course.patient, "session_record", session=course.sessions[0].pk)
    assert other.created
    assert ReportJob.objects.count() == 2
    run_queued(queued)
    assert summary(course).created  # once ready, a new request makes a fresh report


def test_the_database_refuses_a_second_pending_job_for_one_request(course: Course) -> None:
    job = summary(course).job
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportJob.objects.create(
            patient=job.patient, kind=job.kind, parameters=job.parameters, request_key=job.request_key
        )


def test_the_task_run_twice_leaves_one_ready_job_and_one_file(course: Course, queued: list[int], media: Path) -> None:
    job = summary(course).job
    tasks.render_report.run(job.pk)
    job.refresh_from_db()
    first_name, first_sha = job.file.name, job.sha256
    tasks.render_report.run(job.pk)  # a redelivered message: renders again, overwrites
    job.refresh_from_db()
    assert job.status == ReportStatus.READY
    assert ReportJob.objects.count() == 1
    assert job.file.name == first_name
    [stored] = files_under(media)
    data = stored.read_bytes()
    assert data.startswith(b"%PDF-")
    assert job.sha256 == hashlib.sha256(data).hexdigest()
    assert job.size_bytes == len(data)
    assert job.protocol_version == "NORTH-v1"
    assert job.attempts == 2
    assert job.ready_at is not None
    assert first_sha  # the first run stored a file too, overwritten by the second
    assert actions(job) == ["clinic.report.ready", "clinic.report.ready", "clinic.report.request"]


def test_the_file_name_is_random_and_says_nothing_about_the_patient(course: Course, queued: list[int]) -> None:
    job = summary(course).job
    run_queued(queued)
    job.refresh_from_db()
    name = job.file.name
    assert name.startswith("reports/")
    assert name.endswith(".pdf")
    token = name.removeprefix("reports/").removesuffix(".pdf")
    assert len(token) >= 32
    for revealing in (course.patient.mrn, course.patient.family_name, "course"):
        assert revealing not in token
    assert summary(course).job.file_token != job.file_token


def test_stored_files_are_not_served_as_media_or_static(course: Course, queued: list[int]) -> None:
    job = summary(course).job
    run_queued(queued)
    job.refresh_from_db()
    client = Client()
    client.force_login(course.clinic.nurse)
    assert client.get(f"/media/{job.file.name}").status_code == 404
    assert client.get(f"/static/{job.file.name}").status_code == 404


def test_a_failing_builder_fails_the_job_with_its_sentence(course: Course, queued: list[int]) -> None:
    def broken(patient: Patient, parameters: kinds.Parameters) -> kinds.ReportContent:
        raise kinds.ReportUnavailable("There is nothing to print for this patient yet.")

    kinds.register(kinds.ReportKind(name="empty_kind", label="Empty", template="pdf/report.html", build=broken))
    job = ask(course.clinic.nurse, course.patient, "empty_kind").job
    [job] = run_queued(queued)
    assert (job.status, job.error) == (ReportStatus.FAILED, "There is nothing to print for this patient yet.")
    assert not job.file
    assert actions(job) == ["clinic.report.fail", "clinic.report.request"]
    tasks.render_report.run(job.pk)  # a failed job waits for a retry: a stray message changes nothing
    job.refresh_from_db()
    assert job.status == ReportStatus.FAILED
    assert job.attempts == 1


def test_an_unexpected_error_fails_the_job_without_showing_it(
    course: Course, queued: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    def crashing(patient: Patient, parameters: kinds.Parameters) -> kinds.ReportContent:
        raise KeyError("secret internals")

    kinds.register(kinds.ReportKind(name="crashing", label="Crashing", template="pdf/report.html", build=crashing))
    ask(course.clinic.nurse, course.patient, "crashing")
    [job] = run_queued(queued)
    assert job.status == ReportStatus.FAILED
    assert job.error == services.UNEXPECTED_FAILURE
    assert "secret internals" not in job.error
    assert "could not be made" in caplog.text  # the traceback goes to the log


def test_a_task_for_a_job_that_does_not_exist_does_nothing(db: None) -> None:
    assert tasks.render_report.run(987654) is None


def test_a_clinic_admin_retries_a_failed_job(course: Course, queued: list[int], world: World) -> None:
    def flaky(patient: Patient, parameters: kinds.Parameters) -> kinds.ReportContent:
        raise kinds.ReportUnavailable("Not yet.")

    kinds.register(kinds.ReportKind(name="flaky", label="Flaky", template="pdf/report.html", build=flaky))
    ask(course.clinic.nurse, course.patient, "flaky")
    [job] = run_queued(queued)
    with pytest.raises(NotAllowed):
        services.retry_report(by=course.clinic.nurse, job=job)
    with committed():
        services.retry_report(by=world.admin1, job=job)
    job.refresh_from_db()
    assert (job.status, job.error) == (ReportStatus.PENDING, "")
    assert queued == [job.pk]
    retry = AuditEvent.objects.get(action="clinic.report.retry")
    assert (retry.actor, retry.details) == (world.admin1, {"status": "failed", "error": "Not yet."})
    with pytest.raises(Conflict) as refused:
        services.retry_report(by=world.admin1, job=job)  # pending, and not lost: nothing to retry
    assert refused.value.code == "report_not_retryable"


def test_a_job_whose_task_was_lost_can_be_retried_after_a_while(
    course: Course, queued: list[int], world: World, clock: Clock
) -> None:
    job = summary(course).job
    queued.clear()  # the message never reached a worker
    assert not queries.jobs_needing_attention(world.admin1).exists()
    clock.advance(minutes=16)
    assert list(queries.jobs_needing_attention(world.admin1)) == [job]
    assert not queries.jobs_needing_attention(world.nurse1).exists()  # an operations list for administrators
    with committed():
        services.retry_report(by=world.admin1, job=job)
    assert queued == [job.pk]
    [job] = run_queued(queued)
    assert job.status == ReportStatus.READY


def test_a_download_before_ready_is_refused_and_after_is_audited(course: Course, queued: list[int]) -> None:
    job = summary(course).job
    with pytest.raises(Conflict) as refused:
        services.open_report(by=course.clinic.nurse, job=job, via="test")
    assert refused.value.code == "report_not_ready"
    [job] = run_queued(queued)
    report = services.open_report(by=course.clinic.nurse, job=job, via="test")
    with report.file:
        assert hashlib.sha256(report.file.read()).hexdigest() == job.sha256
    assert report.filename == f"course-summary-{course.patient.mrn}-2026-05-11.pdf"
    download = AuditEvent.objects.get(action="clinic.report.download")
    assert (download.actor, download.patient_id, download.details["via"]) == (
        course.clinic.nurse,
        course.patient.pk,
        "test",
    )


def test_a_missing_file_is_refused_in_a_sentence(course: Course, queued: list[int]) -> None:
    summary(course)
    [job] = run_queued(queued)
    job.file.storage.delete(job.file.name)
    with pytest.raises(Conflict, match="missing"):
        services.open_report(by=course.clinic.nurse, job=job, via="test")


@pytest.mark.parametrize(
    ("kind", "parameters", "field", "message"),
    [
        ("summary", {}, "kind", "Choose one of the reports this clinic makes: course_summary, session_record"),
        ("course_summary", {}, "course", "Say which course of this patient the course summary is for."),
        ("course_summary", {"course": "abc"}, "course", "Say which course"),
        ("course_summary", {"course": 999999}, "course", "This patient has no such course for a course summary."),
        ("session_record", {"session": 1, "course": 1}, "course", "A session record is not made for a course"),
        ("relapse_plan", {"session": 1}, "session", "A relapse-prevention plan is not made for a dosing session"),
    ],
)
def test_bad_requests_name_the_field(
    course: Course, kind: str, parameters: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.request_report(by=course.clinic.nurse, patient=course.patient, kind=kind, parameters=parameters)
    assert message in " ".join(refused.value.errors[field])
    assert not ReportJob.objects.exists()


def test_another_patients_course_cannot_be_asked_for(course: Course, world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.request_report(
            by=world.prescriber1,
            patient=world.patient_b,
            kind="course_summary",
            parameters={"course": course.course.pk},
        )
    assert "course" in refused.value.errors


def test_a_role_the_kind_does_not_allow_is_refused(course: Course, world: World) -> None:
    with pytest.raises(NotAllowed, match="The REMS monitoring form is not available to you"):
        services.request_report(
            by=world.therapist1, patient=course.patient, kind="rems_form", parameters={"session": 1}
        )
    with pytest.raises(NotAllowed):
        services.request_report(by=world.front_desk1, patient=course.patient, kind="relapse_plan", parameters={})


def test_status_changes_follow_the_workflow(course: Course) -> None:
    job = summary(course).job
    with pytest.raises(Conflict, match="A report that is being prepared cannot become being prepared"):
        job.set_status(ReportStatus.PENDING)
    assert REPORT_TRANSITIONS[ReportStatus.FAILED] == {ReportStatus.PENDING}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "Course summary"}, "must look like course_summary"),
        ({"parameter": "course"}, "give `choices` exactly when"),
        ({"parameter": "episode", "choices": lambda patient: []}, "the parameter must be one of"),
        ({"staff_roles": frozenset({"front_desk"})}, "only clinical roles"),
    ],
)
def test_a_kind_is_checked_when_it_is_declared(change: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"name": "a_kind", "label": "A kind", "template": "pdf/report.html", "build": print}
    with pytest.raises(ValueError, match=message):
        kinds.ReportKind(**cast(Any, {**fields, **change}))


def test_kinds_by_role(world: World) -> None:
    names = {
        user: [kind.name for kind in queries.kinds_for(getattr(world, user))]
        for user in ("nurse1", "therapist1", "front_desk1", "patient_a_user", "admin1")
    }
    assert names == {
        "nurse1": ["course_summary", "session_record", "relapse_plan", "rems_form"],
        "therapist1": ["course_summary", "session_record", "relapse_plan"],
        "front_desk1": [],
        "patient_a_user": ["course_summary", "relapse_plan"],
        "admin1": ["course_summary", "session_record", "relapse_plan", "rems_form"],
    }
    assert queries.kinds_for(world.patient_a_user, world.patient_b) == []


def test_reports_are_listed_newest_first_per_request(course: Course, queued: list[int], clock: Clock) -> None:
    first = summary(course).job
    run_queued(queued)
    clock.advance(minutes=5)
    second = summary(course).job
    latest = queries.latest_jobs_by_request(course.clinic.nurse, course.patient)
    assert latest == {first.request_key: second}
    assert queries.recent_jobs(course.clinic.nurse, course.patient) == [second, first]
    assert second.created_at - first.created_at == dt.timedelta(minutes=5)


def test_html_in_a_title_is_printed_as_text_and_loads_nothing(course: Course, queued: list[int]) -> None:
    kinds.register(
        kinds.ReportKind(
            name="leaky",
            label="Leaky",
            template="pdf/report.html",
            build=lambda patient, parameters: kinds.ReportContent(
                title='<img src="file:///etc/passwd">', context={}, protocol_version="v1"
            ),
        )
    )
    ask(course.clinic.nurse, course.patient, "leaky")
    [job] = run_queued(queued)
    # The title is text: nothing is fetched, the report is made.
    assert job.status == ReportStatus.READY


def test_a_template_that_links_outside_static_files_fails_the_job(
    course: Course, queued: list[int], caplog: pytest.LogCaptureFixture, settings: Any, tmp_path: Path
) -> None:
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "leaky.html").write_text(
        '{% extends "pdf/report.html" %}{% block content %}<img src="file:///etc/passwd">{% endblock %}'
    )
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    kinds.register(
        kinds.ReportKind(
            name="leaky",
            label="Leaky",
            template="pdf/leaky.html",
            build=lambda patient, parameters: kinds.ReportContent(title="Leaky", context={}, protocol_version="v1"),
        )
    )
    ask(course.clinic.nurse, course.patient, "leaky")
    [job] = run_queued(queued)
    assert (job.status, job.error) == (ReportStatus.FAILED, services.LAYOUT_FAILURE)
    assert "/etc/passwd" in caplog.text
