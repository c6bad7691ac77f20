"""Helpers of the report tests, shared with the portal and browser tests: the report kinds registered as the apps
will register them, queued renders recorded instead of sent, and patient A of the permission matrix with a real
course (two discharged IV sessions, PHQ-9 scores, an adverse event) made through the services."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdf
import pytest
from django.db.models import Model
from django.test import TestCase
from django.utils import timezone

from clinic.models import Patient, ReportJob, User
from clinic.reports import kinds, tasks
from clinic.reports import services as services_
from intake import services as intake_services
from sessions import reports as session_reports
from sessions import services
from sessions.models import DosingSession, TreatmentCourse
from tests.conftest import World
from tests.factories import ChairFactory
from tests.intake.factories import clear_for_dosing
from tests.sessions.conftest import NOW, Clinic, Clock, advance_to, ny

# The permission matrix of patient A's clinical reports (the world of tests/conftest.py): who gets in; everyone else
# gets 404. Patients get their documents in the portal only.
MAY_GET_PATIENT_A_REPORTS = {
    "patient_a": False,
    "patient_b": False,
    "prescriber1": True,
    "nurse1": True,
    "nurse2": False,  # another site
    "therapist1": True,  # on patient A's care team
    "therapist_unassigned": False,
    "front_desk1": False,  # never clinical reports
    "admin1": True,
}
PHQ9_SEVERE = [3, 3, 2, 2, 2, 2, 2, 2, 0]  # 18
PHQ9_MILD = [1, 1, 1, 1, 1, 0, 1, 0, 0]  # 6


def pdf_text(data: bytes) -> list[str]:
    """The text of each page, as pypdf extracts it."""
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def register_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kinds as TreatmentSessionsConfig.ready() registers them, and a stand-in for the integration app's relapse
    plan (so that these tests need no plan; the real one is tested in tests/integration/test_reports.py), without
    the integration part of the course summary. The registry is restored after the test."""
    monkeypatch.setattr(kinds, "_kinds", {})
    monkeypatch.setattr(kinds, "_sections", {})
    session_reports.register()
    kinds.register(
        kinds.ReportKind(
            name="relapse_plan",
            label="Relapse-prevention plan",
            template="pdf/relapse-plan.html",
            build=relapse_plan_for_tests,
            patient_may_download=True,
            order=30,
        )
    )


def relapse_plan_for_tests(patient: Patient, parameters: kinds.Parameters) -> kinds.ReportContent:
    """What the integration app's builder returns (integration/reports.py documents the contract), for any patient."""
    return kinds.ReportContent(
        title="Relapse-prevention plan",
        protocol_version=f"{patient.site.code}-v1",
        context={
            "plan": {
                "revision": 2,
                "updated": "2026-05-04",
                "review_date": "2026-08-02",
                "sections": [
                    {"heading": "Warning signs", "items": ["Sleeping badly for <three> nights", "Skipping meals"]},
                    {"heading": "Things I can do on my own", "items": ["Walk to the river"]},
                    {"heading": "Making my surroundings safe", "items": []},
                ],
                "maintenance_criteria": "A PHQ-9 of 10 or more, or 5 points above my lowest.",
            },
            "care_team": [{"name": "Theo Therapist", "role": "Therapist"}],
        },
    )


def record_queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The job ids whose render was queued (after commit); nothing reaches a broker. Tests run the renders
    themselves (`run_queued`), as a worker would."""
    sent: list[int] = []

    def record(args: Any = None, kwargs: Any = None, **options: Any) -> None:
        sent.append(args[0])

    monkeypatch.setattr(tasks.render_report, "apply_async", record)
    return sent


def committed() -> Any:
    """A block whose on-commit callbacks (the queued render) run at its end, as after a real commit."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def ask(by: User, patient: Patient, kind: str, **parameters: Any) -> services_.RequestedReport:
    """Request a report and commit, so that its render is queued (see record_queued)."""
    with committed():
        return services_.request_report(by=by, patient=patient, kind=kind, parameters=parameters)


