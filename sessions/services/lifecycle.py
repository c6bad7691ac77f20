"""A dosing session's life from arrival to discharge (clinical protocol §4): check-in with the fasting attestation
and the escort, vital signs judged by the pre-dose gate or the in-session alerts, a prescriber's acknowledgement of
a review, the end of dosing, a deferral, and discharge. Starting dosing (the dose) is in
sessions.services.dose, adverse events and dissociation ratings in sessions.services.observations.

Each step locks the session, refuses a step out of order (Conflict `invalid_transition`, from the session's
transition table), stores the protocol version it used and audits the record it made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic import audit
from clinic.domain import locked, past_time, require, required_text, text
from clinic.errors import Conflict, InvalidInput
from clinic.models import NotificationKind, User
from clinic.notifications import notify_care_team
from clinic.protocol import Protocol, Route
from clinic.services import use_protocol
from sessions import reminders
from sessions.models import (
    CheckIn,
    Discharge,
    DoseRecord,
    DosingSession,
    GateDecision,
    ReviewAcknowledgement,
    SessionStatus,
    VitalPhase,
    VitalSign,
)
from sessions.monitoring import (
    FastingResult,
    Vitals,
    fasting_check,
    in_session_alerts,
    plausibility_errors,
    pre_dose_gate,
)
from sessions.permissions import can_prescribe, can_run_sessions
from sessions.progress import Checklist, DischargeFacts, EarlyStopError, discharge_checklist, early_stop
from sessions.services.base import MINUTE, PHASE_BY_STATUS, audit_step, instrument_total, lock_session, plain
from sessions.services.courses import complete_course_if_done


def _fasting(
    session: DosingSession, solids: Decimal | None, liquids: Decimal | None, protocol: Protocol
) -> FastingResult:
    """The fasting attestation judged by the protocol; a negative time is InvalidInput on its field."""
    try:
        return fasting_check(session.route, solids, liquids, protocol.monitoring)
    except ValueError as exc:
        if "must not be negative" not in str(exc):
            raise
        field = "fasting_solids_hours" if "solids" in str(exc) else "fasting_clear_liquids_hours"
        raise InvalidInput({field: "Give the hours since then as a number of zero or more."}) from None


def check_in(
    *,
    by: User,
    session: DosingSession,
    fasting_solids_hours: Decimal | None,
    fasting_clear_liquids_hours: Decimal | None,
    escort_confirmed: bool,
    escort_name: str = "",
    escort_phone: str = "",
) -> CheckIn:
    """Arrival (clinical protocol §4): the fasting attestation (`ok` or `review`) and the escort. Until dosing
    starts, every fact of it can be corrected (`correct_check_in`)."""
    require(can_run_sessions(by), "Only a nurse or a prescriber may check a patient in for dosing.")
    with transaction.atomic():
        session = lock_session(session)
        session.check_transition(SessionStatus.CHECKED_IN)
        version, protocol = use_protocol(session.patient.site)
        fasting = _fasting(session, fasting_solids_hours, fasting_clear_liquids_hours, protocol)
        now = timezone.now()
        record = CheckIn.objects.create(
            session=session,
            checked_in_at=now,
            checked_in_by=by,
            fasting_solids_hours=fasting_solids_hours,
            fasting_clear_liquids_hours=fasting_clear_liquids_hours,
            fasting=fasting.status,
            fasting_reasons=list(fasting.reasons),
            escort_confirmed=escort_confirmed,
            escort_name=text(escort_name),
            escort_phone=text(escort_phone),
            protocol_version=version,
        )
        session.set_status(SessionStatus.CHECKED_IN, by=by, at=now)
        audit_step(
            "sessions.checkin.create",
            session,
            record,
            by,
            fasting=fasting.status,
            fasting_reasons=list(fasting.reasons),
            escort_confirmed=escort_confirmed,
            protocol_version=version.number,
        )
    return record


# The facts of a check-in a correction may change, in the order a person reads them.
CHECK_IN_FACTS = (
    "fasting_solids_hours",
    "fasting_clear_liquids_hours",
    "escort_confirmed",
    "escort_name",
    "escort_phone",
)


@dataclass(frozen=True)
class CheckInCorrection:
    """A corrected check-in and what changed: {fact: (old, new)} (empty when nothing did)."""

    check_in: CheckIn
    changes: dict[str, tuple[object, object]]


def check_in_correctable(session: DosingSession) -> bool:
    """A check-in can be completed or corrected from check-in until dosing starts."""
    return session.status == SessionStatus.CHECKED_IN


def correct_check_in(
    *,
    by: User,
    session: DosingSession,
    fasting_solids_hours: Decimal | None,
    fasting_clear_liquids_hours: Decimal | None,
    escort_confirmed: bool,
    escort_name: str = "",
    escort_phone: str = "",
    reason: str = "",
) -> CheckInCorrection:
    """Complete or correct the check-in before dosing starts (clinical protocol §4): every fact is given again.
    Changed fasting hours are judged again by the current protocol, and a prescriber's earlier fasting review no
    longer counts for them. The audit entry holds each changed fact with its old and new value."""
    require(can_run_sessions(by), "Only a nurse or a prescriber may correct a check-in.")
    with transaction.atomic():
        session = lock_session(session)
        if not check_in_correctable(session):
            raise Conflict(
                "The check-in can be corrected only until dosing starts; this session is "
                f"{session.get_status_display().lower()}.",
                code="invalid_transition",
                details={"status": session.status},
            )
        record = locked(CheckIn.objects.all()).get(session=session)
        wanted: dict[str, object] = {
            "fasting_solids_hours": fasting_solids_hours,
            "fasting_clear_liquids_hours": fasting_clear_liquids_hours,
            "escort_confirmed": escort_confirmed,
            "escort_name": text(escort_name),
            "escort_phone": text(escort_phone),
        }
        changes: dict[str, tuple[object, object]] = {
            name: (getattr(record, name), value)
            for name, value in wanted.items()
            if _differs(getattr(record, name), value)
        }
        if not changes:
            return CheckInCorrection(record, {})
        now = timezone.now()
        for name, (_old, value) in changes.items():
            setattr(record, name, value)
        record.corrected_at = now
        details: dict[str, object] = {}
        if changes.keys() & {"fasting_solids_hours", "fasting_clear_liquids_hours"}:
            version, protocol = use_protocol(session.patient.site)
            fasting = _fasting(session, fasting_solids_hours, fasting_clear_liquids_hours, protocol)
            if fasting.status != record.fasting or list(fasting.reasons) != record.fasting_reasons:
                changes["fasting"] = (record.fasting, fasting.status)
            record.fasting, record.fasting_reasons = fasting.status, list(fasting.reasons)
            record.fasting_attested_at, record.protocol_version = now, version
            details["protocol_version"] = version.number
        record.save()
        audit_step(
            "sessions.checkin.correct",
            session,
            record,
            by,
            changes={name: {"old": plain(old), "new": plain(new)} for name, (old, new) in changes.items()},
            reason=text(reason),
            **details,
        )
    return CheckInCorrection(record, changes)


def _differs(old: object, new: object) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return old is None or new is None or Decimal(str(old)) != Decimal(str(new))
    return old != new


def record_vitals(
    *,
    by: User,
    session: DosingSession,
    systolic: int,
    diastolic: int,
    heart_rate: int,
    spo2: int,
    respiratory_rate: int | None = None,
    phase: str | None = None,
    recorded_at: dt.datetime | None = None,
) -> VitalSign:
    """One set of vital signs. Before dosing it is judged by the pre-dose gate (proceed, review, defer); during and
    after dosing by the in-session alerts, which also notify the care team. Impossible values are refused (400)."""
    require(can_run_sessions(by), "Only a nurse or a prescriber may record vital signs.")
    vitals = Vitals(systolic, diastolic, heart_rate, spo2, respiratory_rate)
    errors = plausibility_errors(vitals)
    if errors:
        raise InvalidInput(errors)
    now = timezone.now()
    when = past_time(recorded_at, "recorded_at", now)
    with transaction.atomic():
        session = lock_session(session)
        expected = PHASE_BY_STATUS.get(SessionStatus(session.status))
        if expected is None:
            raise Conflict(
                "Vital signs are recorded from check-in to discharge; this session is "
                f"{session.get_status_display().lower()}.",
                code="invalid_transition",
                details={"status": session.status},
            )
        if phase and phase != expected:
            raise InvalidInput(
                {
                    "phase": f"The session is {session.get_status_display().lower()}: this reading is "
                    f"{VitalPhase(expected).label.lower()}."
                }
            )
        version, protocol = use_protocol(session.patient.site)
        gate, gate_reasons, alerts = "", [], []
        if expected == VitalPhase.PRE:
            result = pre_dose_gate(vitals, protocol.monitoring)
            gate, gate_reasons = result.decision, list(result.reasons)
        else:
            alerts = list(in_session_alerts(vitals, protocol.monitoring))
        reading = VitalSign.objects.create(
            session=session,
            recorded_at=when,
            phase=expected,
            systolic=systolic,
            diastolic=diastolic,
            heart_rate=heart_rate,
            spo2=spo2,
            respiratory_rate=respiratory_rate,
            gate=gate,
            gate_reasons=gate_reasons,
            alerts=alerts,
            recorded_by=by,
            protocol_version=version,
        )
        audit_step(
            "sessions.vitalsign.create",
            session,
            reading,
            by,
            phase=expected,
            values=asdict(vitals),
            gate=gate,
            alerts=alerts,
            protocol_version=version.number,
        )
        if alerts:
            notify_care_team(
                session.patient,
                kind=NotificationKind.SAFETY_ALERT,
                title="In-session vital-sign alert",
                body=" ".join(alerts),
                link=reverse("staff:sessions:session", args=[session.pk]),
                dedupe_key=f"sessions-vitals-alert-{reading.pk}",
            )
    return reading


def latest_pre_dose_reading(session: DosingSession) -> VitalSign | None:
    return session.vital_signs.filter(phase=VitalPhase.PRE).order_by("-recorded_at", "-id").first()


@dataclass(frozen=True)
class PendingReview:
    """What a prescriber must acknowledge before dosing starts: a `review` gate reading and/or a fasting review."""

    reading: VitalSign | None
    fasting: bool
    reasons: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.reasons)


def pending_review(session: DosingSession, reading: VitalSign | None = None) -> PendingReview:
    """The review items not yet acknowledged: the latest pre-dose reading if it says `review` and no acknowledgement
    names it, and the check-in's fasting `review` if no acknowledgement covers it."""
    reading = reading if reading is not None else latest_pre_dose_reading(session)
    acknowledgements = session.review_acknowledgements.all()
    reasons: list[str] = []
    gate_pending = bool(
        reading is not None
        and reading.gate == GateDecision.REVIEW
        and not acknowledgements.filter(vital_sign=reading).exists()
    )
    if gate_pending and reading is not None:
        reasons += reading.gate_reasons
    check = CheckIn.objects.filter(session=session).first()
    fasting_pending = bool(
        check is not None
        and check.fasting == "review"
        and not acknowledgements.filter(
            covers_fasting=True, acknowledged_at__gte=check.fasting_attested_at or check.checked_in_at
        ).exists()
    )
    if fasting_pending and check is not None:
        reasons += check.fasting_reasons
    return PendingReview(reading if gate_pending else None, fasting_pending, tuple(reasons))


