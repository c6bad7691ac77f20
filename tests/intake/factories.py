"""Intake test helpers: facts of an eligible screening, and a patient made ready for dosing through the services.

Other apps' tests (dosing sessions) use `clear_for_dosing` to get a patient that `is_cleared_for_dosing` accepts.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from django.utils import timezone

from clinic.models import Patient, Role, User
from intake import services
from intake.consent import CURRENT_CONSENT_VERSION
from intake.models import Assessment, Consent, MedicalClearance, Screening
from tests.factories import staff

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")  # the factories' site time zone
PHQ9_MODERATE = [2, 1, 1, 1, 2, 1, 1, 2, 0]  # total 11, item 9 = 0
CSSRS_NONE = dict.fromkeys(("q1", "q2", "q3", "q4", "q5", "q6_lifetime", "q6_past_3_months"), False)


def noon(days_ago: int) -> dt.datetime:
    """Noon at the site, `days_ago` days before yesterday: day counts stay exact whatever the hour of the run."""
    day = timezone.now().astimezone(NEW_YORK).date() - dt.timedelta(days=days_ago + 1)
    return dt.datetime.combine(day, dt.time(12), tzinfo=NEW_YORK)


def management_form(prefix: str = "med", total: int = 3) -> dict[str, str]:
    """The hidden fields of a formset with `total` rows, none of them initial."""
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def eligible_facts(**overrides: Any) -> dict[str, Any]:
    """Facts that raise no finding at all (BMI 24.2, BP 120/80, two failed trials)."""
    facts: dict[str, Any] = {
        "height_cm": Decimal("170.0"),
        "weight_kg": Decimal("70.0"),
        "systolic": 120,
        "diastolic": 80,
        "heart_rate": 70,
        "history": [],
        "medications": [],
        "substance_use_disorder": {"status": "none", "remission_since": None},
        "myocardial_infarction_date": None,
        "stroke_date": None,
        "pregnant_or_breastfeeding": False,
        "failed_antidepressant_trials": 2,
    }
    facts.update(overrides)
    return facts


def _someone(patient: Patient, role: str, given: User | None) -> User:
    return given if given is not None else staff(role, patient.site)


def screen(
    patient: Patient, *, by: User | None = None, at: dt.datetime | None = None, cssrs: bool = True, **facts: Any
) -> Screening:
    """Screen `patient` (a C-SSRS screener with no risk first, unless cssrs=False)."""
    nurse = _someone(patient, Role.NURSE, by)
    if cssrs:
        services.record_assessment(
            by=nurse, patient=patient, instrument="cssrs_screen", answers=CSSRS_NONE, administered_at=at
        )
    return services.screen_patient(by=nurse, patient=patient, facts=eligible_facts(**facts), screened_at=at)


def consent(patient: Patient, *, by: User | None = None, at: dt.datetime | None = None) -> Consent:
    return services.record_consent(
        by=_someone(patient, Role.NURSE, by),
        patient=patient,
        document_version=CURRENT_CONSENT_VERSION,
        signed_name=patient.full_name,
        signed_at=at,
    )


def medical_clearance(patient: Patient, *, by: User | None = None, at: dt.datetime | None = None) -> MedicalClearance:
    return services.record_medical_clearance(
        by=_someone(patient, Role.PRESCRIBER, by), patient=patient, note="History and ECG reviewed.", cleared_at=at
    )


def clear_for_dosing(
    patient: Patient, *, nurse: User | None = None, prescriber: User | None = None, at: dt.datetime | None = None
) -> Screening:
    """An eligible screening, signed consent and a medical clearance: `is_cleared_for_dosing` says yes."""
    screening = screen(patient, by=nurse, at=at)
    consent(patient, by=nurse, at=at)
    medical_clearance(patient, by=prescriber, at=at)
    return screening


def phq9(patient: Patient, answers: list[int] | None = None, *, by: User | None = None) -> Assessment:
    return services.record_assessment(
        by=_someone(patient, Role.NURSE, by), patient=patient, instrument="phq9", answers=answers or PHQ9_MODERATE
    )


OVERRIDE_REASON = "Rechecked with the patient; acceptable with the usual monitoring."


def override(screening: Screening, by: User, reason: str = OVERRIDE_REASON) -> Screening:
    """A prescriber's override that addresses every relative finding of `screening`."""
    relative = [f["code"] for f in screening.findings_of("relative")]
    return services.override_screening(screening, by, reason, addressed=relative)
