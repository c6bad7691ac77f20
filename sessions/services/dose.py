"""The dose: calculating it for the dose panel, and starting dosing with it (clinical protocol §2 and §4).

The calculation is sessions.dosing (pure rules) with the site's protocol; this module gathers its inputs from the
session and the patient's record, and start_dosing records the result with every check that must pass first.
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from clinic.domain import age_on, local_day, require, required_text, text
from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import User
from clinic.protocol import Protocol
from clinic.services import current_protocol, use_protocol
from sessions.dosing import DoseInputError, DoseRequest, DoseResult, SexAtBirth, calculate_dose
from sessions.models import CheckIn, DoseRecord, DosingSession, SessionStatus
from sessions.permissions import can_prescribe, can_run_sessions
from sessions.progress import Checklist, DoseFacts, Refusal, StartFacts, sentences, start_checklist
from sessions.services.availability import clearance_problem
from sessions.services.base import audit_step, lock_session, plain
from sessions.services.courses import course_dosed
from sessions.services.lifecycle import acknowledge, latest_pre_dose_reading, pending_review


def dose_request(
    session: DosingSession,
    *,
    mg_per_kg: Decimal | None = None,
    dose_mg: Decimal | None = None,
    duration_min: int | None = None,
    bag_volume_ml: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
    weight_kg: Decimal | None = None,
    height_cm: Decimal | None = None,
) -> DoseRequest:
    patient = session.patient
    weight = weight_kg if weight_kg is not None else patient.weight_kg
    height = height_cm if height_cm is not None else patient.height_cm
    missing = {
        name: f"The patient's record has no {what}: {ask}."
        for name, value, what, ask in (
            ("weight_kg", weight, "weight", "give today's weight"),
            ("height_cm", height, "height", "add it to the patient's record first"),
        )
        if value is None
    }
    if missing:
        raise InvalidInput(missing)
    assert weight is not None  # noqa: S101 - narrowed by `missing` above
    assert height is not None  # noqa: S101
    first_dose = not DoseRecord.objects.filter(session__patient=patient, route=session.route).exists()
    return DoseRequest(
        route=session.route,
        weight_kg=weight,
        height_cm=height,
        sex_at_birth=cast(SexAtBirth, patient.sex_at_birth),  # the record's choices; calculate_dose checks again
        mg_per_kg=mg_per_kg,
        dose_mg=dose_mg,
        duration_min=duration_min,
        bag_volume_ml=bag_volume_ml,
        concentration_mg_per_ml=concentration_mg_per_ml,
        age=age_on(patient.date_of_birth, local_day(patient.site, timezone.now())),
        first_dose=first_dose,
    )


# How a dose-calculation refusal names its input, for a message read without the form beside it.
INPUT_NAMES = {
    "mg_per_kg": "The mg/kg",
    "dose_mg": "The dose",
    "duration_min": "The infusion duration",
    "bag_volume_ml": "The bag volume",
    "concentration_mg_per_ml": "The vial concentration",
    "weight_kg": "The weight",
    "height_cm": "The height",
    "age": "The age",
    "sex_at_birth": "The sex at birth",
    "route": "The route",
}


def input_sentence(field: str, message: str) -> str:
    """A calculation's refusal as a sentence: "must be more than 0" on weight_kg reads "The weight must be more than
    0."; a message that is already a sentence keeps its words."""
    name = INPUT_NAMES.get(field, "This value")
    if message.startswith("required: "):
        message = f"{name} is required: {message.removeprefix('required: ')}"
    elif message[:1].islower():
        message = f"{name} {message}"
    return message if message.endswith(".") else message + "."


def calculate(request: DoseRequest, protocol: Protocol) -> DoseResult:
    """calculate_dose with its input errors as InvalidInput naming the field, in a sentence."""
    try:
        return calculate_dose(request, protocol)
    except DoseInputError as exc:
        raise InvalidInput({exc.field: input_sentence(exc.field, exc.message)}) from None