def acknowledge(session: DosingSession, pending: PendingReview, by: User, reason: str) -> ReviewAcknowledgement:
    acknowledgement = ReviewAcknowledgement.objects.create(
        session=session,
        vital_sign=pending.reading,
        covers_fasting=pending.fasting,
        reviewed_reasons=list(pending.reasons),
        reason=reason,
        acknowledged_by=by,
        acknowledged_at=timezone.now(),
    )
    audit_step(
        "sessions.reviewacknowledgement.create",
        session,
        acknowledgement,
        by,
        reading=pending.reading.pk if pending.reading else None,
        fasting=pending.fasting,
        reviewed=list(pending.reasons),
        reason=reason,
    )
    return acknowledgement


def acknowledge_review(*, by: User, session: DosingSession, reason: str) -> ReviewAcknowledgement:
    """A prescriber acknowledges, with a reason, a `review` pre-dose reading or fasting review so dosing may start."""
    require(can_prescribe(by), "Only a prescriber may acknowledge a review to proceed.")
    reason = required_text(reason, "reason", "Write why it is safe to proceed.")
    with transaction.atomic():
        session = lock_session(session)
        if session.status != SessionStatus.CHECKED_IN:
            raise Conflict("A review is acknowledged after check-in and before dosing.", code="invalid_transition")
        pending = pending_review(session)
        if not pending:
            raise Conflict("Nothing is waiting for a prescriber's review.", code="nothing_to_review")
        return acknowledge(session, pending, by, reason)


