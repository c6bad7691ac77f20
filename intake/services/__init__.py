"""Intake services: the only code that records assessments, screenings, overrides, consent and clearances. Callers
import this package (`from intake import services`); each concern is one module:

- drafts: questionnaires in progress in the portal (saved as answered, restored, risk answers alerted at once);
- assessments: questionnaires scored with the protocol, the safety tasks their risk answers open, scores for others;
- self_report: the patient's own account of history and medicines (the portal's health questionnaire);
- screening: the screening and its decision, a prescriber's override, expiry;
- consent: the signed consent document and a prescriber's medical clearance;
- clearance: whether a patient may be dosed at a time (`is_cleared_for_dosing`, what the sessions app asks before
  booking or starting a dosing session).
Who may do what is intake/permissions.py; what the pages show is intake/summary.py.

Each service checks the actor's role, opens a transaction, locks what it changes, applies the rules of
intake/instruments.py and intake/rules.py with the site's active protocol (clinic.services.use_protocol; the version
is stored on the record), writes the audit entry and returns. Refusals are domain errors with a human message:
NotAllowed (403), InvalidInput (400, per field) or Conflict (409, with a stable code).
"""

from intake.services.assessments import (
    SAFETY_FLAGS,
    ScoreSnapshot,
    last_score_before,
    latest_cssrs,
    raises_safety_alert,
    record_assessment,
    resolve_safety_task,
)
from intake.services.clearance import Clearance, is_cleared_for_dosing, latest_screening
from intake.services.consent import record_consent, record_medical_clearance
from intake.services.drafts import (
    DraftSaved,
    drafts_in_progress,
    questionnaire_draft,
    save_questionnaire_draft,
)
from intake.services.screening import (
    PLAUSIBLE_RANGES,
    SCREENING_FACT_FIELDS,
    Bounds,
    blood_pressure_error,
    can_be_overridden,
    expire_stale_screenings,
    override_refusal,
    override_screening,
    plausible_bounds,
    screen_patient,
    screening_cleared,
    screening_current,
    validity_days,
)
from intake.services.self_report import record_health_questionnaire

__all__ = [
    "PLAUSIBLE_RANGES",
    "SAFETY_FLAGS",
    "SCREENING_FACT_FIELDS",
    "Bounds",
    "Clearance",
    "DraftSaved",
    "ScoreSnapshot",
    "blood_pressure_error",
    "can_be_overridden",
    "drafts_in_progress",
    "expire_stale_screenings",
    "is_cleared_for_dosing",
    "last_score_before",
    "latest_cssrs",
    "latest_screening",
    "override_refusal",
    "override_screening",
    "plausible_bounds",
    "questionnaire_draft",
    "raises_safety_alert",
    "record_assessment",
    "record_consent",
    "record_health_questionnaire",
    "record_medical_clearance",
    "resolve_safety_task",
    "save_questionnaire_draft",
    "screen_patient",
    "screening_cleared",
    "screening_current",
    "validity_days",
]
