"""The four documents: each renders, and its text (pypdf) holds the patient's name, MRN and date of birth on every
page, the generation time and protocol version, and the clinical content (dose, lot, scores, findings). Text from
people (a name, a note) is printed as typed, never interpreted as HTML."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinic.models import Patient, ReportStatus
from clinic.reports import kinds, services
from integration import reports as integration_reports
from sessions import services as session_services
from tests.clinic.reports.support import Course, ask, clinic_of, pdf_text, run_queued
from tests.conftest import World
from tests.sessions.conftest import Clock
from tests.sessions.test_rems import run_esketamine

pytestmark = pytest.mark.django_db


def render(of: Course, kind: str, **parameters: int) -> list[str]:
    requested = services.request_report(by=of.clinic.nurse, patient=of.patient, kind=kind, parameters=parameters)
    data, _ = services.render(requested.job)
    assert data.startswith(b"%PDF-")
    return pdf_text(data)


def assert_every_page_names_the_patient(pages: list[str], patient: Patient, protocol_version: str) -> None:
    for number, text in enumerate(pages, start=1):
        assert f"{patient.given_name} {patient.family_name} · MRN {patient.mrn} · Date of birth May 17, 1980" in text
        assert f"Page {number} of {len(pages)}" in text
        assert f"Generated Mon, May 11, 2026, 12:00 PM EDT · Protocol version {protocol_version}" in text


def test_the_course_summary(course: Course) -> None:
    pages = render(course, "course_summary", course=course.course.pk)
    assert_every_page_names_the_patient(pages, course.patient, "NORTH-v1")
    text = "\n".join(pages)
    assert "Course summary: Standard induction (6 IV infusions, twice weekly), from May 4, 2026" in pages[0]
    assert "Decision Eligible (decided)" in text  # the screening
    # Each session's dose, route and lot, in the overview and in the session's own pages
    assert "1 Mon, May 4, 2026, 9:00 AM EDT IV infusion 35.0 mg LOT-1 Discharged 10 of 10" in text
    assert "2 Thu, May 7, 2026, 9:00 AM EDT IV infusion 35.0 mg LOT-1 Discharged 10 of 10" in text
    assert "Dose 35.0 mg (0.5 mg/kg)" in text
    assert "8:00 AM Before dosing 124/78 72 98 % Proceed" in text  # the vitals table
    assert "systolic alert > 180" in text  # ... and its chart
    assert "Nausea / vomiting: <b>Felt</b> queasy & pale Mild Ondansetron 4 mg given" in text  # the note as typed
    assert "Modified Aldrete 10 of 10" in text
    assert "Baseline PHQ-9 18 before the first dose" in text
    assert "Fri, May 1, 2026 18 moderately severe" in text  # the outcome table
    assert "Mon, May 11, 2026 6 mild" in text
    assert "remission below 5" in text  # ... and its chart
    assert "The integration summary is not part of this report yet." in text


def test_the_course_summary_prints_the_integration_part_another_app_adds(course: Course) -> None:
    def summary(patient: Patient, parameters: kinds.Parameters) -> dict[str, object]:
        assert parameters == {"course": course.course.pk}
        return {
            "outcome": ["Response: PHQ-9 fell from 18 to 6 (67 %)."],
            "notes": [
                {
                    "date": "2026-05-05",
                    "modality": "IFS",
                    "therapist": "Theo Therapist",
                    "duration": "60 min",
                    "phq9": 12,
                    "key": ["Parts: <b>Critic</b> (manager)"],
                    "plan": "Meet the <manager> part again",
                },
            ],
            "relapse_plan": {"revision": 2, "updated": "2026-05-08", "review_date": "2026-08-06"},
        }

    kinds.register_section("course_summary", "integration_summary", summary)
    text = "\n".join(render(course, "course_summary", course=course.course.pk))
    assert "Response: PHQ-9 fell from 18 to 6 (67 %)." in text
    assert "IFS sessions" in text
    row = "2026-05-05 Theo Therapist 60 min 12 Parts: <b>Critic</b> (manager) Meet the <manager> part again"
    assert row in " ".join(text.split())  # cells wrap inside their column
    assert "Relapse-prevention plan: revision 2 of 2026-05-08, to be reviewed by 2026-08-06." in text
    assert "not part of this report yet" not in text


def test_the_session_record_with_the_dose_calculation(course: Course) -> None:
    pages = render(course, "session_record", session=course.sessions[0].pk)
    assert_every_page_names_the_patient(pages, course.patient, "NORTH-v1")
    text = "\n".join(pages)
    assert "Session record: IV infusion, Mon, May 4, 2026, 9:00 AM EDT" in pages[0]
    assert "Check-in 8:00 AM; fasting OK; escort confirmed" in text
    assert "Dose 35.0 mg (0.5 mg/kg)" in text
    assert "Lot number LOT-1" in text
    assert "Dose 35.0 mg = 0.5 mg/kg x 70.0 kg" in text.replace("\n", " ")  # the calculation's steps
    assert "Thu 2026-05-07" not in text  # one session only


def test_the_relapse_plan_is_plain_large_and_starts_with_crisis_resources(course: Course) -> None:
    course.patient.site.phone = "555-0100"
    course.patient.site.save()
    pages = render(course, "relapse_plan")
    assert_every_page_names_the_patient(pages, course.patient, "NORTH-v1")
    text = pages[0]
    assert text.index("If you are in crisis") < text.index("Warning signs")
    assert "Call or text 988 (Suicide & Crisis Lifeline)" in text
    assert "call 911 or go to the nearest emergency department" in text.replace("\n", " ")
    assert "North Test Site: 555-0100" in text
    assert "Sleeping badly for <three> nights" in text
    assert "Nothing written here yet." in text  # an empty section says so


def test_the_rems_form(world: World, clock: Clock) -> None:
    session = run_esketamine(clinic_of(world), clock)
    requested = services.request_report(
        by=world.prescriber1, patient=world.patient_a, kind="rems_form", parameters={"session": session.pk}
    )
    data, protocol_version = services.render(requested.job)
    pages = pdf_text(data)
    text = "\n".join(pages)
    assert "Esketamine REMS Patient Monitoring Form" in text
    assert f"{world.patient_a.given_name} {world.patient_a.family_name} · MRN {world.patient_a.mrn}" in pages[0]
    assert "56.0 mg" in text
    assert "ESK-7" in text
    assert "142/82 mmHg at 8:40 AM" in text
    assert "Yes: CADSS-6 total 3 at 8:40 AM" in text
    assert "Form due Mon, May 11, 2026" in text
    assert "Submitted Not yet" in text
    assert protocol_version == "NORTH-v1"


def test_html_in_a_patients_name_is_printed_as_typed(course: Course) -> None:
    Patient.objects.filter(pk=course.patient.pk).update(given_name="<i>Alpha</i>", family_name="O'Neil & <Sons>")
    course.patient.refresh_from_db()
    pages = render(course, "session_record", session=course.sessions[1].pk)
    for text in pages:
        assert "<i>Alpha</i> O'Neil & <Sons> · MRN" in text


def test_the_integration_app_s_relapse_plan_refuses_in_a_sentence_without_a_plan(
    course: Course, queued: list[int]
) -> None:
    integration_reports.register()  # what IntegrationConfig.ready() does (the conftest starts from a bare registry)
    requested = ask(course.clinic.nurse, course.patient, "relapse_plan")
    [job] = run_queued(queued)
    assert job.status == ReportStatus.FAILED
    assert job.error == "There is no relapse-prevention plan yet."
    assert requested.job.pk == job.pk
    ask(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk)
    [summary] = run_queued(queued)
    assert summary.status == ReportStatus.READY  # with its integration part (tests/integration/test_reports.py)


def test_a_session_without_a_dose_says_so(course: Course, clock: Clock) -> None:
    third = course.sessions[2]
    session_services.check_in(
        by=course.clinic.nurse, session=third, fasting_solids_hours=Decimal(8), fasting_clear_liquids_hours=Decimal(3),
        escort_confirmed=True,
    )  # fmt: skip
    text = "\n".join(render(course, "session_record", session=third.pk))
    assert "No dose was given." in text
    assert "No vital signs were recorded." in text
    assert "Not discharged." in text
