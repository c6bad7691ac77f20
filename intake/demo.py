"""Synthetic intake records for the demo clinic (offered by IntakeConfig.seed_demo), made through the intake services.

Each demo patient gets what their stage implies: `new` nothing; `screening` questionnaires and a screening still
waiting for a decision (override, or ineligible); `cleared` and later stages an eligible or overridden screening,
consent and medical clearance, dated back by how far along they are. A patient who already has intake records is
left alone, so seeding twice creates nothing new.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from clinic.demo import DemoContext
from clinic.models import Patient, User
from intake import services
from intake.consent import CURRENT_CONSENT_VERSION
from intake.models import Assessment, AssessmentSource
from intake.rules import Decision, FindingKind
from intake.vocabulary import finding_label

STARTED_DAYS_AGO = {"screening": 3, "cleared": 10, "in_course": 30, "integration": 45, "maintenance": 120}
CSSRS_NONE = dict.fromkeys(("q1", "q2", "q3", "q4", "q5", "q6_lifetime", "q6_past_3_months"), False)
PHQ9_BASELINES = ([2, 2, 2, 1, 2, 1, 2, 1, 0], [3, 2, 2, 2, 1, 2, 2, 1, 0], [2, 1, 1, 2, 1, 1, 1, 1, 0])
GAD7_BASELINES = ([2, 1, 1, 2, 1, 1, 1], [1, 1, 2, 1, 0, 1, 1])


def _facts(patient: Patient, variant: str) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "height_cm": patient.height_cm or Decimal("170.0"),
        "weight_kg": patient.weight_kg or Decimal("70.0"),
        "systolic": 124,
        "diastolic": 78,
        "heart_rate": 72,
        "history": [],
        "medications": [{"name": "Sertraline", "category": "antidepressant", "diazepam_equivalent_mg_per_day": None}],
        "substance_use_disorder": {"status": "none", "remission_since": None},
        "myocardial_infarction_date": None,
        "stroke_date": None,
        "pregnant_or_breastfeeding": False,
        "failed_antidepressant_trials": 3,
    }
    if variant == "relative":
        facts.update(systolic=152, diastolic=88, history=["hypertension_controlled", "ptsd"])
    elif variant == "absolute":
        facts.update(history=["psychosis_current"])
    return facts


def _assess(patient: Patient, by: User, instrument: str, answers: Any, at: dt.datetime, source: str) -> Assessment:
    return services.record_assessment(
        by=by, patient=patient, instrument=instrument, answers=answers, administered_at=at, source=source
    )


def _seed_patient(patient: Patient, stage: str, index: int, staff: dict[str, User]) -> None:
    nurse, prescriber = staff["nurse"], staff["prescriber"]
    start = timezone.now() - dt.timedelta(days=STARTED_DAYS_AGO[stage])
    source = AssessmentSource.PORTAL if index % 2 else AssessmentSource.CLINIC
    _assess(patient, nurse, "phq9", PHQ9_BASELINES[index % 3], start, source)
    _assess(patient, nurse, "gad7", GAD7_BASELINES[index % 2], start, source)
    _assess(patient, nurse, "cssrs_screen", CSSRS_NONE, start, source)
    if stage == "screening":
        variant = "absolute" if index % 4 == 1 else "relative"
        services.screen_patient(by=nurse, patient=patient, facts=_facts(patient, variant), screened_at=start)
        return
    variant = "relative" if index % 3 == 0 else "eligible"
    screening = services.screen_patient(by=nurse, patient=patient, facts=_facts(patient, variant), screened_at=start)
    if screening.decision == Decision.OVERRIDE_REQUIRED:
        relative = [f["code"] for f in screening.findings_of(FindingKind.RELATIVE)]
        reviewed = ", ".join(finding_label(code).lower() for code in relative)
        services.override_screening(
            screening,
            prescriber,
            f"Reviewed with the patient ({reviewed}): acceptable with the usual monitoring.",
            addressed=relative,
        )
    services.record_consent(
        by=nurse,
        patient=patient,
        document_version=CURRENT_CONSENT_VERSION,
        signed_name=patient.full_name,
        signed_at=start + dt.timedelta(hours=1),
    )
    services.record_medical_clearance(
        by=prescriber,
        patient=patient,
        note="History, medications and screening vitals reviewed; no contraindication to ketamine.",
        cleared_at=start + dt.timedelta(hours=2),
    )
    if stage in {"in_course", "integration", "maintenance"}:
        for week, item_scores in enumerate(([1, 1, 1, 1, 1, 1, 1, 1, 0], [1, 0, 1, 1, 0, 1, 0, 0, 0]), start=1):
            _assess(patient, nurse, "phq9", item_scores, start + dt.timedelta(days=7 * week), source)


def seed(ctx: DemoContext) -> None:
    """Give each demo patient the intake records of their stage; skip patients who already have some."""
    for index, (patient, stage) in enumerate(ctx.patients):
        if stage not in STARTED_DAYS_AGO or Assessment.objects.filter(patient=patient).exists():
            continue
        _seed_patient(patient, stage, index, ctx.staff)