def dose_summary(result: DoseResult) -> str:
    """The dose in one line for the checklist: "35.0 mg (0.5 mg/kg of 70.0 kg) over 40 min"."""
    parts = [f"{result.dose_mg} mg"]
    if result.mg_per_kg is not None and result.dosing_weight_kg is not None:
        parts.append(f"({result.mg_per_kg} mg/kg of {result.dosing_weight_kg} kg)")
    if result.rate_mg_per_min is not None and result.duration_min is not None:
        parts.append(f"over {result.duration_min} min")
    return " ".join(parts)


def start_checklist_for(
    session: DosingSession,
    *,
    dose_inputs: dict[str, Any] | None = None,
    override_reason: str = "",
    review_reason: str = "",
    escort_confirmed: bool | None = None,
    dose_problem: str = "",
    protocol: Protocol | None = None,
) -> Checklist:
    """What starting dosing still needs (sessions.progress.start_checklist), from the session's record and, when
    `dose_inputs` are given (the dose panel's fields), the dose they calculate. The session page shows it and
    start_dosing refuses with it. A review or an escort given with the start itself counts as given; `dose_problem`
    is what the form itself refused in the dose inputs (a number that is not one)."""
    check = CheckIn.objects.filter(session=session).first()
    not_cleared, _ = clearance_problem(session.patient, timezone.now())
    reading = latest_pre_dose_reading(session)
    pending = pending_review(session, reading)
    dose: DoseFacts | None = DoseFacts(problem=dose_problem) if dose_problem else None
    if dose_inputs is not None and not dose_problem:
        dose = _dose_facts(session, dose_inputs, override_reason, protocol or current_protocol(session.patient.site))
    facts = StartFacts(
        clearance_reasons=tuple(not_cleared.details["reasons"]) if not_cleared is not None else (),
        gate=cast(Any, reading.gate) if reading is not None else None,
        gate_reasons=tuple(reading.gate_reasons) if reading is not None else (),
        vitals_review_pending=pending.reading is not None,
        fasting_ok=check is None or check.fasting == "ok",
        fasting_reasons=tuple(check.fasting_reasons) if check is not None else (),
        fasting_review_pending=pending.fasting,
        escort_confirmed=bool(escort_confirmed or (check is not None and check.escort_confirmed)),
        escort_name=check.escort_name if check is not None else "",
        review_reason_given=bool(text(review_reason)),
        dose=dose,
    )
    return start_checklist(facts)


def _dose_facts(session: DosingSession, inputs: dict[str, Any], override_reason: str, protocol: Protocol) -> DoseFacts:
    try:
        result = calculate(dose_request(session, **inputs), protocol)
    except InvalidInput as exc:
        return DoseFacts(problem=" ".join(m for messages in exc.errors.values() for m in messages))
    return DoseFacts(
        summary=dose_summary(result),
        override_reasons=result.override_reasons if result.requires_override else (),
        override_given=bool(text(override_reason)),
    )


def preview_dose(session: DosingSession, **inputs: Any) -> DoseResult:
    """The dose the session would get with these inputs (for the dose panel), without recording anything."""
    protocol = current_protocol(session.patient.site)
    return calculate(dose_request(session, **inputs), protocol)


def _refusal_details(session: DosingSession, refusal: Refusal) -> dict[str, Any]:
    """The details each start refusal has always carried in the API (the reasons; the defer reading's id)."""
    if refusal.code in ("vitals_required", "no_escort"):
        return {}
    details: dict[str, Any] = {"reasons": list(refusal.reasons)}
    if refusal.code == "gate_defer":
        reading = latest_pre_dose_reading(session)
        details["reading"] = reading.pk if reading is not None else None
    return details


