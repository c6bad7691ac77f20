"""The integration app's PDF reports, rendered through the real path (the registered kinds, clinic.reports' render,
WeasyPrint) and read back with pypdf: the patient's relapse-prevention plan, and the integration part of the course
summary (outcome sentences and chart, the course's signed notes by modality with their key values, the plan)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from clinic.models import Patient, ReportStatus, User
from clinic.protocol import Outcomes
from clinic.reports import kinds, services, tasks
from integration import reports
from integration import services as integration_services
from integration.modalities import key_values
from integration.outcomes import Course, Score, describe, summarize
from sessions.models import DosingSession, TreatmentCourse
from tests.clinic.reports.support import pdf_text
from tests.integration.conftest import Integ, stopped_course
from tests.sessions.conftest import ny

pytestmark = pytest.mark.django_db

PLAN: dict[str, Any] = {
    "warning_signs": ["Sleeping past noon", "<b>Not</b> answering the phone"],
    "coping_strategies": ["Walk the fictional dog"],
    "distractions": [],
    "people_to_ask": ["Sister (fictional), 555-0100 & <i>her</i> partner"],
    "professionals": ["Care team"],
    "safe_environment": ["Medication kept by partner"],
    "maintenance_criteria": "A PHQ-9 5 points above my lowest, or 10 and more.",
}
IFS: dict[str, Any] = {
    "parts": [
        {"name": "<b>Critic</b>", "type": "manager", "body_location": "jaw", "fears": "failing"},
        {"name": "Little one", "type": "exile", "body_location": "belly", "fears": "being left"},
    ],
    "feel_toward": "curious",
    "self_energy": ["curious", "calm"],
    "permission_granted": True,
    "unburdening_steps": ["witness", "retrieve"],
    "updated_roles": "",
}
NARRATIVE = "Fictional narrative that a course summary never prints."


def text_of(data: bytes) -> tuple[list[str], str]:
    """The pages as pypdf reads them, and the whole text with each run of white space as one space (table cells
    wrap inside their column)."""
    pages = pdf_text(data)
    return pages, " ".join(" ".join(pages).split())


def render(by: User, patient: Patient, kind: str, **parameters: int) -> tuple[list[str], str, str]:
    requested = services.request_report(by=by, patient=patient, kind=kind, parameters=parameters)
    data, protocol_version = services.render(requested.job)
    assert data.startswith(b"%PDF-")
    return *text_of(data), protocol_version


def assert_every_page_names_the_patient(pages: list[str], patient: Patient) -> None:
    for number, page in enumerate(pages, start=1):
        assert f"{patient.given_name} {patient.family_name} · MRN {patient.mrn}" in page
        assert f"Page {number} of {len(pages)}" in page


def test_both_are_registered_by_the_app() -> None:
    kind = kinds.get("relapse_plan")
    assert kind is not None
    assert kind.build is reports.relapse_plan
    assert kind.patient_may_download
    assert kinds.sections("course_summary")["integration_summary"] is reports.integration_summary


# --- The relapse-prevention plan --------------------------------------------------------------------------------


def test_the_relapse_plan_prints_the_newest_revision_in_plain_words(integ: Integ) -> None:
    integ.patient.site.phone = "555-0199"
    integ.patient.site.save()
    first = {**PLAN, "distractions": ["Old"]}
    integration_services.revise_relapse_plan(by=integ.therapist, patient=integ.patient, data=first)
    integ.clock.advance(days=2)
    integration_services.revise_relapse_plan(by=integ.prescriber, patient=integ.patient, data=PLAN)
    pages, text, protocol_version = render(integ.nurse, integ.patient, "relapse_plan")
    assert_every_page_names_the_patient(pages, integ.patient)
    assert protocol_version == "INTG-v1"
    assert "Protocol version INTG-v1" in text
    # Crisis resources first, then the sections in the plan's order, in the patient's words
    assert text.index("If you are in crisis") < text.index("Warning signs that things are getting harder")
    assert "Call or text 988 (Suicide & Crisis Lifeline)" in text
    assert "call 911 or go to the nearest emergency department" in text
    assert "Your clinic, INTG Test Site: 555-0199" in text
    headings = [
        "Warning signs that things are getting harder",
        "Things I can do on my own to feel better",
        "People and places that take my mind off things",
        "People I can ask for help",
        "Professionals and services I can contact",
        "Making my surroundings safe",
    ]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    # The items as typed: HTML stays text
    assert "<b>Not</b> answering the phone" in text
    assert "Sister (fictional), 555-0100 & <i>her</i> partner" in text
    assert "Walk the fictional dog" in text
    assert "Old" not in text.split()  # the first revision's entry is gone from the newest one
    assert "Nothing written here yet." in text  # the emptied section says so
    assert "A PHQ-9 5 points above my lowest, or 10 and more." in text
    assert "Theo Therapist, therapist" in text  # the care team
    assert "This is version 2 of my plan, from 2026-05-07. We will look at it again by 2026-08-05." in text


def test_a_patient_without_a_plan_gets_a_clear_refusal(integ: Integ, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    requested = services.request_report(by=integ.nurse, patient=integ.patient, kind="relapse_plan", parameters={})
    with pytest.raises(kinds.ReportUnavailable, match=r"^There is no relapse-prevention plan yet\.$"):
        services.render(requested.job)
    tasks.render_report.run(requested.job.pk)  # as the worker runs it
    requested.job.refresh_from_db()
    assert (requested.job.status, requested.job.error) == (
        ReportStatus.FAILED,
        "There is no relapse-prevention plan yet.",
    )


def test_the_worker_stores_the_plan_as_a_ready_pdf(integ: Integ, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    integration_services.revise_relapse_plan(by=integ.therapist, patient=integ.patient, data=PLAN)
    requested = services.request_report(by=integ.therapist, patient=integ.patient, kind="relapse_plan", parameters={})
    tasks.render_report.run(requested.job.pk)
    requested.job.refresh_from_db()
    assert requested.job.status == ReportStatus.READY
    assert requested.job.protocol_version == "INTG-v1"
    with requested.job.file.open("rb") as stored:
        _, text = text_of(stored.read())
    assert f"MRN {integ.patient.mrn}" in text
    assert "Sleeping past noon" in text


# --- The integration part of the course summary ------------------------------------------------------------------


def course_with_notes(integ: Integ, django_capture_on_commit_callbacks: Any) -> TreatmentCourse:
    """A course dosed once on Thursday 7 May 2026 (baseline PHQ-9 18) and stopped that afternoon, with a signed EMDR
    and a signed IFS note after its dose, a draft, a signed note after the earlier session outside the course, a
    plan, and PHQ-9 6 (the nadir) then 12: the relapse watch opened an evaluation on 21 May."""
    outside = integ.draft(plan="Outside the course: not in its summary.")
    integration_services.sign_note(by=integ.therapist, note=outside)
    course = stopped_course(integ)  # the clock is at 7 May, 15:00
    session = DosingSession.objects.filter(course=course, dose__isnull=False).get()
    notes = [
        integ.draft(modality="ifs", emdr=None, ifs=IFS, dosing_session=session.pk, started_at=ny(2026, 5, 7, 14),
                    duration_min=60, narrative=NARRATIVE, plan="<script>alert(1)</script> Meet the <manager> again"),
        integ.draft(dosing_session=session.pk, started_at=ny(2026, 5, 7, 12), narrative=NARRATIVE),
    ]  # fmt: skip
    for note in notes:
        integration_services.sign_note(by=integ.therapist, note=note)
    integ.draft(dosing_session=session.pk, started_at=ny(2026, 5, 7, 13), plan="A draft is not in the summary.")
    integration_services.revise_relapse_plan(by=integ.therapist, patient=integ.patient, data=PLAN)
    integ.phq9(6, ny(2026, 5, 14, 10))
    with django_capture_on_commit_callbacks(execute=True):
        integ.phq9(12, ny(2026, 5, 21, 10))
    return course


def test_the_course_summary_includes_the_integration_part(
    integ: Integ, django_capture_on_commit_callbacks: Any
) -> None:
    course = course_with_notes(integ, django_capture_on_commit_callbacks)
    pages, text, _ = render(integ.nurse, integ.patient, "course_summary", course=course.pk)
    assert_every_page_names_the_patient(pages, integ.patient)
    assert "The integration summary is not part of this report yet." not in text
    # The outcome and the relapse watch
    assert "No response yet: PHQ-9 went from 18 to 12; a response is a fall of 50 % or more." in text
    assert "Not in remission: the latest PHQ-9, 12 on 2026-05-21, is 5 or more." in text
    assert "Lowest PHQ-9 since the course ended: 6 on 2026-05-14." in text
    assert "Relapse watch: PHQ-9 12 on 2026-05-21 is 6 points above the lowest (the watch opens at 5)." in text
    assert "A maintenance evaluation by the care team is open since 2026-05-21." in text
    assert "PHQ-9 response: 9 or lower (baseline 18)" in text  # the chart's response line
    assert "PHQ-9 and GAD-7 totals over time" in text
    # The course's signed notes, by modality, with their key values and plan; never the narrative
    assert text.index("EMDR sessions") < text.index("IFS sessions")
    rows = "".join(text.split())  # a long cell wraps anywhere, "</" and "script>" on two lines
    emdr = (
        "2026-05-07 Theo Therapist 75 min 18 Target: A fictional storm at sea; phase: desensitisation; SUD 7 to 2; "
        "VOC 5; 14 bilateral sets; target not complete yet Continue with the same target next week."
    )
    ifs = (
        "2026-05-07 Theo Therapist 60 min 18 Parts: <b>Critic</b> (manager), Little one (exile); Self-energy: "
        "curious, calm; permission granted; unburdening: witness, retrieve <script>alert(1)</script> Meet the "
        "<manager> again"
    )
    assert "".join(emdr.split()) in rows
    assert "".join(ifs.split()) in rows
    assert NARRATIVE not in text
    assert "Outside the course" not in text
    assert "A draft is not in the summary." not in text
    assert "Relapse-prevention plan: revision 1 of 2026-05-07, to be reviewed by 2026-08-05." in text


def test_a_running_course_without_notes_says_so(integ: Integ) -> None:
    course = stopped_course(integ)
    TreatmentCourse.objects.filter(pk=course.pk).update(status="active", end_date=None)
    summary = reports.integration_summary(integ.patient, {"course": course.pk})
    assert summary is not None
    assert (summary["notes"], summary["relapse_plan"]) == ([], None)
    assert summary["outcome"] == [
        "Baseline PHQ-9 18; no score has been recorded since.",  # the baseline itself is no outcome
        "Relapse watch: it begins when the course ends.",
    ]
    _, text, _ = render(integ.nurse, integ.patient, "course_summary", course=course.pk)
    assert "No signed integration note." in text
    assert "Relapse watch: it begins when the course ends." in text


def test_another_patients_course_is_left_out(integ: Integ) -> None:
    course = stopped_course(integ)
    other = integ.clinic.cleared_patient(given_name="Other")
    assert reports.integration_summary(other, {"course": course.pk}) is None


# --- The words (pure) ---------------------------------------------------------------------------------------------

UTC = dt.UTC
ENDED = dt.datetime(2026, 5, 7, 12, tzinfo=UTC)
DOSE = dt.datetime(2026, 5, 4, 9, tzinfo=UTC)


def words(course: Course, totals: list[tuple[int, int]], instrument: str = "phq9") -> list[str]:
    """describe() of `course` with scores (day of May 2026, total)."""
    rules = Outcomes(baseline_instrument=instrument)
    scores = [Score(dt.datetime(2026, 5, day, 10, tzinfo=UTC), total) for day, total in totals]
    summary = summarize(instrument, course, scores, rules)
    return describe(summary, course, rules, label=instrument.upper(), day=lambda at: f"{at:%m-%d}", first_dose=DOSE)


def test_the_sentences_of_response_remission_and_the_threshold() -> None:
    ended = Course(1, "completed", 18, ENDED)
    assert words(ended, [(1, 18), (8, 4), (9, 9), (10, 10)]) == [
        "No response yet: PHQ9 went from 18 to 10; a response is a fall of 50 % or more.",
        "Not in remission: the latest PHQ9, 10 on 05-10, is 5 or more.",
        "Lowest PHQ9 since the course ended: 4 on 05-08.",
        "Relapse watch: PHQ9 10 on 05-10 is 6 points above the lowest (the watch opens at 5).",
    ]
    assert words(ended, [(1, 18), (8, 8), (9, 9), (10, 10)])[-1] == (
        "Relapse watch: PHQ9 reached 10 on 05-10, 10 or more after a score below 10."
    )
    assert words(ended, [(1, 18), (8, 4)]) == [
        "Response: PHQ9 fell from 18 to 4 (78 %).",
        "Remission: the latest PHQ9, 4 on 05-08, is below 5.",
        "Lowest PHQ9 since the course ended: 4 on 05-08.",
        "Relapse watch: no sign of relapse since the course ended.",
    ]
    assert words(ended, [(1, 18), (6, 12)])[-1] == "The course ended on 05-07; no PHQ9 score has been recorded since."
    assert words(Course(1, "active", None), [(5, 12)]) == [
        "No baseline PHQ9 was recorded before the course's first dose.",
        "Not in remission: the latest PHQ9, 12 on 05-05, is 5 or more.",
        "Relapse watch: it begins when the course ends.",
    ]
    assert words(Course(1, "active", 30, None), [(1, 30), (5, 10)], "madrs")[1] == (
        "Remission: the latest MADRS, 10 on 05-05, is 10 or less."
    )


def test_the_key_values_of_each_modality_leave_out_private_words() -> None:
    art = {"scene": "A fictional lighthouse", "scene_private": False, "sud_before": 8, "sud_after": None,
           "sensations": ["warmth"], "image_replacement_completed": True, "eye_movement_sets": 1}  # fmt: skip
    assert key_values("art", art) == ["SUD before 8", "1 eye-movement set", "image replacement completed"]
    emdr = {"phase": "body_scan", "voc": 7, "sud_before": None, "sud_after": 0, "bilateral_sets": 0,
            "target_complete": True}  # fmt: skip
    assert key_values("emdr", emdr) == ["phase: body scan", "SUD after 0", "VOC 7", "target complete"]
    assert key_values("ifs", {"parts": [], "self_energy": [], "unburdening_steps": []}) == []
    assert key_values("general", {"anything": 1}) == []
