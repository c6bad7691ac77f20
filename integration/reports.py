"""The integration app's part of the PDF reports (clinic.reports): the patient's relapse-prevention plan, and the
integration summary inside the sessions app's course summary. `register()` adds them (from IntegrationConfig.ready()).

Builders only read, in the Celery worker, without a requester: the report's request and its download are checked and
audited by clinic.reports, so the reads here are neither scoped to a user nor audited as views. They read the
integration app's own models, and the sessions and intake records through integration/sources.py. Every date is the
day at the patient's site. The templates (templates/pdf/relapse-plan.html and the "Integration" part of
templates/pdf/course-summary.html) get exactly the dictionaries documented below.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinic import pdf
from clinic.domain import local_day, site_zone
from clinic.models import Patient, ProtocolVersion, User
from clinic.reports.kinds import Parameters, ReportContent, ReportKind, ReportUnavailable, register_section
from clinic.reports.kinds import register as add
from clinic.services import current_protocol
from integration import sources
from integration.charts import STAFF_WORDING, outcome_chart_svg
from integration.modalities import Modality, key_values
from integration.models import (
    MODALITY_CHOICES,
    PATIENT_PLAN_HEADINGS,
    IntegrationNote,
    MaintenanceEvaluation,
    NoteStatus,
    RelapsePlanRevision,
)
from integration.outcomes import Score, describe, summarize
from integration.panels import INSTRUMENT_LABELS

NO_PLAN = "There is no relapse-prevention plan yet."
# The outcome chart of the summary starts this long before the course, to show the scores that led to it.
CHART_DAYS_BEFORE = 60
MODALITY_ORDER = {m.value: position for position, m in enumerate((Modality.EMDR, Modality.ART, Modality.IFS))}
MODALITY_NAMES = dict(MODALITY_CHOICES)


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _day(patient: Patient, at: dt.datetime) -> str:
    return local_day(patient.site, at).isoformat()


def _latest_revision(patient: Patient) -> RelapsePlanRevision | None:
    revisions = RelapsePlanRevision.objects.filter(plan__patient=patient).select_related("protocol_version__site")
    return revisions.order_by("-number").first()


def _protocol_label(revision: RelapsePlanRevision, patient: Patient) -> str:
    """The version the revision was written under; for a revision from before that was kept, the site's version in
    force when it was written."""
    if revision.protocol_version is not None:
        return revision.protocol_version.label
    versions = ProtocolVersion.objects.filter(site=patient.site).select_related("site").order_by("-number")
    version = versions.filter(created_at__lte=revision.created_at).first() or versions.first()
    return version.label if version is not None else f"{patient.site.code}-v1"


def relapse_plan(patient: Patient, parameters: Parameters) -> ReportContent:
    """The newest revision of the patient's relapse-prevention plan (clinical protocol §7), for the patient:

    {"plan": {"revision": int, "updated": "YYYY-MM-DD", "review_date": "YYYY-MM-DD",
              "sections": [{"heading", "items": [str]}],   the Stanley-Brown sections in plan order, in plain words
              "maintenance_criteria": str},
     "care_team": [{"name", "role"}]}

    for templates/pdf/relapse-plan.html; ReportUnavailable when the patient has no plan.
    """
    revision = _latest_revision(patient)
    if revision is None:
        raise ReportUnavailable(NO_PLAN)
    team = patient.care_team.select_related("user").order_by("-is_primary", "added_at", "pk")
    return ReportContent(
        title="Relapse-prevention plan",
        protocol_version=_protocol_label(revision, patient),
        context={
            "plan": {
                "revision": revision.number,
                "updated": _day(patient, revision.created_at),
                "review_date": revision.review_date.isoformat(),
                "sections": [
                    {"heading": heading, "items": list(getattr(revision, name) or [])}
                    for name, heading in PATIENT_PLAN_HEADINGS
                ],
                "maintenance_criteria": revision.maintenance_criteria,
            },
            "care_team": [{"name": _name(m.user), "role": m.get_role_display().lower()} for m in team],
        },
    )


# --- The integration part of the course summary -----------------------------------------------------------------


def _note_row(note: IntegrationNote, patient: Patient) -> dict[str, Any]:
    return {
        "date": _day(patient, note.started_at),
        "modality": MODALITY_NAMES.get(note.modality, note.modality),
        "therapist": _name(note.author),
        "duration": f"{note.duration_min} min",
        "phq9": note.phq9_total,
        "key": key_values(note.modality, note.structured or {}),
        "plan": note.plan,
    }


def _in_window(scores: list[Score], first: dt.datetime, until: dt.datetime | None) -> list[Score]:
    return [s for s in scores if s.at >= first and (until is None or s.at < until)]


def _evaluation_sentence(patient: Patient, course_id: int) -> str | None:
    evaluation = (
        MaintenanceEvaluation.objects.filter(patient=patient, course_id=course_id).order_by("-opened_at", "-pk").first()
    )
    if evaluation is None:
        return None
    opened = _day(patient, evaluation.opened_at)
    if evaluation.is_open:
        return f"A maintenance evaluation by the care team is open since {opened}."
    resolved = _day(patient, evaluation.resolved_at) if evaluation.resolved_at else opened
    outcome = evaluation.get_outcome_display()
    return f"The maintenance evaluation opened on {opened} was resolved on {resolved}: {outcome}."


def integration_summary(patient: Patient, parameters: Parameters) -> dict[str, Any] | None:
    """The integration part of the course summary of course `parameters["course"]`:

        {"outcome": [str],    sentences from integration.outcomes.describe: response, remission, the lowest
                              score after the course and the relapse watch, and the maintenance evaluation
         "chart": the PHQ-9 and GAD-7 chart (SVG, safe) or "",
         "notes": [{"date", "modality", "therapist", "duration", "phq9", "key": [str], "plan"}],
                              the signed notes that follow the course's dosing sessions, by modality then date
         "relapse_plan": {"revision", "updated", "review_date"} | None}

    (templates/pdf/course-summary.html). Never the notes' narrative: a course summary may go to the patient. None
    (the part is left out) when the course is not the patient's; the sessions part then refuses the report.
    """
    site = patient.site
    window = sources.course_window(patient.pk, parameters["course"], site.time_zone)
    if window is None:
        return None
    zone = site_zone(site)
    protocol = current_protocol(site)
    rules = protocol.outcomes
    instrument = rules.baseline_instrument
    first = dt.datetime.combine(window.start_date - dt.timedelta(days=CHART_DAYS_BEFORE), dt.time(0), tzinfo=zone)
    until = dt.datetime.combine(window.next_start_date, dt.time(0), tzinfo=zone) if window.next_start_date else None
    scores = {name: _in_window(sources.scores(patient.pk, name), first, until) for name in {instrument, "phq9", "gad7"}}
    summary = summarize(instrument, window.course, scores[instrument], rules)
    outcome = describe(
        summary,
        window.course,
        rules,
        label=INSTRUMENT_LABELS.get(instrument, instrument),
        day=lambda at: _day(patient, at),
        first_dose=window.dosed_at[0] if window.dosed_at else None,
    )
    if evaluation := _evaluation_sentence(patient, window.course.course_id):
        outcome.append(evaluation)
    chart = outcome_chart_svg(
        phq9=scores["phq9"],
        gad7=scores["gad7"],
        dosings=window.dosed_at,
        baseline=summary.baseline if instrument == "phq9" else None,
        rules=rules,
        tz=zone,
        wording=STAFF_WORDING,
        chart_id="integration-outcome",
    )
    notes = IntegrationNote.objects.filter(
        patient=patient, status=NoteStatus.SIGNED, dosing_session__course_id=window.course.course_id
    ).select_related("author")
    ordered = sorted(notes, key=lambda n: (MODALITY_ORDER.get(n.modality, len(MODALITY_ORDER)), n.started_at, n.pk))
    revision = _latest_revision(patient)
    return {
        "outcome": outcome,
        "chart": pdf.chart_for_pdf(chart) if chart else "",
        "notes": [_note_row(note, patient) for note in ordered],
        "relapse_plan": revision
        and {
            "revision": revision.number,
            "updated": _day(patient, revision.created_at),
            "review_date": revision.review_date.isoformat(),
        },
    }


def register() -> None:
    """Called from IntegrationConfig.ready()."""
    add(
        ReportKind(
            name="relapse_plan",
            label="Relapse-prevention plan",
            template="pdf/relapse-plan.html",
            build=relapse_plan,
            patient_may_download=True,
            description="The patient's plan in plain words and large type, with crisis resources.",
            order=30,
        )
    )
    register_section("course_summary", "integration_summary", integration_summary)
