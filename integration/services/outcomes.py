"""Outcomes of the patient's latest course (clinical protocol §5): baseline, latest, response, remission, the nadir
and the relapse watch after the course, and the chart of PHQ-9 and GAD-7 over time. Reads only (the relapse watch
that opens evaluations is integration/services/maintenance.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from clinic import audit
from clinic.domain import site_zone
from clinic.models import Patient, User
from clinic.protocol import Protocol
from clinic.services import current_protocol
from integration import sources
from integration.charts import Wording, outcome_chart_svg
from integration.models import EvaluationStatus, MaintenanceEvaluation
from integration.outcomes import Course, OutcomeSummary, Score, summarize
from integration.permissions import can_read_notes, can_read_outcomes
from integration.services._common import visible_patient

CHART_INSTRUMENTS = ("phq9", "gad7")


def summary_of(patient: Patient, protocol: Protocol, course: Course | None = None) -> OutcomeSummary:
    """The outcome of the patient's latest course (`course`, read when not given) on the protocol's baseline
    instrument (no access check, no audit: for the services)."""
    instrument = protocol.outcomes.baseline_instrument
    course = course or sources.latest_course(patient.pk, patient.site.time_zone)
    return summarize(instrument, course, sources.scores(patient.pk, instrument), protocol.outcomes)


def open_evaluation_of(patient: Patient) -> MaintenanceEvaluation | None:
    return MaintenanceEvaluation.objects.filter(patient=patient, status=EvaluationStatus.OPEN).first()


@dataclass(frozen=True)
class OutcomeChart:
    """The chart as SVG ("" without scores) and the scores it draws, for a table beside it."""

    svg: str
    scores: dict[str, list[Score]] = field(default_factory=dict)
    dosings: int = 0


@dataclass(frozen=True)
class OutcomeView:
    summary: OutcomeSummary
    open_evaluation: MaintenanceEvaluation | None
    chart: OutcomeChart | None = None
    course: Course | None = None

    @property
    def course_ended(self) -> bool:
        return self.course is not None and self.course.ended_since is not None


def _chart(by: User, patient: Patient, summary: OutcomeSummary, protocol: Protocol, wording: Wording) -> OutcomeChart:
    scores = {instrument: sources.scores(patient.pk, instrument) for instrument in CHART_INSTRUMENTS}
    dosings = [s.dosing_started_at for s in sources.dosing_sessions(by, patient) if s.dosing_started_at is not None]
    svg = outcome_chart_svg(
        phq9=scores["phq9"],
        gad7=scores["gad7"],
        dosings=dosings,
        baseline=summary.baseline if summary.instrument == "phq9" else None,
        rules=protocol.outcomes,
        tz=site_zone(patient.site),
        wording=wording,
    )
    return OutcomeChart(svg, scores, len(dosings))


def outcome_summary(by: User, patient: Patient | int, *, chart: Wording | None = None) -> OutcomeView:
    """Baseline, latest, response, remission, nadir and the relapse watch of the patient's latest course, with the
    open maintenance evaluation (for the care team, not for the patient) and, with `chart`, the chart in those
    words. Audited integration.outcomes.view."""
    patient_id = patient.pk if isinstance(patient, Patient) else patient
    patient = visible_patient(by, patient, allowed=can_read_outcomes(by, patient_id))
    protocol = current_protocol(patient.site)
    course = sources.latest_course(patient.pk, patient.site.time_zone)
    summary = summary_of(patient, protocol, course)
    evaluation = open_evaluation_of(patient) if can_read_notes(by) else None
    audit.record(
        "integration.outcomes.view",
        patient=patient,
        actor=by,
        details={"course": summary.course_id, "relapse_watch": summary.relapse_watch.triggered},
    )
    drawn = _chart(by, patient, summary, protocol, chart) if chart is not None else None
    return OutcomeView(summary, evaluation, drawn, course)