def ready_report(by: User, patient: Patient, kind: str, **parameters: Any) -> ReportJob:
    """A ready job without the seconds a render takes (for tests about who gets it): a stand-in PDF stored by the
    service, as the task stores a real one."""
    job = services_.request_report(by=by, patient=patient, kind=kind, parameters=parameters).job
    return services_.store_report(job.pk, b"%PDF-1.4 stand-in for a rendered report", "TEST-v1")


def run_queued(queued: list[int]) -> list[ReportJob]:
    """Run the queued renders in order, as a worker would, and forget them."""
    for job_id in queued:
        tasks.render_report.run(job_id)
    done = [ReportJob.objects.get(pk=job_id) for job_id in queued]
    queued.clear()
    return done


def freeze_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """django.utils.timezone.now frozen at the sessions tests' NOW (Monday 4 May 2026, 08:00 in New York)."""
    frozen = Clock(NOW)
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


def body_of(response: Any) -> bytes:
    """A response's bytes. Reading a download to its end is what closes its file (and ends the request the way a
    WSGI server does); calling close() again would close the test's database connection on PostgreSQL."""
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@dataclass
class Course:
    """Patient A's course: six sessions booked, the first two dosed and discharged."""

    course: TreatmentCourse
    sessions: list[DosingSession]
    clinic: Clinic

    @property
    def patient(self) -> Patient:
        return self.clinic.patient


def _fresh(record: Model) -> Any:
    record.refresh_from_db()
    return record


def clinic_of(world: World) -> Clinic:
    """Site 1 of the permission matrix as the sessions tests' Clinic, with two chairs, patient A cleared for dosing."""
    clinic = Clinic(
        site=world.site1,
        chair=ChairFactory(site=world.site1, name="Chair 1"),
        chair2=ChairFactory(site=world.site1, name="Chair 2"),
        nurse=world.nurse1,
        prescriber=world.prescriber1,
        front_desk=world.front_desk1,
        therapist=world.therapist1,
        patient=world.patient_a,
    )
    clear_for_dosing(clinic.patient, nurse=clinic.nurse, prescriber=clinic.prescriber)
    return clinic


def make_course(world: World, clock: Clock) -> Course:
    """Patient A (site 1) cleared for dosing, a standard induction from Monday 4 May 2026 (Mon and Thu, 09:00),
    its first two sessions dosed and discharged, PHQ-9 18 before the course and 6 after, one adverse event whose
    note holds HTML. The clock ends on Monday 11 May, noon."""
    clinic = clinic_of(world)
    intake_services.record_assessment(
        by=clinic.nurse, patient=clinic.patient, instrument="phq9", answers=PHQ9_SEVERE, administered_at=ny(2026, 5, 1)
    )
    booked = services.book_course(
        by=clinic.front_desk,
        patient=_fresh(clinic.patient),
        template="standard_induction",
        start_date=dt.date(2026, 5, 4),
        weekdays=[0, 3],
        local_time=dt.time(9, 0),
        chair=clinic.chair,
    )
    sessions = list(booked.sessions.order_by("start"))
    advance_to(clinic, sessions[0], "discharged", clock)
    services.record_adverse_event(
        by=clinic.nurse,
        session=sessions[0],
        kind="nausea_vomiting",
        severity="mild",
        action_taken="Ondansetron 4 mg given",
        notes="<b>Felt</b> queasy & pale",
    )
    clock.set(ny(2026, 5, 7, 8, 30))
    advance_to(clinic, sessions[1], "discharged", clock)
    clock.set(ny(2026, 5, 11, 12))
    intake_services.record_assessment(
        by=clinic.nurse, patient=clinic.patient, instrument="phq9", answers=PHQ9_MILD, administered_at=ny(2026, 5, 11)
    )
    return Course(course=_fresh(booked), sessions=[_fresh(s) for s in sessions], clinic=clinic)