def end_dosing(
    *, by: User, session: DosingSession, stop_reason: str = "", actual_dose_mg: Decimal | None = None
) -> DoseRecord:
    """Dosing ended: the observation clock starts (clinical protocol §4, "Discharge"). The record keeps the planned
    dose and adds the real duration and the dose given; ending more than `monitoring.early_stop_tolerance_min`
    before the planned duration is an early stop (sessions.progress.early_stop): it needs `stop_reason`, and the
    dose given is `actual_dose_mg` if the nurse gives it (never more than planned), else rate x minutes."""
    require(can_run_sessions(by), "Only a nurse or a prescriber may end dosing.")
    with transaction.atomic():
        session = lock_session(session)
        session.check_transition(SessionStatus.MONITORING)
        now = timezone.now()
        dose = locked(DoseRecord.objects.all()).get(session=session)
        version, protocol = use_protocol(session.patient.site)
        try:
            stop = early_stop(
                started_at=dose.started_at,
                ended_at=max(now, dose.started_at),
                planned_min=dose.duration_min,
                planned_dose_mg=dose.dose_mg,
                rate_mg_per_min=dose.rate_mg_per_min,
                tolerance_min=protocol.monitoring.early_stop_tolerance_min,
                stop_reason=text(stop_reason),
                given_mg=actual_dose_mg,
            )
        except EarlyStopError as exc:
            raise InvalidInput({exc.field: exc.message}) from None
        dose.ended_at = now
        dose.actual_duration_min = stop.actual_min
        dose.actual_dose_mg = stop.actual_dose_mg
        dose.stopped_early = stop.early
        dose.stop_reason = text(stop_reason) if stop.early else ""
        dose.save(update_fields=["ended_at", "actual_duration_min", "actual_dose_mg", "stopped_early", "stop_reason"])
        session.set_status(SessionStatus.MONITORING, by=by, at=now, reason=dose.stop_reason)
        audit_step(
            "sessions.doserecord.end",
            session,
            dose,
            by,
            dosing_min=stop.actual_min,
            planned_min=dose.duration_min,
            dose_given_mg=plain(stop.actual_dose_mg),
            stopped_early=stop.early,
            stop_reason=dose.stop_reason,
            dose_given_entered=stop.early and actual_dose_mg is not None,
            protocol_version=version.number,
        )
    return dose


