"""The intake screening (clinical protocol §1): the facts a nurse collects, the contraindication engine's decision
with the site's protocol, a prescriber's override of relative findings, and screenings expiring."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, TypedDict

from django.db import transaction
from django.utils import timezone

from clinic import audit
from clinic.domain import age_on, local_day, lock_patient, locked, past_time, require, text
from clinic.errors import Conflict, InvalidInput
from clinic.models import Patient, User
from clinic.protocol import Protocol
from clinic.services import current_protocol, update_patient, use_protocol
from intake.models import Override, Screening, ScreeningStatus
from intake.permissions import can_override, can_screen
from intake.rules import (
    Decision,
    FactsError,
    FindingKind,
    Medication,
    ScreeningFacts,
    SubstanceUse,
    evaluate_screening,
    screening_is_current,
)
from intake.services.assessments import latest_cssrs
from intake.services.self_report import substance_use_json, vocabulary_errors
from intake.vocabulary import finding_label

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


# The engine's refusals (intake.rules.FactsError) name the fact for programmers; a form shows these instead.
_FACT_SENTENCES = {
    "height_cm": "Enter the height in cm, a number above 0.",
    "weight_kg": "Enter the weight in kg, a number above 0.",
    "systolic": "Enter a whole number of 0 or more.",
    "diastolic": "Enter a whole number of 0 or more.",
    "heart_rate": "Enter a whole number of 0 or more.",
    "failed_antidepressant_trials": "Enter a whole number of 0 or more.",
    "diazepam_equivalent_mg_per_day": "Enter a dose of 0 mg or more, or leave it empty if it is unknown.",
    "pregnant_or_breastfeeding": "Answer yes or no.",
    "status": "Choose none, active or in remission.",
    "remission_since": "A remission date needs the disorder marked as in remission.",
}


def fact_sentence(field: str, message: str) -> str:
    """What a nurse reads for a fact the engine refused (its own words for anything else)."""
    return _FACT_SENTENCES.get(field.rsplit(".", 1)[-1], f"This value cannot be used: {message}.")


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


def _given(facts: Mapping[str, Any], name: str) -> Any:
    """A fact as the interface gave it (None if missing): ScreeningFacts checks its type and names what is wrong."""
    return facts.get(name)


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
    """Record a screening and decide it (clinical protocol §1) with the site's active protocol.

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
    errors: dict[str, Any] = dict(vocabulary_errors(history, medication_rows))
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
                height_cm=_given(facts, "height_cm"),
                weight_kg=_given(facts, "weight_kg"),
                systolic=_given(facts, "systolic"),
                diastolic=_given(facts, "diastolic"),
                heart_rate=_given(facts, "heart_rate"),
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
            raise InvalidInput({field: fact_sentence(exc.field, exc.message)}) from None
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
            substance_use=substance_use_json(substance),
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


def override_screening(screening: Screening, by: User, reason: str, *, addressed: Sequence[str] = ()) -> Screening:
    """A prescriber clears a screening whose decision is `override_required`, with a written reason that addresses
    each relative finding (`addressed`: their codes).

    Refused: other roles (403); an absolute finding (409 `absolute_finding`: nobody can override it); a screening
    that needs no override, is already overridden, expired or superseded by a newer one (409); a reason shorter than
    the protocol's `screening.override_reason_min_chars`, or a relative finding not addressed (400 on `reason` and
    `addressed_findings`).
    """
    require(can_override(by), "Only a prescriber (physician or nurse practitioner) may override a screening.")
    with transaction.atomic():
        screening = locked(Screening.objects.select_related("patient__site")).get(pk=screening.pk)
        _, protocol = use_protocol(screening.patient.site)  # the decision weighs the active version's validity
        refusal = override_refusal(screening, timezone.now())
        if refusal is not None:
            raise refusal
        relative = [f["code"] for f in screening.findings_of(FindingKind.RELATIVE)]
        reason = text(reason)
        errors = override_input_errors(reason, addressed, relative, protocol.screening.override_reason_min_chars)
        if errors:
            raise InvalidInput(errors)
        override = Override.objects.create(
            screening=screening, prescriber=by, reason=reason, addressed_findings=relative
        )
        screening.set_status(ScreeningStatus.OVERRIDDEN, by=by, reason=reason)
        audit.record(
            "intake.screening.override",
            patient=screening.patient,
            obj=override,
            actor=by,
            details={"screening": screening.pk, "reason": reason, "findings": relative},
        )
    return screening


