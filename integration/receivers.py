"""What integration does when other apps announce an event (clinic.events), registered in IntegrationConfig.ready.

Thin, like a task: each receiver calls one service, which decides and audits."""

from __future__ import annotations

from clinic.events import AssessmentRecorded
from integration import reminders, services


def watch_relapse(event: AssessmentRecorded) -> None:
    """A questionnaire was recorded (staff page, API or portal): run the relapse watch (clinical protocol §5), which
    opens a maintenance evaluation for the care team when the patient's scores rise after their course."""
    services.evaluate_relapse_watch(patient=event.patient_id)


def close_questionnaire(event: AssessmentRecorded) -> None:
    """A questionnaire was answered: the patient's open questionnaire on it closes and its nudges are cancelled."""
    reminders.questionnaire_answered(
        patient_id=event.patient_id, assessment_id=event.assessment_id, instrument=event.instrument
    )
