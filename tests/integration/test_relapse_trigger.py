"""The relapse watch runs whenever an assessment is recorded, on every path (staff page, API, portal): intake
announces it through clinic.events after its transaction commits, and integration's receiver opens one maintenance
evaluation for the care team (clinical protocol §5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from clinic import events
from clinic.models import Notification, User
from integration.models import EvaluationStatus, MaintenanceEvaluation
from tests.conftest import api_as
from tests.factories import patient_user
from tests.integration.conftest import Integ, phq9_answers, stopped_course
from tests.sessions.conftest import ny, signed_in


def staff_page(integ: Integ, total: int) -> int:
    """A nurse enters the patient's PHQ-9 on the intake page."""
    answers = {f"item_{i + 1}": str(v) for i, v in enumerate(phq9_answers(total))}
    response = signed_in(integ.nurse).post(f"/staff/patients/{integ.patient.pk}/intake/questionnaires/phq9/", answers)
    return int(response.status_code)


def api(integ: Integ, total: int) -> int:
    body = {"instrument": "phq9", "answers": phq9_answers(total)}
    return int(
        api_as(integ.therapist)
        .post(f"/api/v1/patients/{integ.patient.pk}/assessments/", body, format="json")
        .status_code
    )


def portal(integ: Integ, total: int) -> int:
    client = Client()
    client.force_login(User.objects.get(patient=integ.patient))
    answers = {f"item_{i + 1}": str(v) for i, v in enumerate(phq9_answers(total))}
    return int(client.post("/portal/questionnaires/phq9/", answers).status_code)


PATHS: dict[str, Callable[[Integ, int], int]] = {"staff page": staff_page, "API": api, "portal": portal}


@pytest.mark.parametrize("path", PATHS)
def test_recording_a_rising_score_opens_one_evaluation_for_the_care_team(
    integ: Integ, path: str, django_capture_on_commit_callbacks: Any
) -> None:
    patient_user(integ.patient)
    stopped_course(integ)
    integ.phq9(3, ny(2026, 5, 14, 10))  # the nadir after the course
    integ.clock.set(ny(2026, 5, 21, 10))
    with django_capture_on_commit_callbacks(execute=True):
        assert PATHS[path](integ, 9) in (201, 302)  # 6 above the nadir
    evaluation = MaintenanceEvaluation.objects.get(patient=integ.patient)
    assert (evaluation.status, evaluation.trigger, evaluation.opened_by) == (
        EvaluationStatus.OPEN,
        "rise_from_nadir",
        None,
    )
    alert = Notification.objects.get(recipient=integ.therapist, patient=integ.patient)
    assert alert.link == f"/staff/patients/{integ.patient.pk}/#integration"
    assert "Maintenance evaluation" in alert.title
    home = signed_in(integ.therapist).get("/staff/").content.decode()
    assert "Maintenance evaluations to decide" in home
    assert f"/staff/patients/{integ.patient.pk}/#integration" in home

    integ.clock.set(ny(2026, 5, 28, 10))
    with django_capture_on_commit_callbacks(execute=True):
        assert PATHS[path](integ, 12) in (201, 302)  # would trip the watch again
    assert MaintenanceEvaluation.objects.filter(patient=integ.patient).count() == 1
    assert Notification.objects.filter(recipient=integ.therapist, patient=integ.patient).count() == 1


def test_a_quiet_score_opens_nothing_and_the_home_shows_no_card(
    integ: Integ, django_capture_on_commit_callbacks: Any
) -> None:
    stopped_course(integ)
    integ.phq9(3, ny(2026, 5, 14, 10))
    integ.clock.set(ny(2026, 5, 21, 10))
    with django_capture_on_commit_callbacks(execute=True):
        assert api(integ, 6) == 201  # 3 above the nadir, still below 10
    assert not MaintenanceEvaluation.objects.exists()
    assert "Maintenance evaluations to decide" not in signed_in(integ.therapist).get("/staff/").content.decode()


def test_a_failing_receiver_never_loses_the_recorded_answers(
    integ: Integ, django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: events.AssessmentRecorded) -> None:
        raise RuntimeError("a receiver bug")

    events.on_assessment_recorded.register(broken, key="test.broken")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert api(integ, 4) == 201
    finally:
        events.on_assessment_recorded.unregister(broken, key="test.broken")
    assert integ.patient.assessments.filter(instrument="phq9", total=4).exists()
    assert "a receiver bug" in caplog.text


def test_the_event_names_the_assessment_and_who_recorded_it(
    integ: Integ, django_capture_on_commit_callbacks: Any
) -> None:
    heard: list[events.AssessmentRecorded] = []
    events.on_assessment_recorded.register(heard.append, key="test.heard")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert api(integ, 4) == 201
    finally:
        events.on_assessment_recorded.unregister(heard.append, key="test.heard")
    assessment = integ.patient.assessments.get(total=4)
    assert heard == [events.AssessmentRecorded(integ.patient.pk, assessment.pk, "phq9", integ.therapist.pk)]


def test_the_relapse_watch_alert_is_emailed_to_the_care_team_without_clinical_words(
    integ: Integ, django_capture_on_commit_callbacks: Any, mailoutbox: list[Any]
) -> None:
    from clinic.reminders import delivery

    integ.therapist.email = "therapist@example.invalid"
    integ.therapist.save()
    stopped_course(integ)
    integ.phq9(3, ny(2026, 5, 14, 10))
    integ.clock.set(ny(2026, 5, 21, 10))
    with django_capture_on_commit_callbacks(execute=True):
        integ.phq9(12, ny(2026, 5, 21, 10))
    assert MaintenanceEvaluation.objects.filter(patient=integ.patient).count() == 1
    delivery.run_pass()
    [message] = [m for m in mailoutbox if m.to == ["therapist@example.invalid"]]
    assert message.subject == "New care-team alert in KAP Clinic"
    text = message.body + str(message.alternatives)
    for word in ("relapse", "PHQ", "maintenance", integ.patient.mrn, integ.patient.family_name):
        assert word not in text
    note = Notification.objects.get(recipient=integ.therapist, patient=integ.patient)
    assert note.delivered_at is not None
