"""Intake services: the only code that records assessments, screenings, overrides, consent and clearances.

Each service checks the actor's role, opens a transaction, locks what it changes, applies the rules of
intake/instruments.py and intake/rules.py with the site's active protocol (clinic.services.use_protocol; the version
is stored on the record), writes the audit entry and returns. Refusals are domain errors with a human message:
NotAllowed (403), InvalidInput (400, per field) or Conflict (409, with a stable code).

`is_cleared_for_dosing(patient, at)` is what other apps ask before booking or starting a dosing session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic import audit
from clinic.domain import age_on, local_day, lock_patient, locked, past_time, require, required_text
from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import NotificationKind, Patient, Role, User
from clinic.notifications import notify_care_team
from clinic.protocol import Protocol
from clinic.services import update_patient, use_protocol
from intake.consent import CONSENT_TEMPLATES, CURRENT_CONSENT_VERSION, consent_sha256
from intake.instruments import AnswerError, Flag, Instrument, score
from intake.models import (
    Assessment,
    AssessmentSource,
    Consent,
    ConsentMethod,
    HealthQuestionnaire,
    MedicalClearance,
    Override,
    SafetyTask,
    SafetyTaskStatus,
    Screening,
    ScreeningStatus,
)
from intake.permissions import (
    can_enter_assessments,
    can_override,
    can_record_medical_clearance,
    can_resolve_safety_tasks,
    can_screen,
    can_witness_consent,
    may_enter_for,
)
from intake.rules import (
    Decision,
    FactsError,
    FindingKind,
    Medication,
    ScreeningFacts,
    SubstanceUse,
    evaluate_screening,
    screening_is_current,
    unknown_vocabulary,
)

SAFETY_FLAGS = frozenset({Flag.SUICIDAL_IDEATION, Flag.SUICIDE_RISK_MODERATE, Flag.SUICIDE_RISK_HIGH})


# --- Assessments ------------------------------------------------------------------------------------------------


def record_assessment(
    *,
    by: User,
    patient: Patient,
    instrument: str,
    answers: Any,
    administered_at: dt.datetime | None = None,
    source: AssessmentSource | str | None = None,
) -> Assessment:
    """Score and store one questionnaire. Risk (PHQ-9 item 9 > 0, C-SSRS moderate or high) alerts the care team
    and opens a safety task in the same transaction (CLINICAL_RULES.md section 5)."""
    require(can_enter_assessments(by), "Your role may not enter questionnaires.")
    require(may_enter_for(by, patient), "Patients can only fill in their own questionnaires.")
    source = source or (AssessmentSource.PORTAL if by.role == Role.PATIENT else AssessmentSource.CLINIC)
    when = past_time(administered_at, "administered_at", timezone.now())
    with transaction.atomic():
        patient = lock_patient(patient)
        version, protocol = use_protocol(patient.site)
        try:
            result = score(instrument, answers, protocol.instruments)
        except AnswerError as exc:
            field = exc.item if exc.item.startswith(("answers", "instrument")) else f"answers.{exc.item}"
            raise InvalidInput({field: exc.message}) from None
        assessment = Assessment.objects.create(
            patient=patient,
            instrument=result.instrument.value,
            answers=answers,
            total=result.total,
            severity=result.severity or "",
            flags=list(result.flags),
            administered_at=when,
            source=source,
            entered_by=by,
            protocol_version=version,
        )
        audit.record(
            "intake.assessment.create",
            patient=patient,
            obj=assessment,
            actor=by,
            details={
                "instrument": assessment.instrument,
                "total": assessment.total,
                "severity": assessment.severity,
                "flags": assessment.flags,
                "source": source,
                "protocol_version": version.number,
            },
        )
        if raises_safety_alert(assessment):
            _open_safety_task(assessment, by=by, protocol=protocol)
    return assessment


def raises_safety_alert(assessment: Assessment) -> bool:
    """Whether the answers signal risk (CLINICAL_RULES.md section 5: PHQ-9 `suicidal_ideation`, C-SSRS moderate or
    high): the care team is alerted, a safety task opens and the portal shows crisis resources."""
    return bool(SAFETY_FLAGS & set(assessment.flags))


def _safety_reason(assessment: Assessment, protocol: Protocol) -> str:
    if Flag.SUICIDAL_IDEATION in assessment.flags:
        above = protocol.instruments.phq9_suicidal_ideation_item_above
        return f"{assessment.instrument_label} item 9 (thoughts of death or self-harm) answered above {above}"
    return f"{assessment.instrument_label} suicide risk {assessment.severity}"


def _open_safety_task(assessment: Assessment, *, by: User, protocol: Protocol) -> SafetyTask:
    patient = assessment.patient
    reason = _safety_reason(assessment, protocol)
    task = SafetyTask.objects.create(patient=patient, assessment=assessment, reason=reason)
    audit.record(
        "intake.safetytask.create",
        patient=patient,
        obj=task,
        actor=by,
        details={"assessment": assessment.pk, "reason": task.reason, "flags": assessment.flags},
    )
    notify_care_team(
        patient,
        kind=NotificationKind.SAFETY_ALERT,
        title=f"Safety alert ({patient.mrn}): {task.reason}",
        body="Contact the patient today and document the safety evaluation on the intake page.",
        link=reverse("staff:intake", args=[patient.pk]),
        dedupe_key=f"intake.assessment.{assessment.pk}.safety",
    )
    return task


def resolve_safety_task(task: SafetyTask, *, by: User, note: str) -> SafetyTask:
    require(can_resolve_safety_tasks(by), "Only a prescriber, nurse or therapist may resolve a safety task.")
    note = required_text(note, "note", "Say what was done: who spoke with the patient and the outcome.")
    with transaction.atomic():
        task = locked(SafetyTask.objects.all()).get(pk=task.pk)
        if task.status != SafetyTaskStatus.OPEN:
            raise Conflict("This safety task is already resolved.", code="already_resolved")
        task.resolved_by = by
        task.resolved_at = timezone.now()
        task.note = note
        task.save(update_fields=["resolved_by", "resolved_at", "note"])
        task.set_status(SafetyTaskStatus.RESOLVED, by=by, reason=note)
    return task


@dataclass(frozen=True)
class ScoreSnapshot:
    """A questionnaire score as other apps see it (they meet intake through services and ids, not its models)."""

    assessment_id: int
    instrument: str
    total: int | None
    severity: str
    administered_at: dt.datetime


def last_score_before(patient: Patient, instrument: str, before: dt.datetime) -> ScoreSnapshot | None:
    """The patient's last score on `instrument` administered at or before `before` (CLINICAL_RULES.md section 5:
    the baseline of a course is the last score before its first dosing session)."""
    found = (
        Assessment.objects.filter(patient=patient, instrument=instrument, administered_at__lte=before)
        .order_by("-administered_at", "-pk")
        .first()
    )
    if found is None:
        return None
    return ScoreSnapshot(found.pk, found.instrument, found.total, found.severity, found.administered_at)


def latest_cssrs(patient: Patient, at: dt.datetime, protocol: Protocol) -> Assessment | None:
    """The latest C-SSRS screener in the protocol's look-back window before `at` (default 30 days)."""
    since = at - dt.timedelta(days=protocol.screening.cssrs_lookback_days)
    return (
        Assessment.objects.filter(
            patient=patient, instrument=Instrument.CSSRS_SCREEN, administered_at__gte=since, administered_at__lte=at
        )
        .order_by("-administered_at", "-id")
        .first()
    )


