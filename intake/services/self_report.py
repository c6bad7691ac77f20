"""The patient's own account of their history and medicines (the portal's health questionnaire). It informs the
nurse's screening, which prefills from it; it never decides anything by itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinic import audit
from clinic.domain import local_day, lock_patient, require
from clinic.errors import InvalidInput
from clinic.models import Patient, User
from intake.models import HealthQuestionnaire
from intake.permissions import can_enter_assessments, may_enter_for
from intake.rules import unknown_vocabulary

FUTURE_STOP_DATE = "This date is in the future. Give the date you stopped; a rough date is fine."


def vocabulary_errors(history: Sequence[str], medications: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    categories = [str(m.get("category", "")) for m in medications]
    errors: dict[str, list[str]] = {}
    unknown_history = unknown_vocabulary(history, ())
    unknown_categories = unknown_vocabulary((), categories)
    if unknown_history:
        errors["history"] = [f"Unknown {what}." for what in unknown_history]
    if unknown_categories:
        errors["medications"] = [f"Unknown {what}." for what in unknown_categories]
    return errors


def record_health_questionnaire(*, by: User, patient: Patient, data: Mapping[str, Any]) -> HealthQuestionnaire:
    """Store the patient's own account of history and medicines; the nurse's screening form starts from it."""
    require(can_enter_assessments(by), "Your role may not enter questionnaires.")
    require(may_enter_for(by, patient), "Patients can only fill in their own questionnaires.")
    history = sorted(set(data.get("history", ())))
    medications = [dict(m) for m in data.get("medications", ())]
    errors = vocabulary_errors(history, medications)
    since = (data.get("substance_use_disorder") or {}).get("remission_since")
    if since is not None and since > local_day(patient.site, timezone.now()):
        errors["substance_use_disorder.remission_since"] = [FUTURE_STOP_DATE]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        patient = lock_patient(patient)
        questionnaire = HealthQuestionnaire.objects.create(
            patient=patient,
            history=history,
            medications=medications,
            substance_use=substance_use_json(data.get("substance_use_disorder")),
            pregnant_or_breastfeeding=bool(data.get("pregnant_or_breastfeeding", False)),
            notes=str(data.get("notes", "")).strip(),
            submitted_by=by,
        )
        audit.record(
            "intake.healthquestionnaire.create",
            patient=patient,
            obj=questionnaire,
            actor=by,
            details={"history": history, "medication_categories": [m.get("category") for m in medications]},
        )
    return questionnaire


def substance_use_json(value: Mapping[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    since = value.get("remission_since")
    return {"status": value.get("status") or "none", "remission_since": since.isoformat() if since else None}
