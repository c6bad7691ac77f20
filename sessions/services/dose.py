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
from sessions.models import CheckIn, DoseRecord, DosingSession, GateDecision, SessionStatus
from sessions.permissions import can_prescribe, can_run_sessions
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
        name: f"No {name.split('_')[0]} on record for the patient: give {name}."
        for name, value in (("weight_kg", weight), ("height_cm", height))
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


def calculate(request: DoseRequest, protocol: Protocol) -> DoseResult:
    """calculate_dose with its input errors as InvalidInput naming the field."""
    try:
        return calculate_dose(request, protocol)
    except DoseInputError as exc:
        raise InvalidInput({exc.field: exc.message}) from None


def preview_dose(session: DosingSession, **inputs: Any) -> DoseResult:
    """The dose the session would get with these inputs (for the dose panel), without recording anything."""
    protocol = current_protocol(session.patient.site)
    return calculate(dose_request(session, **inputs), protocol)


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
        not_cleared, _ = clearance_problem(patient, now)
        if not_cleared is not None:
            raise not_cleared.as_conflict()
        reading = latest_pre_dose_reading(session)
        if reading is None:
            raise Conflict("Record the pre-dose vital signs first.", code="vitals_required")
        if reading.gate == GateDecision.DEFER:
            raise Conflict(
                "The latest pre-dose vital signs say defer: " + " ".join(reading.gate_reasons),
                code="gate_defer",
                details={"reasons": reading.gate_reasons, "reading": reading.pk},
            )
        pending = pending_review(session, reading)
        if pending and not review_reason:
            raise Conflict(
                "A prescriber must acknowledge with a reason before dosing starts: " + " ".join(pending.reasons),
                code="review_unacknowledged",
                details={"reasons": list(pending.reasons)},
            )
        check = CheckIn.objects.get(session=session)
        if escort_confirmed and not check.escort_confirmed:
            check.escort_confirmed = True
            check.save(update_fields=["escort_confirmed"])
            audit_step("sessions.checkin.escort", session, check, by, confirmed=True)
        if not check.escort_confirmed:
            raise Conflict(
                "Confirm the escort (a responsible adult to take the patient home) before dosing starts.",
                code="no_escort",
            )
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
                "This dose needs a prescriber's override with a reason: " + " ".join(result.override_reasons),
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