def override_input_errors(
    reason: str, addressed: Sequence[str], relative: Sequence[str], min_chars: int
) -> dict[str, str]:
    """What is wrong with an override's reason and ticked findings, by field ({} when nothing is)."""
    errors = {}
    if not reason:
        errors["reason"] = "Write why the relative findings are acceptable for this patient."
    elif len(reason) < min_chars:
        errors["reason"] = (
            f"Write at least {min_chars} characters: say why each finding is acceptable for this patient "
            f"({len(reason)} so far)."
        )
    unknown = sorted(set(addressed) - set(relative))
    missing = [code for code in relative if code not in set(addressed)]
    if unknown:
        errors["addressed_findings"] = (
            f"These are not relative findings of this screening: {'; '.join(finding_label(c) for c in unknown)}."
        )
    elif missing:
        errors["addressed_findings"] = (
            f"Tick each finding your reason addresses: {'; '.join(finding_label(c) for c in missing)}."
        )
    return errors


def override_refusal(
    screening: Screening, at: dt.datetime, *, active: Protocol | None = None, newest: bool = False
) -> Conflict | None:
    """Why `screening` cannot be overridden at `at` (the Conflict override_screening raises), or None if it can.

    The intake page and the worklist ask this too, so they offer an override exactly when the service accepts one.
    A list asking for many screenings passes its site's `active` protocol (read once) and `newest=True` when its
    query already left out every screening a newer one supersedes (intake.summary.worklist): no query per row.
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
    if screening.status != ScreeningStatus.DECIDED or not screening_current(screening, at, active=active):
        return Conflict("This screening has expired; screen the patient again.", code="screening_expired")
    newer = Screening.objects.filter(patient=screening.patient, screened_at__gt=screening.screened_at)
    if not newest and newer.exclude(status=ScreeningStatus.DRAFT).exists():
        return Conflict("A newer screening of this patient exists; review that one.", code="superseded")
    return None


def can_be_overridden(
    screening: Screening, at: dt.datetime, *, active: Protocol | None = None, newest: bool = False
) -> bool:
    return override_refusal(screening, at, active=active, newest=newest) is None


def screening_current(screening: Screening, at: dt.datetime, *, active: Protocol | None = None) -> bool:
    """Current under both the screening's own protocol version and the site's active one (the shorter wins; a
    caller that has read the site's active protocol passes it as `active`)."""
    if screening.status == ScreeningStatus.EXPIRED:
        return False
    day = local_day(screening.patient.site, at)
    screened_on = local_day(screening.patient.site, screening.screened_at)
    active = active or current_protocol(screening.patient.site)
    own = screening.protocol_version.protocol()
    return all(screening_is_current(screened_on, day, p.screening) for p in (own, active))


def screening_cleared(screening: Screening, at: dt.datetime, *, active: Protocol | None = None) -> bool:
    """Eligible or overridden, and still current at `at` (`active`: the site's active protocol, if read already)."""
    return screening.is_cleared and screening_current(screening, at, active=active)


def validity_days(screening: Screening) -> int:
    active = current_protocol(screening.patient.site)
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
                use_protocol(screening.patient.site)  # the expiry weighs the active version's validity
                screening.set_status(
                    ScreeningStatus.EXPIRED, by=None, reason=f"older than {validity_days(screening)} days"
                )
                count += 1
    return count