# --- Health questionnaire (the patient's own account) -----------------------------------------------------------


def _vocabulary_errors(history: Sequence[str], medications: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
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
    errors = _vocabulary_errors(history, medications)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        patient = lock_patient(patient)
        questionnaire = HealthQuestionnaire.objects.create(
            patient=patient,
            history=history,
            medications=medications,
            substance_use=_substance_use_json(data.get("substance_use_disorder")),
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


def _substance_use_json(value: Mapping[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    since = value.get("remission_since")
    return {"status": value.get("status") or "none", "remission_since": since.isoformat() if since else None}


# --- Screening --------------------------------------------------------------------------------------------------

SCREENING_FACT_FIELDS = (
    "height_cm",
    "weight_kg",
    "systolic",
    "diastolic",
    "heart_rate",
    "history",
    "medications",
    "substance_use_disorder",
    "myocardial_infarction_date",
    "stroke_date",
    "pregnant_or_breastfeeding",
    "failed_antidepressant_trials",
)


# What a screening form or API call may contain: plausible values that catch typing errors, not clinical limits
# (those are the protocol's). The staff form and the API serializer both take their bounds from here.
PLAUSIBLE_RANGES: dict[str, tuple[int, int]] = {
    "height_cm": (50, 260),
    "weight_kg": (2, 400),
    "systolic": (40, 300),
    "diastolic": (20, 200),
    "heart_rate": (20, 250),
    "failed_antidepressant_trials": (0, 50),
}


class Bounds(TypedDict):
    min_value: int
    max_value: int


def plausible_bounds(field: str) -> Bounds:
    """`min_value`/`max_value` of a form or serializer field, from PLAUSIBLE_RANGES."""
    low, high = PLAUSIBLE_RANGES[field]
    return {"min_value": low, "max_value": high}


def blood_pressure_error(systolic: int | None, diastolic: int | None) -> str | None:
    """The message for a reading that cannot be right (diastolic at or above systolic), or None."""
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        return "Diastolic must be below systolic."
    return None


def _medications(rows: Sequence[Mapping[str, Any]]) -> tuple[Medication, ...]:
    medications = []
    for index, row in enumerate(rows):
        name = str(row.get("name") or "").strip()
        if not name:
            raise InvalidInput({f"medications[{index}].name": "Give the medicine's name."})
        dose = row.get("diazepam_equivalent_mg_per_day")
        medications.append(
            Medication(
                name=name,
                category=str(row.get("category", "")),
                diazepam_equivalent_mg_per_day=None if dose is None else Decimal(str(dose)),
            )
        )
    return tuple(medications)


def _check_event_dates(data: Mapping[str, Any], day: dt.date) -> None:
    errors = {}
    for name in ("myocardial_infarction_date", "stroke_date"):
        value = data.get(name)
        if value is not None and value > day:
            errors[name] = "This date is after the screening."
    remission = (data.get("substance_use_disorder") or {}).get("remission_since")
    if remission is not None and remission > day:
        errors["substance_use_disorder.remission_since"] = "This date is after the screening."
    if errors:
        raise InvalidInput(errors)


def screen_patient(
    *,
    by: User,
    patient: Patient,
    facts: Mapping[str, Any],
    screened_at: dt.datetime | None = None,
) -> Screening:
    """Record a screening and decide it (CLINICAL_RULES.md section 1) with the site's active protocol.

    `facts` holds SCREENING_FACT_FIELDS with typed values (Decimal, int, date, lists); the interfaces parse them.
    Age comes from the date of birth, suicide risk from the latest C-SSRS screener within the look-back. The
    patient's height and weight are updated from the screening (audited by clinic.services.update_patient).
    """
    require(can_screen(by), "Only a nurse or a prescriber may screen a patient.")
    unknown = set(facts) - set(SCREENING_FACT_FIELDS)
    if unknown:
        raise InvalidInput(dict.fromkeys(sorted(unknown), "Unknown field."))
    history = sorted(set(facts.get("history", ())))
    medication_rows = [dict(m) for m in facts.get("medications", ())]
    errors: dict[str, Any] = dict(_vocabulary_errors(history, medication_rows))
    if bp_error := blood_pressure_error(facts.get("systolic"), facts.get("diastolic")):
        errors["diastolic"] = bp_error
    if errors:
        raise InvalidInput(errors)
    when = past_time(screened_at, "screened_at", timezone.now())
    with transaction.atomic():
        patient = lock_patient(patient)
        version, protocol = use_protocol(patient.site)
        day = local_day(patient.site, when)
        _check_event_dates(facts, day)
        cssrs = latest_cssrs(patient, when, protocol)
        substance = facts.get("substance_use_disorder") or {}
        try:
            screening_facts = ScreeningFacts(
                age=age_on(patient.date_of_birth, day),
                height_cm=facts.get("height_cm"),  # type: ignore[arg-type]
                weight_kg=facts.get("weight_kg"),  # type: ignore[arg-type]
                systolic=facts.get("systolic"),  # type: ignore[arg-type]
                diastolic=facts.get("diastolic"),  # type: ignore[arg-type]
                heart_rate=facts.get("heart_rate"),  # type: ignore[arg-type]
                history=frozenset(history),
                medications=_medications(medication_rows),
                substance_use=SubstanceUse(
                    status=substance.get("status") or "none", remission_since=substance.get("remission_since")
                ),
                myocardial_infarction_date=facts.get("myocardial_infarction_date"),
                stroke_date=facts.get("stroke_date"),
                pregnant_or_breastfeeding=bool(facts.get("pregnant_or_breastfeeding", False)),
                failed_antidepressant_trials=facts.get("failed_antidepressant_trials", 0),
                cssrs_risk=cssrs.severity if cssrs else None,
            )
        except FactsError as exc:
            # The API calls the fact `substance_use_disorder`; the engine calls it `substance_use`.
            field = exc.field.replace("substance_use", "substance_use_disorder", 1)
            raise InvalidInput({field: exc.message}) from None
        outcome = evaluate_screening(screening_facts, day, protocol)
        update_patient(
            by=by,
            patient=patient,
            data={"height_cm": screening_facts.height_cm, "weight_kg": screening_facts.weight_kg},
        )
        screening = Screening.objects.create(
            patient=patient,
            protocol_version=version,
            screened_at=when,
            screened_by=by,
            age_at_screening=screening_facts.age,
            height_cm=screening_facts.height_cm,
            weight_kg=screening_facts.weight_kg,
            systolic=screening_facts.systolic,
            diastolic=screening_facts.diastolic,
            heart_rate=screening_facts.heart_rate,
            history=history,
            medications=[
                {
                    "name": m.name,
                    "category": m.category,
                    "diazepam_equivalent_mg_per_day": (
                        None if m.diazepam_equivalent_mg_per_day is None else str(m.diazepam_equivalent_mg_per_day)
                    ),
                }
                for m in screening_facts.medications
            ],
            substance_use=_substance_use_json(substance),
            myocardial_infarction_date=screening_facts.myocardial_infarction_date,
            stroke_date=screening_facts.stroke_date,
            pregnant_or_breastfeeding=screening_facts.pregnant_or_breastfeeding,
            failed_antidepressant_trials=screening_facts.failed_antidepressant_trials,
            cssrs_assessment=cssrs,
            cssrs_risk=cssrs.severity if cssrs else "",
            status=ScreeningStatus.DRAFT,
        )
        audit.record(
            "intake.screening.create",
            patient=patient,
            obj=screening,
            actor=by,
            details={
                "protocol_version": version.number,
                "history": history,
                "medication_categories": [m.category for m in screening_facts.medications],
                "blood_pressure": f"{screening_facts.systolic}/{screening_facts.diastolic}",
                "cssrs_assessment": cssrs.pk if cssrs else None,
            },
        )
        screening.decision = outcome.decision.value
        screening.findings = [
            {"code": f.code.value, "kind": f.kind.value, "message": f.message, "rule": f.rule} for f in outcome.findings
        ]
        screening.decided_at = timezone.now()
        screening.expires_at = when + dt.timedelta(days=protocol.screening.validity_days)
        screening.save(update_fields=["decision", "findings", "decided_at", "expires_at"])
        screening.set_status(ScreeningStatus.DECIDED, by=by, reason=f"decision {screening.decision}")
        audit.record(
            "intake.screening.decide",
            patient=patient,
            obj=screening,
            actor=by,
            details={
                "decision": screening.decision,
                "findings": [f["code"] for f in screening.findings],
                "protocol_version": version.number,
                "expires_at": screening.expires_at,
            },
        )
    return screening


def override_screening(screening: Screening, by: User, reason: str) -> Screening:
    """A prescriber clears a screening whose decision is `override_required`, with a written reason.

    Refused: other roles (403); an absolute finding (409 `absolute_finding`: nobody can override it); a screening
    that needs no override, is already overridden, expired or superseded by a newer one (409); no reason (400).
    """
    require(can_override(by), "Only a prescriber (physician or nurse practitioner) may override a screening.")
    with transaction.atomic():
        screening = locked(Screening.objects.select_related("patient__site")).get(pk=screening.pk)
        refusal = override_refusal(screening, timezone.now())
        if refusal is not None:
            raise refusal
        reason = required_text(reason, "reason", "Write why the relative findings are acceptable for this patient.")
        override = Override.objects.create(screening=screening, prescriber=by, reason=reason)
        screening.set_status(ScreeningStatus.OVERRIDDEN, by=by, reason=reason)
        audit.record(
            "intake.screening.override",
            patient=screening.patient,
            obj=override,
            actor=by,
            details={
                "screening": screening.pk,
                "reason": reason,
                "findings": [f["code"] for f in screening.findings_of(FindingKind.RELATIVE)],
            },
        )
    return screening


def override_refusal(screening: Screening, at: dt.datetime) -> Conflict | None:
    """Why `screening` cannot be overridden at `at` (the Conflict override_screening raises), or None if it can.

    The intake page and the worklist ask this too, so they offer an override exactly when the service accepts one.
    """
    absolute = screening.findings_of(FindingKind.ABSOLUTE)
    if absolute or screening.decision == Decision.INELIGIBLE:
        return Conflict(
            "This screening has an absolute contraindication, which no one can override: "
            + " ".join(f["message"] for f in absolute),
            code="absolute_finding",
            details={"findings": [f["code"] for f in absolute]},
        )
    if screening.status == ScreeningStatus.OVERRIDDEN:
        return Conflict("This screening has already been overridden.", code="already_overridden")
    if screening.decision == Decision.ELIGIBLE:
        return Conflict("This screening is eligible; it needs no override.", code="override_not_required")
    if screening.status != ScreeningStatus.DECIDED or not screening_current(screening, at):
        return Conflict("This screening has expired; screen the patient again.", code="screening_expired")
    newer = Screening.objects.filter(patient=screening.patient, screened_at__gt=screening.screened_at)
    if newer.exclude(status=ScreeningStatus.DRAFT).exists():
        return Conflict("A newer screening of this patient exists; review that one.", code="superseded")
    return None


def can_be_overridden(screening: Screening, at: dt.datetime) -> bool:
    return override_refusal(screening, at) is None


def screening_current(screening: Screening, at: dt.datetime) -> bool:
    """Current under both the screening's own protocol version and the site's active one (the shorter wins)."""
    if screening.status == ScreeningStatus.EXPIRED:
        return False
    day = local_day(screening.patient.site, at)
    screened_on = local_day(screening.patient.site, screening.screened_at)
    _version, active = use_protocol(screening.patient.site)
    own = screening.protocol_version.protocol()
    return all(screening_is_current(screened_on, day, p.screening) for p in (own, active))


def screening_cleared(screening: Screening, at: dt.datetime) -> bool:
    """Eligible or overridden, and still current at `at`."""
    return screening.is_cleared and screening_current(screening, at)


def validity_days(screening: Screening) -> int:
    _version, active = use_protocol(screening.patient.site)
    return min(screening.protocol_version.protocol().screening.validity_days, active.screening.validity_days)


def expire_stale_screenings(*, at: dt.datetime | None = None) -> int:
    """Mark decided or overridden screenings that are no longer current as expired; safe to run twice."""
    at = at or timezone.now()
    count = 0
    candidates = Screening.objects.filter(
        status__in=[ScreeningStatus.DECIDED, ScreeningStatus.OVERRIDDEN], screened_at__lt=at
    ).select_related("patient__site", "protocol_version")
    for candidate in candidates:
        if screening_current(candidate, at):
            continue
        with transaction.atomic():
            screening = locked(Screening.objects.select_related("patient__site")).get(pk=candidate.pk)
            if screening.status in (ScreeningStatus.DECIDED, ScreeningStatus.OVERRIDDEN):
                screening.set_status(
                    ScreeningStatus.EXPIRED, by=None, reason=f"older than {validity_days(screening)} days"
                )
                count += 1
    return count


# --- Consent and medical clearance -----------------------------------------------------------------------------


def _normalized_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def record_consent(
    *,
    by: User,
    patient: Patient,
    document_version: str,
    signed_name: str,
    signed_at: dt.datetime | None = None,
) -> Consent:
    """The patient signs `document_version` by typing their full name: in the portal (`by` is the patient), or in
    clinic witnessed by the clinician `by`. The SHA-256 of the text shown is stored with the signature."""
    if by.role == Role.PATIENT:
        require(may_enter_for(by, patient), "Patients can only fill in their own questionnaires.")
        method, witness = ConsentMethod.PORTAL, None
    elif can_witness_consent(by):
        method, witness = ConsentMethod.WITNESSED, by
    else:
        raise NotAllowed("Only a prescriber, nurse or therapist may witness consent.")
    if document_version not in CONSENT_TEMPLATES:
        raise InvalidInput(
            {"document_version": f"Unknown consent version {document_version!r}; the current one is "
                                 f"{CURRENT_CONSENT_VERSION}."}
        )  # fmt: skip
    if document_version != CURRENT_CONSENT_VERSION:
        raise InvalidInput(
            {"document_version": f"Consent {document_version} is no longer in use; sign {CURRENT_CONSENT_VERSION}."}
        )
    typed = required_text(signed_name, "signed_name", "Type the patient's full name to sign.")
    if _normalized_name(typed) != _normalized_name(patient.full_name):
        raise InvalidInput({"signed_name": f"Type the full name as on record: {patient.full_name}."})
    when = past_time(signed_at, "signed_at", timezone.now())
    with transaction.atomic():
        patient = lock_patient(patient)
        consent = Consent.objects.create(
            patient=patient,
            document_version=document_version,
            text_sha256=consent_sha256(document_version),
            signed_name=" ".join(typed.split()),
            signed_at=when,
            method=method,
            witnessed_by=witness,
            recorded_by=by,
        )
        audit.record(
            "intake.consent.create",
            patient=patient,
            obj=consent,
            actor=by,
            details={"document_version": document_version, "text_sha256": consent.text_sha256, "method": method},
        )
    return consent


def record_medical_clearance(
    *, by: User, patient: Patient, note: str, cleared_at: dt.datetime | None = None
) -> MedicalClearance:
    require(
        can_record_medical_clearance(by),
        "Only a prescriber (physician or nurse practitioner) may record a medical clearance.",
    )
    note = required_text(note, "note", "Say what was reviewed (history, examination, tests) and the conclusion.")
    when = past_time(cleared_at, "cleared_at", timezone.now())
    with transaction.atomic():
        patient = lock_patient(patient)
        clearance = MedicalClearance.objects.create(patient=patient, prescriber=by, note=note, cleared_at=when)
        audit.record("intake.medicalclearance.create", patient=patient, obj=clearance, actor=by, details={"note": note})
    return clearance


# --- Clearance for dosing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clearance:
    """Whether a patient may be booked for (and given) a dosing session at a time, and in plain words why not."""

    cleared: bool
    reasons: tuple[str, ...]
    screening_id: int | None
    warnings: tuple[str, ...] = ()


def latest_screening(patient: Patient, at: dt.datetime | None = None) -> Screening | None:
    qs = Screening.objects.filter(patient=patient).exclude(status=ScreeningStatus.DRAFT)
    if at is not None:
        qs = qs.filter(screened_at__lte=at)
    return qs.select_related("protocol_version", "patient__site").order_by("-screened_at", "-id").first()


def _finding_messages(screening: Screening, kind: FindingKind) -> str:
    return " ".join(f["message"] for f in screening.findings_of(kind))


def is_cleared_for_dosing(patient: Patient, at: dt.datetime) -> Clearance:
    """Before a dosing session (CLINICAL_RULES.md section 1): a current screening that is eligible or overridden,
    signed consent of the current document, and a prescriber's medical clearance within the screening validity.

    The latest screening at `at` decides (a newer ineligible one is not outweighed by an older eligible one).
    Every missing piece is a reason; warnings (the screening's warning findings, open safety tasks, no C-SSRS
    screener at screening) never block.
    """
    reasons: list[str] = []
    warnings: list[str] = []
    _version, protocol = use_protocol(patient.site)
    days = protocol.screening.validity_days
    screening = latest_screening(patient, at)
    if screening is None:
        reasons.append("No intake screening has been recorded.")
    else:
        on = f"The screening of {local_day(patient.site, screening.screened_at):%Y-%m-%d}"
        if screening.decision == Decision.INELIGIBLE:
            reasons.append(f"{on} is ineligible: {_finding_messages(screening, FindingKind.ABSOLUTE)}")
        elif screening.decision == Decision.OVERRIDE_REQUIRED and not hasattr(screening, "override"):
            reasons.append(
                f"{on} needs a prescriber's override with a reason, not given yet: "
                f"{_finding_messages(screening, FindingKind.RELATIVE)}"
            )
        if not screening_current(screening, at):
            reasons.append(f"{on} is older than {validity_days(screening)} days and must be renewed.")
        warnings += [f["message"] for f in screening.findings_of(FindingKind.WARNING)]
        if screening.cssrs_assessment_id is None:
            warnings.append(
                f"No C-SSRS screener in the {screening.protocol_version.protocol().screening.cssrs_lookback_days} "
                "days before the screening: its suicide-risk rule could not be applied."
            )
    if not Consent.objects.filter(
        patient=patient, document_version=CURRENT_CONSENT_VERSION, signed_at__lte=at
    ).exists():
        reasons.append(f"No signed consent (document {CURRENT_CONSENT_VERSION}).")
    since = at - dt.timedelta(days=days)
    if not MedicalClearance.objects.filter(patient=patient, cleared_at__lte=at, cleared_at__gte=since).exists():
        reasons.append(f"No medical clearance by a prescriber in the last {days} days.")
    open_tasks = SafetyTask.objects.filter(patient=patient, status=SafetyTaskStatus.OPEN)
    warnings += [f"Open safety task: {task.reason}." for task in open_tasks]
    return Clearance(
        cleared=not reasons,
        reasons=tuple(reasons),
        screening_id=screening.pk if screening else None,
        warnings=tuple(warnings),
    )
