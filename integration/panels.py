"""Integration's sections on the staff patient page, the staff home and the portal home (clinic.panels), registered
in IntegrationConfig.ready. Each builds its context through integration.services, which scope and audit the reads;
a section the requester may not see is left out (its build returns None)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from clinic import panels
from clinic.models import Patient, Role
from clinic.scoping import is_active_user
from intake import services as intake_services
from intake.instruments import Instrument
from intake.questionnaires import QUESTIONNAIRES
from integration import services, sources
from integration.charts import STAFF_WORDING
from integration.forms import ResolveEvaluationForm
from integration.models import EvaluationTrigger
from integration.permissions import can_read_notes, can_resolve_evaluations, can_write_notes

INSTRUMENT_LABELS = {"phq9": "PHQ-9", "gad7": "GAD-7", "madrs": "MADRS", "qids_sr16": "QIDS-SR16"}


def score_rows(chart: services.OutcomeChart) -> list[dict[str, Any]]:
    """The chart's scores as table rows, newest first (the chart's text alternative)."""
    rows = [
        {"at": score.at, "label": INSTRUMENT_LABELS.get(instrument, instrument), "total": score.total}
        for instrument, scores in chart.scores.items()
        for score in scores
    ]
    return sorted(rows, key=lambda row: row["at"], reverse=True)


def staff_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    """Outcomes of the latest course with the chart, an open maintenance evaluation (with the prescriber's form),
    and the way to the notes and the plan: for the roles that read therapy notes."""
    user = request.user
    if not (is_active_user(user) and can_read_notes(user)):
        return None
    view = services.outcome_summary(user, patient, chart=STAFF_WORDING)
    summary, evaluation = view.summary, view.open_evaluation
    details = evaluation.trigger_details if evaluation is not None else {}
    return {
        "summary": summary,
        "instrument_label": INSTRUMENT_LABELS.get(summary.instrument, summary.instrument),
        "course_ended": view.course_ended,
        "relapse_reason": EvaluationTrigger(summary.relapse_watch.reason).label.lower()
        if summary.relapse_watch.reason
        else "",
        "chart_svg": mark_safe(view.chart.svg) if view.chart else "",  # noqa: S308 - clinic.charts escapes every text
        "score_rows": score_rows(view.chart) if view.chart else [],
        "evaluation": evaluation,
        "trigger_score": details.get("score"),
        "trigger_nadir": details.get("nadir"),
        "can_resolve": can_resolve_evaluations(user),
        "resolve_form": ResolveEvaluationForm(),
        "site_tz": patient.site.time_zone,
    }


def home_evaluations(request: HttpRequest, _patient: None) -> dict[str, Any] | None:
    """The open maintenance evaluations of the user's patients, at the top of the staff home."""
    user = request.user
    if not is_active_user(user):
        return None
    evaluations = services.open_evaluations_for_care_team(user)
    return {"evaluations": evaluations} if evaluations else None


def home_integration_work(request: HttpRequest, _patient: None) -> dict[str, Any] | None:
    """Drafts to sign for whoever writes notes; a therapist also sees their sessions today and their patients."""
    user = request.user
    if not (is_active_user(user) and can_write_notes(user)):
        return None
    drafts = services.drafts_of(user)
    is_therapist = user.role == Role.THERAPIST
    if not drafts and not is_therapist:
        return None
    appointments = sources.appointments_today(user, timezone.now()) if is_therapist else []
    return {
        "drafts": drafts,
        "is_therapist": is_therapist,
        "appointments": appointments,
        "caseload": services.caseload(user) if is_therapist else [],
    }


def portal_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    """The patient's relapse-prevention plan and their progress, on the portal home."""
    user = request.user
    if not is_active_user(user):
        return None
    plan = services.current_relapse_plan(user, patient)
    view = services.outcome_summary(user, patient)
    latest = view.summary.latest
    if plan is None and latest is None:
        return None
    return {
        "plan": plan,
        "latest": latest,
        "plan_url": reverse("portal:relapse_plan"),
        "progress_url": reverse("portal:progress"),
        "site_tz": patient.site.time_zone,
    }


def portal_due_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    """The questionnaire due by the cadence of clinical protocol §5, one tap to start (or to continue a started one),
    at the top of the portal home once it is close enough to its time."""
    user = request.user
    if not is_active_user(user):
        return None
    due = services.questionnaire_due(user, patient, timezone.now())
    if due is None or not due.shown:
        return None
    try:
        questionnaire = QUESTIONNAIRES[Instrument(due.instrument)]
    except (KeyError, ValueError):
        return None  # a clinician-rated baseline instrument (MADRS): not filled in the portal
    return {
        "due": due,
        "questionnaire": questionnaire,
        "started": due.instrument in intake_services.drafts_in_progress(patient),
        "url": reverse("portal:questionnaire", args=[due.instrument]),
        "site": patient.site,
    }


def register() -> None:
    panels.register(panels.Panel("integration", "staff", "staff/integration/panel.html", staff_panel, 30))
    panels.register(
        panels.Panel(
            "integration_evaluations", "staff_home", "staff/integration/home_evaluations.html", home_evaluations, 5
        )
    )
    panels.register(
        panels.Panel(
            "integration_work", "staff_home", "staff/integration/home_therapist.html", home_integration_work, 15
        )
    )
    panels.register(panels.Panel("integration", "portal", "portal/integration/panel.html", portal_panel, 30))
    panels.register(
        panels.Panel("questionnaire_due", "portal", "portal/integration/due_panel.html", portal_due_panel, 5)
    )