def defer_session(*, by: User, session: DosingSession, reason: str) -> DosingSession:
    """The patient goes home undosed (a `defer` gate, a prescriber's decision); the chair is freed."""
    require(can_run_sessions(by), "Only a nurse or a prescriber may defer a session.")
    reason = required_text(reason, "reason", "Say why dosing is deferred.")
    with transaction.atomic():
        session = lock_session(session)
        session.set_status(SessionStatus.DEFERRED, by=by, reason=reason)
        reminders.session_closed(session, by)
        audit.record(
            "sessions.dosingsession.defer", patient=session.patient, obj=session, actor=by, details={"reason": reason}
        )
    return session


def discharge_checklist_for(
    session: DosingSession,
    protocol: Protocol,
    *,
    aldrete_total: int | None = None,
    escort_present: bool | None = None,
    now: dt.datetime | None = None,
) -> Checklist:
    """What discharge still needs (sessions.progress.discharge_checklist): the session page shows it, and
    discharge_session refuses with it."""
    dose = DoseRecord.objects.filter(session=session).first()
    facts = DischargeFacts(
        route=Route(session.route),
        dosing_ended_at=dose.ended_at if dose is not None else None,
        aldrete_total=aldrete_total,
        escort_present=escort_present,
    )
    return discharge_checklist(facts, now or timezone.now(), protocol)


def discharge_session(
    *,
    by: User,
    session: DosingSession,
    aldrete: Sequence[int],
    escort_confirmed: bool,
    escort_name: str = "",
    instructions_given: bool = False,
    no_driving_acknowledged: bool = False,
    notes: str = "",
) -> Discharge:
    """Discharge (clinical protocol §4): modified Aldrete of at least 9, the route's minimum observation since
    dosing ended, an escort present. Every blocker is listed; the 409 code is the first one's."""
    require(can_run_sessions(by), "Only a nurse or a prescriber may discharge a patient.")
    with transaction.atomic():
        session = lock_session(session)
        session.check_transition(SessionStatus.DISCHARGED)
        version, protocol = use_protocol(session.patient.site)
        total = instrument_total("aldrete", aldrete, protocol, "aldrete")
        dose = DoseRecord.objects.get(session=session)
        now = timezone.now()
        checklist = discharge_checklist_for(
            session, protocol, aldrete_total=total, escort_present=escort_confirmed, now=now
        )
        if not checklist.ready:
            blockers = checklist.unmet
            raise Conflict(
                " ".join(b.text for b in blockers),
                code=blockers[0].code,
                details={"blockers": [{"code": b.code, "detail": b.text} for b in blockers]},
            )
        assert dose.ended_at is not None  # noqa: S101 - the checklist refuses a missing end
        record = Discharge.objects.create(
            session=session,
            discharged_at=now,
            discharged_by=by,
            aldrete_items=list(aldrete),
            aldrete_total=total,
            observation_min=(now - dose.ended_at) // MINUTE,
            escort_confirmed=escort_confirmed,
            escort_name=text(escort_name),
            instructions_given=instructions_given,
            no_driving_acknowledged=no_driving_acknowledged,
            notes=text(notes),
            protocol_version=version,
        )
        session.set_status(SessionStatus.DISCHARGED, by=by, at=now)
        audit_step(
            "sessions.discharge.create",
            session,
            record,
            by,
            aldrete=list(aldrete),
            aldrete_total=total,
            observation_min=record.observation_min,
            escort_confirmed=escort_confirmed,
            instructions_given=instructions_given,
            no_driving_acknowledged=no_driving_acknowledged,
            protocol_version=version.number,
        )
        complete_course_if_done(session, by)
    return record