def start_dosing(
    *,
    by: User,
    session: DosingSession,
    lot_number: str,
    mg_per_kg: Decimal | None = None,
    dose_mg: Decimal | None = None,
    duration_min: int | None = None,
    bag_volume_ml: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
    weight_kg: Decimal | None = None,
    height_cm: Decimal | None = None,
    review_reason: str = "",
    override_reason: str = "",
    escort_confirmed: bool | None = None,
) -> DoseRecord:
    """Start dosing (clinical protocol §2 and §4), in this order of checks:

    the session is checked in (else invalid_transition); the patient is still cleared (not_cleared); a pre-dose
    reading exists (vitals_required) and does not say defer (gate_defer); a `review` reading or fasting review is
    acknowledged by a prescriber, earlier or now with `review_reason` (review_unacknowledged); an escort is confirmed
    (no_escort); the dose is calculated from the session's route and the patient's measurements (400 naming the
    field); a dose that needs a prescriber override has one, with `override_reason` (dose_override_required).
    """
    require(can_run_sessions(by), "Only a nurse or a prescriber may start dosing.")
    review_reason, override_reason = text(review_reason), text(override_reason)
    if review_reason and not can_prescribe(by):
        raise NotAllowed("Only a prescriber may acknowledge a review to proceed.")
    if override_reason and not can_prescribe(by):
        raise NotAllowed("Only a prescriber may override a dose limit.")
    with transaction.atomic():
        session = lock_session(session)
        session.check_transition(SessionStatus.DOSING)
        patient = session.patient
        now = timezone.now()
        checklist = start_checklist_for(session, review_reason=review_reason, escort_confirmed=escort_confirmed)
        refusal = checklist.refusal()
        if refusal is not None:
            raise Conflict(refusal.message, code=refusal.code, details=_refusal_details(session, refusal))
        pending = pending_review(session)
        check = CheckIn.objects.get(session=session)
        if escort_confirmed and not check.escort_confirmed:
            check.escort_confirmed = True
            check.save(update_fields=["escort_confirmed"])
            audit_step("sessions.checkin.escort", session, check, by, confirmed=True)
        version, protocol = use_protocol(patient.site)
        request = dose_request(
            session,
            mg_per_kg=mg_per_kg,
            dose_mg=dose_mg,
            duration_min=duration_min,
            bag_volume_ml=bag_volume_ml,
            concentration_mg_per_ml=concentration_mg_per_ml,
            weight_kg=weight_kg,
            height_cm=height_cm,
        )
        result = calculate(request, protocol)
        lot_number = required_text(lot_number, "lot_number", "Give the medication's lot number.")
        if result.requires_override and not override_reason:
            raise Conflict(
                "This dose needs a prescriber's override with a reason: " + sentences(result.override_reasons),
                code="dose_override_required",
                details={"override_reasons": list(result.override_reasons), "dose_mg": result.dose_mg},
            )
        if pending:
            acknowledge(session, pending, by, review_reason)
        dose = DoseRecord.objects.create(
            session=session,
            protocol_version=version,
            route=result.route.value,
            inputs=plain(asdict(request)),
            result=plain(asdict(result)),
            dose_mg=result.dose_mg,
            mg_per_kg=result.mg_per_kg,
            dosing_weight_kg=result.dosing_weight_kg,
            weight_basis=result.weight_basis or "",
            duration_min=result.duration_min,
            rate_mg_per_min=result.rate_mg_per_min,
            pump_rate_ml_per_h=result.pump_rate_ml_per_h,
            draw_volume_ml=result.draw_volume_ml,
            warnings=list(result.warnings),
            lot_number=lot_number,
            administered_by=by,
            started_at=now,
            requires_override=result.requires_override,
            override_reasons=list(result.override_reasons),
            override_reason=override_reason if result.requires_override else "",
            override_by=by if result.requires_override else None,
        )
        session.set_status(SessionStatus.DOSING, by=by, at=now)
        audit_step(
            "sessions.doserecord.create",
            session,
            dose,
            by,
            inputs=dose.inputs,
            dose_mg=result.dose_mg,
            lot_number=lot_number,
            warnings=list(result.warnings),
            protocol_version=version.number,
        )
        if result.requires_override:
            audit_step(
                "sessions.doserecord.override",
                session,
                dose,
                by,
                override_reasons=list(result.override_reasons),
                reason=override_reason,
            )
        course_dosed(session, now, by, protocol)
    return dose
