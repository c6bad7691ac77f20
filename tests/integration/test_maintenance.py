"""Outcomes of the latest course and the maintenance evaluations the relapse watch opens, through the services."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection
from django.http import Http404

from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import AuditEvent, Notification
from clinic.protocol import DEFAULT_PROTOCOL
from clinic.services import publish_protocol_version
from integration import services
from integration.models import EvaluationStatus, EvaluationTrigger, MaintenanceEvaluation
from integration.outcomes import RelapseReason
from tests.factories import patient_user
from tests.integration.conftest import Integ, phq9, stopped_course
from tests.sessions.conftest import ny


def test_outcomes_of_a_stopped_course_with_the_relapse_watch(integ: Integ) -> None:
    course = stopped_course(integ, baseline=18)
    integ.phq9(4, ny(2026, 5, 14, 10))
    integ.phq9(8, ny(2026, 5, 21, 10))
    view = services.outcome_summary(integ.prescriber, integ.patient)
    summary = view.summary
    assert (summary.instrument, summary.course_id, summary.baseline) == ("phq9", course.pk, 18)
    assert summary.latest is not None
    assert summary.latest.total == 8
    assert summary.nadir is not None
    assert summary.nadir.total == 4
    assert summary.response is True
    assert summary.remission is False
    assert summary.relapse_watch.triggered is False  # 4 above the nadir
    assert view.open_evaluation is None
    assert AuditEvent.objects.filter(action="integration.outcomes.view", actor=integ.prescriber).exists()


def test_the_last_score_before_the_stop_day_is_not_after_the_course(integ: Integ) -> None:
    stopped_course(integ)
    integ.phq9(2, ny(2026, 5, 6, 10))  # before the course's end date: during the course
    integ.phq9(6, ny(2026, 5, 8, 10))
    summary = services.outcome_summary(integ.nurse, integ.patient).summary
    assert summary.nadir is not None
    assert summary.nadir.total == 6


def test_a_rise_of_five_opens_one_evaluation_and_tells_the_care_team(integ: Integ) -> None:
    course = stopped_course(integ)
    integ.phq9(3, ny(2026, 5, 14, 10))
    assert services.evaluate_relapse_watch(patient=integ.patient) is None
    trigger = integ.phq9(8, ny(2026, 5, 21, 10))
    result = services.evaluate_relapse_watch(patient=integ.patient)
    assert result is not None
    assert result.created
    evaluation = result.evaluation
    assert evaluation.trigger == EvaluationTrigger.RISE_FROM_NADIR
    assert evaluation.trigger_assessment_id == trigger
    assert evaluation.course_id == course.pk
    assert evaluation.trigger_details["nadir"]["total"] == 3
    assert evaluation.status == EvaluationStatus.OPEN
    assert Notification.objects.filter(recipient=integ.therapist, patient=integ.patient).count() == 1
    assert AuditEvent.objects.filter(action="integration.maintenanceevaluation.open").count() == 1
    assert services.outcome_summary(integ.therapist, integ.patient).open_evaluation == evaluation


def test_a_second_assessment_does_not_open_a_second_evaluation_while_one_is_open(integ: Integ) -> None:
    stopped_course(integ)
    integ.phq9(9, ny(2026, 5, 14, 10))
    integ.phq9(10, ny(2026, 5, 21, 10))  # 9 -> 10 crosses the threshold
    first = services.evaluate_relapse_watch(patient=integ.patient)
    assert first is not None
    assert first.created
    assert first.evaluation.trigger == RelapseReason.CROSSED_THRESHOLD
    integ.phq9(15, ny(2026, 5, 28, 10))  # 6 above the nadir: would trigger again
    second = services.evaluate_relapse_watch(patient=integ.patient)
    assert second is not None
    assert second.created is False
    assert second.evaluation == first.evaluation
    assert MaintenanceEvaluation.objects.count() == 1


def test_a_resolved_evaluation_is_not_reopened_by_the_same_score(integ: Integ) -> None:
    stopped_course(integ)
    integ.phq9(2, ny(2026, 5, 14, 10))
    integ.phq9(9, ny(2026, 5, 21, 10))
    opened = services.evaluate_relapse_watch(patient=integ.patient)
    assert opened is not None
    services.resolve_maintenance_evaluation(by=integ.prescriber, evaluation=opened.evaluation, outcome="booster_booked")
    assert services.evaluate_relapse_watch(patient=integ.patient) is None  # e.g. a GAD-7 recorded later
    integ.phq9(12, ny(2026, 5, 28, 10))
    reopened = services.evaluate_relapse_watch(patient=integ.patient)
    assert reopened is not None
    assert reopened.created
    assert MaintenanceEvaluation.objects.count() == 2


def test_no_course_or_a_running_course_opens_nothing(integ: Integ) -> None:
    integ.phq9(3, ny(2026, 5, 6, 10))
    integ.phq9(20, ny(2026, 5, 7, 10))
    assert services.evaluate_relapse_watch(patient=integ.patient) is None
    view = services.outcome_summary(integ.therapist, integ.patient)
    assert view.summary.course_id is None
    assert view.summary.latest is not None
    assert view.summary.latest.total == 20


def test_a_prescriber_resolves_with_an_outcome_and_no_action_needs_a_reason(integ: Integ) -> None:
    opened = services.open_maintenance_evaluation(
        by=integ.therapist, patient=integ.patient, reason="Fictional: patient reports low mood again."
    )
    assert opened.created
    assert opened.evaluation.trigger == EvaluationTrigger.MANUAL
    again = services.open_maintenance_evaluation(by=integ.nurse, patient=integ.patient, reason="Same concern.")
    assert again.created is False
    evaluation = opened.evaluation
    with pytest.raises(NotAllowed):
        services.resolve_maintenance_evaluation(by=integ.therapist, evaluation=evaluation, outcome="no_action")
    with pytest.raises(InvalidInput) as raised:
        services.resolve_maintenance_evaluation(by=integ.prescriber, evaluation=evaluation, outcome="no_action")
    assert raised.value.errors == {"reason": ["Say why no action is needed."]}
    with pytest.raises(InvalidInput) as raised:
        services.resolve_maintenance_evaluation(by=integ.prescriber, evaluation=evaluation, outcome="wait")
    assert set(raised.value.errors) == {"outcome"}
    resolved = services.resolve_maintenance_evaluation(
        by=integ.prescriber, evaluation=evaluation.pk, outcome="no_action", reason=" Mood improved at follow-up. "
    )
    assert (resolved.status, resolved.outcome, resolved.reason) == (
        "resolved",
        "no_action",
        "Mood improved at follow-up.",
    )
    assert resolved.resolved_by == integ.prescriber
    with pytest.raises(Conflict) as conflict:
        services.resolve_maintenance_evaluation(by=integ.prescriber, evaluation=evaluation, outcome="plan_changed")
    assert conflict.value.code == "already_resolved"
    assert [e.pk for e in services.maintenance_evaluations_for(integ.nurse, integ.patient)] == [evaluation.pk]
    assert AuditEvent.objects.filter(action="integration.maintenanceevaluation.resolve").count() == 1


def test_resolving_moves_the_status_through_the_workflow_and_keeps_the_outcome_with_it(integ: Integ) -> None:
    evaluation = services.open_maintenance_evaluation(
        by=integ.nurse, patient=integ.patient, reason="Fictional: low mood at follow-up."
    ).evaluation
    assert evaluation.may_become("resolved")
    assert not evaluation.may_become("open")
    resolved = services.resolve_maintenance_evaluation(
        by=integ.prescriber, evaluation=evaluation, outcome="plan_changed", reason="Fictional: therapy weekly."
    )
    assert not resolved.may_become("open")
    assert not resolved.may_become("resolved")
    stored = MaintenanceEvaluation.objects.get(pk=evaluation.pk)
    assert (stored.status, stored.outcome, stored.resolved_by) == ("resolved", "plan_changed", integ.prescriber)
    change = AuditEvent.objects.get(action="integration.maintenanceevaluation.status")
    assert change.details == {"from": "open", "to": "resolved", "reason": "Fictional: therapy weekly."}
    assert change.actor == integ.prescriber


def test_reading_outcomes_leaves_the_active_protocol_version_unused(integ: Integ) -> None:
    stopped_course(integ)
    version = publish_protocol_version(
        by=None, site=integ.clinic.site, settings=DEFAULT_PROTOCOL.to_json(), change_summary="Nothing used it."
    )
    integ.phq9(3, ny(2026, 5, 14, 10))
    version.refresh_from_db()
    assert version.first_used_at is not None  # recording a questionnaire is a decision (its scoring)
    newer = publish_protocol_version(
        by=None, site=integ.clinic.site, settings=DEFAULT_PROTOCOL.to_json(), change_summary="Still unused."
    )
    services.outcome_summary(integ.prescriber, integ.patient)
    assert services.evaluate_relapse_watch(patient=integ.patient) is None  # quiet: decides nothing
    newer.refresh_from_db()
    assert newer.first_used_at is None
    integ.clock.set(ny(2026, 5, 21, 11))
    phq9(integ.patient, integ.nurse, 9, ny(2026, 5, 21, 10))
    opened = services.evaluate_relapse_watch(patient=integ.patient)
    assert opened is not None
    assert opened.evaluation.protocol_version == newer  # the version whose numbers decided


def test_opening_by_hand_needs_a_reason_and_a_clinical_role(integ: Integ) -> None:
    with pytest.raises(InvalidInput):
        services.open_maintenance_evaluation(by=integ.therapist, patient=integ.patient, reason=" ")
    for user in (integ.front_desk, integ.other_therapist, integ.admin):
        with pytest.raises(Http404):
            services.open_maintenance_evaluation(by=user, patient=integ.patient, reason="Not mine.")
    with pytest.raises(Http404):
        services.resolve_maintenance_evaluation(by=integ.prescriber, evaluation=999_999, outcome="booster_booked")


def test_the_patient_sees_their_outcomes_but_not_the_evaluations(integ: Integ) -> None:
    services.open_maintenance_evaluation(by=integ.therapist, patient=integ.patient, reason="Fictional concern.")
    user = patient_user(integ.patient)
    view = services.outcome_summary(user, integ.patient)
    assert view.open_evaluation is None
    with pytest.raises(Http404):
        services.maintenance_evaluations_for(user, integ.patient)
    with pytest.raises(Http404):
        services.outcome_summary(integ.front_desk, integ.patient)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_assessments_open_one_evaluation(integ: Integ, require_postgres: None) -> None:
    """Four connections record a rising PHQ-9 at once (portal, clinic, API); each commit runs the relapse watch
    (clinic.events), and one evaluation opens, whichever watch runs first."""
    stopped_course(integ)
    integ.phq9(3, ny(2026, 5, 14, 10))
    integ.clock.set(ny(2026, 5, 21, 11))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def record(total: int) -> None:
        try:
            barrier.wait(timeout=10)
            phq9(integ.patient, integ.nurse, total, ny(2026, 5, 21, 10))
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=record, args=(total,)) for total in (9, 10, 11, 12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert integ.patient.assessments.filter(instrument="phq9", administered_at=ny(2026, 5, 21, 10)).count() == 4
    assert MaintenanceEvaluation.objects.filter(patient=integ.patient).count() == 1
    assert Notification.objects.filter(recipient=integ.therapist, patient=integ.patient).count() == 1
