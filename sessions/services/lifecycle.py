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
from clinic.services import use_protocol
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
    Vitals,
    discharge_readiness,
    fasting_check,
    in_session_alerts,
    plausibility_errors,
    pre_dose_gate,
)
from sessions.permissions import can_prescribe, can_run_sessions
from sessions.services.base import MINUTE, PHASE_BY_STATUS, audit_step, instrument_total, lock_session
from sessions.services.courses import complete_course_if_done


def check_in(
    *,
    by: User,
    session: DosingSession,
    fasting_solids_hours: Decimal | None,
    fasting_clear_liquids_hours: Decimal | None,
    escort_confirmed: bool,
    escort_name: str = "",
) -> CheckIn:
    """Arrival (clinical protocol §4): the fasting attestation (`ok` or `review`) and the escort."""
    require(can_run_sessions(by), "Only a nurse or a prescriber may check a patient in for dosing.")
    with transaction.atomic():
        session = lock_session(session)
        session.check_transition(SessionStatus.CHECKED_IN)
        version, protocol = use_protocol(session.patient.site)
        try:
            fasting = fasting_check(
                session.route, fasting_solids_hours, fasting_clear_liquids_hours, protocol.monitoring
            )
        except ValueError as exc:
            if "must not be negative" not in str(exc):
                raise
            field = "fasting_solids_hours" if "solids" in str(exc) else "fasting_clear_liquids_hours"
            raise InvalidInput({field: "Give the hours since then as a number of zero or more."}) from None
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
                {"phase": f"The session is {session.get_status_display().lower()}: this reading is {expected!s}."}
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
        check is not None and check.fasting == "review" and not acknowledgements.filter(covers_fasting=True).exists()
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


def end_dosing(*, by: User, session: DosingSession) -> DoseRecord:
    """Dosing ended: the observation clock starts (clinical protocol §4, "Discharge")."""
    require(can_run_sessions(by), "Only a nurse or a prescriber may end dosing.")
    with transaction.atomic():
        session = lock_session(session)
        session.check_transition(SessionStatus.MONITORING)
        now = timezone.now()
        dose = locked(DoseRecord.objects.all()).get(session=session)
        dose.ended_at = now
        dose.save(update_fields=["ended_at"])
        session.set_status(SessionStatus.MONITORING, by=by, at=now)
        audit_step("sessions.doserecord.end", session, dose, by, dosing_min=(now - dose.started_at) // MINUTE)
    return dose


def defer_session(*, by: User, session: DosingSession, reason: str) -> DosingSession:
    """The patient goes home undosed (a `defer` gate, a prescriber's decision); the chair is freed."""
    require(can_run_sessions(by), "Only a nurse or a prescriber may defer a session.")
    reason = required_text(reason, "reason", "Say why dosing is deferred.")
    with transaction.atomic():
        session = lock_session(session)
        session.set_status(SessionStatus.DEFERRED, by=by, reason=reason)
        audit.record(
            "sessions.dosingsession.defer", patient=session.patient, obj=session, actor=by, details={"reason": reason}
        )
    return session


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
        readiness = discharge_readiness(total, dose.ended_at, now, session.route, escort_confirmed, protocol)
        if not readiness.ready:
            raise Conflict(
                " ".join(b.message for b in readiness.blockers),
                code=readiness.blockers[0].code,
                details={"blockers": [{"code": b.code, "detail": b.message} for b in readiness.blockers]},
            )
        assert dose.ended_at is not None  # noqa: S101 - discharge_readiness refuses a missing end
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
