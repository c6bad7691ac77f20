"""What the intake page, the staff panel and the portal panel show about a patient (read-only queries)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.contrib import messages
from django.db.models import Exists, OuterRef, QuerySet

from clinic.models import Patient
from clinic.protocol import Protocol
from clinic.protocol import Screening as ScreeningSettings
from clinic.services import current_protocol
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
from intake.rules import Decision, FindingCode, FindingKind
from intake.vocabulary import MEDICATION_CATEGORY_LABELS, finding_label, finding_rule, history_label

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
FINDING_KIND_TITLES = {
    FindingKind.ABSOLUTE: "Absolute contraindications (no override possible)",
    FindingKind.RELATIVE: "Relative contraindications (a prescriber may override with a reason)",
    FindingKind.WARNING: "Warnings (do not change the decision; carried into sessions)",
}
FINDING_BADGES = {FindingKind.ABSOLUTE: "danger", FindingKind.RELATIVE: "warn", FindingKind.WARNING: "muted"}
# A finding about the patient's safety is red whatever its kind: never shown as a mere warning.
SAFETY_FINDINGS = frozenset({FindingCode.HIGH_SUICIDE_RISK})


@dataclass(frozen=True)
class DecisionStyle:
    """How a screening decision looks wherever it is shown: its badge, the level of the message after saving (so
    "override required" is never a green success) and its words."""

    badge: str
    message_level: int
    words: str
    next_step: str = ""


DECISION_STYLES = {
    Decision.ELIGIBLE: DecisionStyle("ok", messages.SUCCESS, "eligible"),
    Decision.OVERRIDE_REQUIRED: DecisionStyle(
        "warn", messages.WARNING, "override required", "A prescriber must review the relative findings."
    ),
    Decision.INELIGIBLE: DecisionStyle(
        "danger", messages.ERROR, "ineligible", "An absolute contraindication was found; no one can override it."
    ),
}
UNDECIDED = DecisionStyle("muted", messages.INFO, "not decided")


def decision_style(decision: str) -> DecisionStyle:
    known = Decision._value2member_map_.get(decision)
    return DECISION_STYLES.get(Decision(decision), UNDECIDED) if known is not None else UNDECIDED


def saved_message(decision: str) -> tuple[int, str]:
    """The message level and text after a screening is saved."""
    style = decision_style(decision)
    return style.message_level, " ".join(filter(None, [f"Screening saved: {style.words}.", style.next_step]))


@dataclass(frozen=True)
class FindingRow:
    """A stored finding ready for a page: its name and its rule in words, never its code."""

    code: str
    kind: str
    label: str
    badge: str
    message: str
    rule: str

    @classmethod
    def of(cls, finding: dict[str, Any], settings: ScreeningSettings) -> FindingRow:
        code, kind = finding["code"], FindingKind(finding["kind"])
        badge = "danger" if code in SAFETY_FINDINGS else FINDING_BADGES[kind]
        return cls(code, kind.value, finding_label(code), badge, finding["message"], finding_rule(code, settings))


def finding_rows(screening: Screening, kind: FindingKind) -> list[FindingRow]:
    settings = screening.protocol_version.protocol().screening
    return [FindingRow.of(f, settings) for f in screening.findings_of(kind)]


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
        {"kind": kind.value, "title": FINDING_KIND_TITLES[kind], "findings": finding_rows(screening, kind)}
        for kind in FindingKind
    ]
    override = getattr(screening, "override", None)
    return {
        "screening": screening,
        "decision": decision_style(screening.decision),
        "groups": [g for g in groups if g["findings"]],
        "history": [history_label(code) for code in screening.history],
        "medications": [
            {**m, "category_label": MEDICATION_CATEGORY_LABELS.get(m["category"], m["category"])}
            for m in screening.medications
        ],
        "cssrs_badge": CSSRS_BADGES.get(screening.cssrs_risk, "muted"),
        "cleared": services.screening_cleared(screening, at),
        "renew_by": screening.screened_at + dt.timedelta(days=services.validity_days(screening)),
        "override": override,
        "addressed": [finding_label(code) for code in override.addressed_findings] if override else [],
        "can_be_overridden": services.can_be_overridden(screening, at),
        "relative": finding_rows(screening, FindingKind.RELATIVE),
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
        "earlier_screenings": [{"screening": s, "decision": decision_style(s.decision)} for s in screenings[1:]],
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
    actives: dict[int, Protocol] = {}  # each site's active protocol, read once

    def active(screening: Screening) -> Protocol:
        site = screening.patient.site
        if site.pk not in actives:
            actives[site.pk] = current_protocol(site)
        return actives[site.pk]

    overridable = (s for s in awaiting.iterator() if services.can_be_overridden(s, at, active=active(s), newest=True))
    return {
        "safety_tasks": list(tasks[:limit]),
        "awaiting_override": [
            {"screening": s, "relative": finding_rows(s, FindingKind.RELATIVE)} for s in islice(overridable, limit)
        ],
    }
