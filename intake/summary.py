"""What the intake page, the staff panel and the portal panel show about a patient (read-only queries)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from clinic.models import Patient
from intake import services
from intake.consent import CURRENT_CONSENT_VERSION
from intake.instruments import Instrument
from intake.models import (
    Assessment,
    Consent,
    HealthQuestionnaire,
    MedicalClearance,
    SafetyTask,
    SafetyTaskStatus,
    Screening,
    ScreeningStatus,
)
from intake.rules import Decision, FindingKind
from intake.vocabulary import MEDICATION_CATEGORY_LABELS, history_label

SEVERITY_BADGES = {
    "minimal": "ok",
    "none": "ok",
    "normal": "ok",
    "low": "warn",
    "mild": "warn",
    "moderate": "warn",
    "moderately_severe": "danger",
    "severe": "danger",
    "very_severe": "danger",
    "high": "danger",
}
CSSRS_BADGES = {"none": "ok", "low": "warn", "moderate": "danger", "high": "danger"}
DECISION_BADGES = {Decision.ELIGIBLE: "ok", Decision.OVERRIDE_REQUIRED: "warn", Decision.INELIGIBLE: "danger"}
FINDING_KIND_TITLES = {
    FindingKind.ABSOLUTE: "Absolute contraindications (no override possible)",
    FindingKind.RELATIVE: "Relative contraindications (a prescriber may override with a reason)",
    FindingKind.WARNING: "Warnings (do not change the decision; carried into sessions)",
}
INSTRUMENT_ORDER = list(Instrument)


def severity_badge(assessment: Assessment) -> str:
    badges = CSSRS_BADGES if assessment.instrument == Instrument.CSSRS_SCREEN else SEVERITY_BADGES
    return badges.get(assessment.severity, "muted")


@dataclass(frozen=True)
class ScoreRow:
    assessment: Assessment
    badge: str
    label: str

    @classmethod
    def of(cls, assessment: Assessment) -> ScoreRow:
        return cls(assessment, severity_badge(assessment), assessment.severity.replace("_", " ") or "no bands")


def latest_scores(patient: Patient) -> list[ScoreRow]:
    """The latest assessment of each instrument, in the instruments' order."""
    seen: dict[str, Assessment] = {}
    for assessment in Assessment.objects.filter(patient=patient).order_by("-administered_at", "-id"):
        seen.setdefault(assessment.instrument, assessment)
    return [ScoreRow.of(seen[i]) for i in INSTRUMENT_ORDER if i in seen]


def recent_assessments(patient: Patient, limit: int = 15) -> list[ScoreRow]:
    qs = Assessment.objects.filter(patient=patient).select_related("entered_by").order_by("-administered_at", "-id")
    return [ScoreRow.of(a) for a in qs[:limit]]


def open_safety_tasks(patient: Patient) -> QuerySet[SafetyTask]:
    return SafetyTask.objects.filter(patient=patient, status=SafetyTaskStatus.OPEN).select_related("assessment")


def current_consent(patient: Patient) -> Consent | None:
    return (
        Consent.objects.filter(patient=patient, document_version=CURRENT_CONSENT_VERSION)
        .select_related("witnessed_by")
        .first()
    )


def screening_view(screening: Screening, at: dt.datetime) -> dict[str, Any]:
    """A screening ready for a template: findings grouped by kind, facts with human labels, state."""
    groups = [
        {"kind": kind.value, "title": FINDING_KIND_TITLES[kind], "findings": screening.findings_of(kind)}
        for kind in FindingKind
    ]
    return {
        "screening": screening,
        "decision_badge": DECISION_BADGES.get(Decision(screening.decision), "muted") if screening.decision else "muted",
        "decision_label": screening.decision.replace("_", " "),
        "groups": [g for g in groups if g["findings"]],
        "history": [history_label(code) for code in screening.history],
        "medications": [
            {**m, "category_label": MEDICATION_CATEGORY_LABELS.get(m["category"], m["category"])}
            for m in screening.medications
        ],
        "cleared": services.screening_cleared(screening, at),
        "renew_by": screening.screened_at + dt.timedelta(days=services.validity_days(screening)),
        "override": getattr(screening, "override", None),
        "can_be_overridden": services.can_be_overridden(screening, at),
    }


def intake_state(patient: Patient, at: dt.datetime) -> dict[str, Any]:
    screenings = list(
        Screening.objects.filter(patient=patient)
        .exclude(status=ScreeningStatus.DRAFT)
        .select_related("protocol_version", "screened_by", "override__prescriber", "cssrs_assessment")
        .order_by("-screened_at", "-id")[:10]
    )
    latest = screenings[0] if screenings else None
    return {
        "clearance": services.is_cleared_for_dosing(patient, at),
        "scores": latest_scores(patient),
        "assessments": recent_assessments(patient),
        "safety_tasks": list(open_safety_tasks(patient)),
        "latest": screening_view(latest, at) if latest else None,
        "earlier_screenings": [
            {"screening": s, "badge": DECISION_BADGES.get(Decision(s.decision), "muted")} for s in screenings[1:]
        ],
        "consent": current_consent(patient),
        "consent_version": CURRENT_CONSENT_VERSION,
        "medical_clearance": MedicalClearance.objects.filter(patient=patient).select_related("prescriber").first(),
        "health_questionnaire": HealthQuestionnaire.objects.filter(patient=patient).first(),
    }


def worklist(patients: QuerySet[Patient], at: dt.datetime, limit: int = 50) -> dict[str, Any]:
    """Across the patients a clinician may see: open safety tasks (oldest first) and the screenings a prescriber
    could override now (the latest of each patient, current under its own and the site's active protocol)."""
    newer = Screening.objects.filter(patient=OuterRef("patient"), screened_at__gt=OuterRef("screened_at")).exclude(
        status=ScreeningStatus.DRAFT
    )
    awaiting = (
        Screening.objects.filter(
            patient__in=patients,
            decision=Decision.OVERRIDE_REQUIRED,
            status=ScreeningStatus.DECIDED,
        )
        .exclude(Exists(newer))
        .select_related("patient__site", "screened_by", "protocol_version")
        .order_by("screened_at")
    )
    tasks = (
        SafetyTask.objects.filter(patient__in=patients, status=SafetyTaskStatus.OPEN)
        .select_related("patient", "assessment")
        .order_by("created_at")
    )
    return {
        "safety_tasks": list(tasks[:limit]),
        "awaiting_override": [
            {"screening": s, "relative": s.findings_of(FindingKind.RELATIVE)}
            for s in islice((s for s in awaiting.iterator() if services.can_be_overridden(s, at)), limit)
        ],
    }
