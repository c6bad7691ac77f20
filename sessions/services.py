"""Dosing-session services: the only code that books, runs and closes dosing sessions and integration appointments.

Each service checks the actor's role, opens a transaction, locks what it changes, applies the pure rules
(sessions/dosing.py, sessions/monitoring.py, sessions/scheduling.py) with the site's active protocol version (stored
on every record a decision made), writes the audit entry and returns. Refusals are domain errors with a human
message: NotAllowed (403), InvalidInput (400, per field) or Conflict (409, with a stable code):

- booking: not_cleared, chair_conflict, patient_conflict, interval_too_short, weekly_limit (therapist_conflict for
  integration appointments);
- the session's life: invalid_transition for a step out of order; at the start of dosing vitals_required,
  gate_defer, review_unacknowledged, no_escort, dose_override_required; at discharge aldrete_too_low,
  observation_too_short, no_escort.

Double bookings: bookings of one patient are serialized by a lock on the Patient row (so the 48 h interval and the
rolling-7-day limit cannot both pass for two concurrent bookings); a chair shared by several patients is guarded by
the PostgreSQL exclusion constraints of sessions.models, whose violation becomes chair_conflict / patient_conflict.
On SQLite every write transaction holds the database's write lock from its start, and the overlap queries below
give the same answers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from clinic import audit
from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import Chair, NotificationKind, Patient, ProtocolVersion, Role, Site, User
from clinic.notifications import notify_care_team
from clinic.protocol import CourseTemplate, Protocol, Route
from clinic.services import use_protocol
from intake.instruments import AnswerError, score
from intake.services import age_on, is_cleared_for_dosing, last_score_before
from sessions.dosing import ROUTE_LABELS, DoseInputError, DoseRequest, DoseResult, calculate_dose
from sessions.models import (
    ACTIVE_APPOINTMENT_STATUSES,
    ACTIVE_SESSION_STATUSES,
    SESSION_TRANSITIONS,
    AdverseEvent,
    AdverseEventKind,
    AppointmentStatus,
    CheckIn,
    CourseStatus,
    Discharge,
    DissociationScore,
    DoseRecord,
    DosingSession,
    GateDecision,
    IntegrationAppointment,
    RemsSubmission,
    ReviewAcknowledgement,
    SessionStatus,
    SessionStatusChange,
    Severity,
    TreatmentCourse,
    VitalPhase,
    VitalSign,
)
from sessions.monitoring import (
    BloodPressure,
    DissociationTotal,
    RemsForm,
    RemsRecord,
    RemsStatus,
    Vitals,
    discharge_readiness,
    fasting_check,
    in_session_alerts,
    plausibility_errors,
    pre_dose_gate,
    rems_form,
    rems_status,
)
from sessions.scheduling import (
    SchedulingError,
    Violation,
    chair_block_minutes,
    check_interval,
    check_weekly_limit,
    propose_course,
)

BOOKING_ROLES = frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.CLINIC_ADMIN})
SESSION_ROLES = frozenset({Role.NURSE, Role.PRESCRIBER})
INTEGRATION_BOOKING_ROLES = BOOKING_ROLES | {Role.THERAPIST}
REMS_ROLES = SESSION_ROLES | {Role.CLINIC_ADMIN}
FUTURE_TOLERANCE = dt.timedelta(minutes=5)  # clocks of tablets and servers differ a little
PAST_BOOKING_TOLERANCE = dt.timedelta(minutes=5)
MINUTE = dt.timedelta(minutes=1)
SPACING_LOOKAROUND = dt.timedelta(days=8)  # the rolling 7 days either side, and a day for the wall clock
PHASE_BY_STATUS = {
    SessionStatus.CHECKED_IN: VitalPhase.PRE,
    SessionStatus.DOSING: VitalPhase.DURING,
    SessionStatus.MONITORING: VitalPhase.POST,
}
IN_PROGRESS_STATUSES = (SessionStatus.CHECKED_IN, SessionStatus.DOSING, SessionStatus.MONITORING)
ADVERSE_EVENT_STATUSES = (*IN_PROGRESS_STATUSES, SessionStatus.DISCHARGED)
DISSOCIATION_STATUSES = (SessionStatus.DOSING, SessionStatus.MONITORING)
OVERLAP_CODES = {
    "dosing_session_chair_no_overlap": "chair_conflict",
    "dosing_session_patient_no_overlap": "patient_conflict",
    "integration_appointment_therapist_no_overlap": "therapist_conflict",
    "integration_appointment_chair_no_overlap": "chair_conflict",
    "integration_appointment_patient_no_overlap": "patient_conflict",
}
SCHEDULING_ERROR_FIELDS = {
    "invalid_weekdays": "weekdays",
    "not_enough_weekdays": "weekdays",
    "within_days_exceeded": "weekdays",
    "invalid_time": "time",
    "nonexistent_local_time": "time",
    "invalid_template": "template",
}


# --- Who may do what --------------------------------------------------------------------------------------------


def _has_role(user: Any, roles: frozenset[str]) -> bool:
    return bool(user is not None and user.is_active and (user.is_superuser or user.role in roles))


def can_book(user: Any) -> bool:
    """Front desk, nurses, prescribers and clinic administrators book, cancel and reschedule dosing sessions."""
    return _has_role(user, BOOKING_ROLES)


def can_run_sessions(user: Any) -> bool:
    """Nurses and prescribers check patients in, record vitals, dose, record adverse events and discharge."""
    return _has_role(user, SESSION_ROLES)


def can_prescribe(user: Any) -> bool:
    """Only a prescriber acknowledges a review, overrides a dose limit or stops a course (CLINICAL_RULES.md)."""
    return _has_role(user, frozenset({Role.PRESCRIBER}))


def can_book_integration(user: Any) -> bool:
    return _has_role(user, INTEGRATION_BOOKING_ROLES)


def can_submit_rems(user: Any) -> bool:
    """Nurses, prescribers and clinic administrators (who often file the REMS paperwork) mark a REMS form
    submitted."""
    return _has_role(user, REMS_ROLES)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)


# --- Small helpers ----------------------------------------------------------------------------------------------


def site_zone(site: Site) -> ZoneInfo:
    return ZoneInfo(site.time_zone)


def local_day(site: Site, at: dt.datetime) -> dt.date:
    return at.astimezone(site_zone(site)).date()


def show_time(at: dt.datetime, site: Site, fmt: str = "%a %Y-%m-%d %H:%M %Z") -> str:
    """A time as the clinic reads it: in the site's zone."""
    return at.astimezone(site_zone(site)).strftime(fmt)


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if timezone.is_naive(value):
        raise InvalidInput({field: "Give the time with its time zone."})
    return value


def _when(value: dt.datetime | None, field: str, now: dt.datetime) -> dt.datetime:
    if value is None:
        return now
    if _aware(value, field) > now + FUTURE_TOLERANCE:
        raise InvalidInput({field: "This time is in the future."})
    return value


def _text(value: str | None) -> str:
    return (value or "").strip()


def _required_text(value: str | None, field: str, message: str) -> str:
    text = _text(value)
    if not text:
        raise InvalidInput({field: message})
    return text


def _plain(value: Any) -> Any:
    """JSON for a record: Decimals as exact strings, tuples as lists, enums as their values."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _route(value: str | None, field: str = "route") -> Route:
    try:
        return Route(value or "")
    except ValueError:
        raise InvalidInput({field: f"Choose one of {', '.join(r.value for r in Route)}."}) from None


def _lock_patient(patient: Patient) -> Patient:
    """Serializes the bookings of one patient (spacing rules); the site row stays unlocked."""
    return Patient.objects.select_for_update(of=("self",)).select_related("site").get(pk=patient.pk)


def _lock_session(session: DosingSession) -> DosingSession:
    return (
        DosingSession.objects.select_for_update(of=("self",))
        .select_related("patient__site", "chair__site", "course")
        .get(pk=session.pk)
    )


def _audit_step(action: str, session: DosingSession, obj: Any, by: User | None, **details: Any) -> None:
    """Audit one step of a session's life: the record made, who, and the session it belongs to."""
    audit.record(action, patient=session.patient_id, obj=obj, actor=by, details={"session": session.pk, **details})


# --- Status changes ---------------------------------------------------------------------------------------------


def set_status(
    session: DosingSession, new: str, *, by: User | None, reason: str = "", at: dt.datetime | None = None
) -> SessionStatusChange:
    """Move a (locked) session to `new` if the life cycle allows it; record the step and audit it.

    Raises Conflict `invalid_transition` for a step out of order (e.g. discharge before dosing started).
    """
    old = session.status
    _require_status(session, new)
    when = at or timezone.now()
    session.status = new
    session.save(update_fields=["status", "updated_at"])
    change = SessionStatusChange.objects.create(
        session=session, from_status=old, to_status=new, changed_at=when, changed_by=by, reason=reason
    )
    audit.record(
        "sessions.dosingsession.status",
        patient=session.patient_id,
        obj=session,
        actor=by,
        details={"from": old, "to": new, "reason": reason},
    )
    return change


def may_become(session: DosingSession, new: str) -> bool:
    """Whether the session's life cycle allows the step to `new` now (what set_status would accept)."""
    return new in SESSION_TRANSITIONS.get(session.status, frozenset())


def _require_status(session: DosingSession, new: str) -> None:
    """Refuse a step the session's status does not allow (Conflict `invalid_transition`)."""
    old = session.status
    if not may_become(session, new):
        allowed = ", ".join(sorted(SESSION_TRANSITIONS.get(old, ()))) or "nothing: the session is closed"
        raise Conflict(
            f"The session is {SessionStatus(old).label.lower()}; it cannot become "
            f"{SessionStatus(new).label.lower()} now (next: {allowed}).",
            code="invalid_transition",
            details={"status": old, "requested": new},
        )


# --- Booking ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why a slot cannot be booked: `code` is one of the booking 409 codes."""

    code: str
    message: str
    details: dict[str, Any]

    def as_conflict(self) -> Conflict:
        return Conflict(self.message, code=self.code, details=self.details)


def _overlapping(qs: Any, start: dt.datetime, end: dt.datetime, end_field: str) -> Any:
    return qs.filter(start__lt=end, **{f"{end_field}__gt": start})


def _overlap_problem(
    code: str, what: str, site: Site, sessions: Iterable[DosingSession], appointments: Iterable[IntegrationAppointment]
) -> Problem | None:
    busy = [(s.start, s.block_end, "dosing session") for s in sessions]
    busy += [(a.start, a.end, "integration session") for a in appointments]
    if not busy:
        return None
    busy.sort()
    listed = "; ".join(f"{kind} {show_time(b, site)} to {show_time(e, site, '%H:%M')}" for b, e, kind in busy)
    return Problem(
        code,
        f"{what} is already booked at that time ({listed}).",
        {"busy": [{"start": b, "end": e, "kind": kind} for b, e, kind in busy]},
    )


def _chair_problem(
    chair: Chair, start: dt.datetime, end: dt.datetime, *, exclude_session: int | None = None
) -> Problem | None:
    sessions = _overlapping(
        DosingSession.objects.filter(chair=chair, status__in=ACTIVE_SESSION_STATUSES), start, end, "block_end"
    ).exclude(pk=exclude_session)
    appointments = _overlapping(
        IntegrationAppointment.objects.filter(chair=chair, status__in=ACTIVE_APPOINTMENT_STATUSES), start, end, "end"
    )
    return _overlap_problem("chair_conflict", chair.name, chair.site, sessions, appointments)


def _patient_problem(
    patient: Patient, start: dt.datetime, end: dt.datetime, *, exclude_appointment: int | None = None
) -> Problem | None:
    sessions = _overlapping(
        DosingSession.objects.filter(patient=patient, status__in=ACTIVE_SESSION_STATUSES), start, end, "block_end"
    )
    appointments = _overlapping(
        IntegrationAppointment.objects.filter(patient=patient, status__in=ACTIVE_APPOINTMENT_STATUSES),
        start,
        end,
        "end",
    ).exclude(pk=exclude_appointment)
    return _overlap_problem("patient_conflict", "The patient", patient.site, sessions, appointments)


def patient_starts_around(
    patient: Patient, first: dt.datetime, last: dt.datetime, *, protocol: Protocol
) -> list[dt.datetime]:
    """The starts of the patient's active sessions that the spacing rules weigh for a new start in [first, last]:
    the rolling 7 days either side, or the protocol's minimum interval when a clinic sets it longer."""
    around = max(SPACING_LOOKAROUND, dt.timedelta(hours=protocol.scheduling.min_interval_hours))
    return list(
        DosingSession.objects.filter(
            patient=patient,
            status__in=ACTIVE_SESSION_STATUSES,
            start__gt=first - around,
            start__lt=last + around,
        ).values_list("start", flat=True)
    )


def spacing_violations(
    starts: Sequence[dt.datetime], start: dt.datetime, *, protocol: Protocol, weekly_limit: int, tz: ZoneInfo
) -> list[Violation]:
    """The 48 h interval and the rolling-7-day limit (CLINICAL_RULES.md section 3) of a new `start` against the
    patient's other `starts`, with the protocol's interval and `weekly_limit` (see `rolling_week_limit`)."""
    found = (
        check_interval(starts, start, protocol.scheduling.min_interval_hours, tz=tz),
        check_weekly_limit(starts, start, weekly_limit, tz=tz),
    )
    return [violation for violation in found if violation is not None]


def _spacing_problems(
    patient: Patient,
    start: dt.datetime,
    *,
    protocol: Protocol,
    weekly_limit: int,
    also: Sequence[dt.datetime] = (),
) -> list[Problem]:
    """The spacing rules against the patient's active sessions, plus `also` (the other sessions of a course being
    booked)."""
    starts = [*patient_starts_around(patient, start, start, protocol=protocol), *also]
    violations = spacing_violations(
        starts, start, protocol=protocol, weekly_limit=weekly_limit, tz=site_zone(patient.site)
    )
    return [Problem(v.code, v.message, {"conflicting_starts": list(v.conflicting_starts)}) for v in violations]


def _clearance_problem(patient: Patient, at: dt.datetime) -> tuple[Problem | None, tuple[str, ...]]:
    clearance = is_cleared_for_dosing(patient, at)
    if clearance.cleared:
        return None, clearance.warnings
    problem = Problem(
        "not_cleared",
        "The patient is not cleared for dosing: " + " ".join(clearance.reasons),
        {"reasons": list(clearance.reasons)},
    )
    return problem, clearance.warnings


def _slot_problems(
    *,
    patient: Patient,
    chair: Chair,
    start: dt.datetime,
    block_end: dt.datetime,
    protocol: Protocol,
    weekly_limit: int,
    also: Sequence[dt.datetime] = (),
) -> list[Problem]:
    found = [
        _chair_problem(chair, start, block_end),
        _patient_problem(patient, start, block_end),
    ]
    problems = [p for p in found if p is not None]
    return problems + _spacing_problems(patient, start, protocol=protocol, weekly_limit=weekly_limit, also=also)


def rolling_week_limit(protocol: Protocol, template: CourseTemplate | None) -> int:
    """Dosing sessions allowed in any rolling 7 days: the course template's own limit, else the protocol's."""
    if template is not None and template.max_sessions_rolling_7_days is not None:
        return template.max_sessions_rolling_7_days
    return protocol.scheduling.max_sessions_rolling_7_days


def _check_chair(chair: Chair, patient: Patient) -> None:
    if chair.site_id != patient.site_id:
        raise InvalidInput({"chair": "This chair is at another site than the patient."})
    if not chair.is_active:
        raise InvalidInput({"chair": f"{chair.name} is not in use."})


def _check_supervisor(clinician: User | None, site: Site) -> None:
    if clinician is None:
        return
    if not (clinician.is_active and clinician.role == Role.PRESCRIBER and clinician.sites.filter(pk=site.pk).exists()):
        raise InvalidInput({"supervising_clinician": "Choose a prescriber who works at this site."})


def _check_future(start: dt.datetime, field: str) -> None:
    if _aware(start, field) < timezone.now() - PAST_BOOKING_TOLERANCE:
        raise InvalidInput({field: "This time has passed; book a time in the future."})


def _overlap_conflict(exc: IntegrityError) -> Conflict:
    text = str(exc)
    for constraint, code in OVERLAP_CODES.items():
        if constraint in text:
            what = code.removesuffix("_conflict")
            return Conflict(f"The {what} was booked for an overlapping time a moment ago; choose another.", code=code)
    raise exc


def _create_session(
    *,
    by: User | None,
    patient: Patient,
    chair: Chair,
    start: dt.datetime,
    block_end: dt.datetime,
    route: Route,
    duration_min: int | None,
    supervising_clinician: User | None,
    course: TreatmentCourse | None,
    version: ProtocolVersion,
) -> DosingSession:
    try:
        with transaction.atomic():
            session = DosingSession.objects.create(
                course=course,
                patient=patient,
                chair=chair,
                supervising_clinician=supervising_clinician,
                route=route.value,
                planned_duration_min=duration_min,
                start=start,
                block_end=block_end,
                protocol_version=version,
                booked_by=by,
            )
    except IntegrityError as exc:
        raise _overlap_conflict(exc) from None
    SessionStatusChange.objects.create(
        session=session, from_status="", to_status=SessionStatus.SCHEDULED, changed_at=timezone.now(), changed_by=by
    )
    return session


def book_dosing_session(
    *,
    by: User | None,
    patient: Patient,
    chair: Chair,
    start: dt.datetime,
    route: str | None = None,
    supervising_clinician: User | None = None,
    course: TreatmentCourse | None = None,
    duration_min: int | None = None,
) -> DosingSession:
    """Book one dosing session (CLINICAL_RULES.md section 3). The chair is held for dosing + the route's minimum
    observation + turnover. Refused (409) if the patient is not cleared for dosing at `start`, the chair or the
    patient is busy, or the 48 h interval or the rolling-7-day limit would be broken. `by` None is the system."""
    if by is not None:
        _require(can_book(by), "Your role may not book dosing sessions.")
    if course is not None and course.patient_id != patient.pk:
        raise InvalidInput({"course": "This course belongs to another patient."})
    chosen_route = _route(route or (course.route if course else None))
    if course is not None and chosen_route.value != course.route:
        raise InvalidInput({"route": f"This course is dosed by the {course.get_route_display()} route."})
    _check_future(start, "start")
    _check_chair(chair, patient)
    _check_supervisor(supervising_clinician, patient.site)
    if duration_min is not None and duration_min <= 0:
        raise InvalidInput({"duration_min": "Give a positive number of minutes."})
    with transaction.atomic():
        patient = _lock_patient(patient)
        version, protocol = use_protocol(patient.site)
        block_end = start + dt.timedelta(minutes=chair_block_minutes(chosen_route, duration_min, protocol))
        not_cleared, warnings = _clearance_problem(patient, start)
        if not_cleared is not None:
            raise not_cleared.as_conflict()
        template = protocol.scheduling.templates.get(course.template) if course else None
        problems = _slot_problems(
            patient=patient,
            chair=chair,
            start=start,
            block_end=block_end,
            protocol=protocol,
            weekly_limit=rolling_week_limit(protocol, template),
        )
        if problems:
            raise problems[0].as_conflict()
        session = _create_session(
            by=by,
            patient=patient,
            chair=chair,
            start=start,
            block_end=block_end,
            route=chosen_route,
            duration_min=duration_min,
            supervising_clinician=supervising_clinician,
            course=course,
            version=version,
        )
        audit.record(
            "sessions.dosingsession.book",
            patient=patient,
            obj=session,
            actor=by,
            details={
                "start": start,
                "block_end": block_end,
                "chair": chair.pk,
                "route": chosen_route.value,
                "course": course.pk if course else None,
                "protocol_version": version.number,
                "clearance_warnings": list(warnings),
            },
        )
    session.clearance_warnings = warnings  # type: ignore[attr-defined]
    return session


def book_course(
    *,
    by: User | None,
    patient: Patient,
    template: str,
    start_date: dt.date,
    weekdays: Sequence[int],
    local_time: dt.time,
    chair: Chair,
    supervising_clinician: User | None = None,
    duration_min: int | None = None,
) -> TreatmentCourse:
    """Propose a course from a protocol template (CLINICAL_RULES.md section 3) and book all of its sessions, or none:
    if any session cannot be booked, Conflict lists every one that cannot (code: the first conflict's code)."""
    if by is not None:
        _require(can_book(by), "Your role may not book dosing sessions.")
    _check_chair(chair, patient)
    _check_supervisor(supervising_clinician, patient.site)
    with transaction.atomic():
        patient = _lock_patient(patient)
        version, protocol = use_protocol(patient.site)
        chosen = protocol.scheduling.templates.get(template)
        if chosen is None:
            known = ", ".join(sorted(protocol.scheduling.templates))
            raise InvalidInput({"template": f"Unknown course template {template!r}; choose one of {known}."})
        try:
            starts = propose_course(chosen, start_date, tuple(weekdays), local_time, site_zone(patient.site), protocol)
        except SchedulingError as exc:
            if exc.code in SCHEDULING_ERROR_FIELDS:
                raise InvalidInput({SCHEDULING_ERROR_FIELDS[exc.code]: exc.message}) from None
            raise Conflict(exc.message, code=exc.code) from None
        _check_future(starts[0], "start")
        not_cleared, warnings = _clearance_problem(patient, starts[0])
        if not_cleared is not None:
            raise not_cleared.as_conflict()
        block = dt.timedelta(minutes=chair_block_minutes(chosen.route, duration_min, protocol))
        conflicts: list[dict[str, Any]] = []
        for number, start in enumerate(starts, start=1):
            problems = []
            if number > 1:  # a screening or clearance may lapse during the course
                lapsed, _ = _clearance_problem(patient, start)
                problems += [lapsed] if lapsed else []
            problems += _slot_problems(
                patient=patient,
                chair=chair,
                start=start,
                block_end=start + block,
                protocol=protocol,
                weekly_limit=rolling_week_limit(protocol, chosen),
                also=[s for s in starts if s != start],
            )
            conflicts += [{"session": number, "start": start, "code": p.code, "detail": p.message} for p in problems]
        if conflicts:
            blocked = len({c["session"] for c in conflicts})
            raise Conflict(
                f"{blocked} of the {len(starts)} sessions cannot be booked, so none was: "
                + " ".join(f"Session {c['session']}: {c['detail']}" for c in conflicts),
                code=conflicts[0]["code"],
                details={"conflicts": conflicts},
            )
        course = TreatmentCourse.objects.create(
            patient=patient,
            template=template,
            template_label=chosen.label,
            route=chosen.route.value,
            start_date=local_day(patient.site, starts[0]),
            weekdays=sorted(weekdays),
            local_time=local_time,
            protocol_version=version,
            created_by=by,
        )
        sessions = [
            _create_session(
                by=by,
                patient=patient,
                chair=chair,
                start=start,
                block_end=start + block,
                route=chosen.route,
                duration_min=duration_min,
                supervising_clinician=supervising_clinician,
                course=course,
                version=version,
            )
            for start in starts
        ]
        audit.record(
            "sessions.treatmentcourse.book",
            patient=patient,
            obj=course,
            actor=by,
            details={
                "template": template,
                "sessions": [s.pk for s in sessions],
                "starts": starts,
                "chair": chair.pk,
                "protocol_version": version.number,
                "clearance_warnings": list(warnings),
            },
        )
        for session in sessions:
            audit.record(
                "sessions.dosingsession.book",
                patient=patient,
                obj=session,
                actor=by,
                details={"start": session.start, "block_end": session.block_end, "course": course.pk},
            )
    return course


def stop_course(*, by: User, course: TreatmentCourse, reason: str) -> TreatmentCourse:
    """A prescriber stops a course; its sessions still scheduled are cancelled."""
    _require(can_prescribe(by), "Only a prescriber may stop a course.")
    reason = _required_text(reason, "reason", "Say why the course stops.")
    with transaction.atomic():
        course = TreatmentCourse.objects.select_for_update().select_related("patient__site").get(pk=course.pk)
        if course.status in (CourseStatus.COMPLETED, CourseStatus.STOPPED):
            raise Conflict(f"This course is already {course.get_status_display().lower()}.", code="invalid_transition")
        for session in course.sessions.select_for_update().filter(status=SessionStatus.SCHEDULED):
            set_status(session, SessionStatus.CANCELLED, by=by, reason=f"course stopped: {reason}")
        course.status = CourseStatus.STOPPED
        course.stopped_reason = reason
        course.end_date = local_day(course.patient.site, timezone.now())
        course.save(update_fields=["status", "stopped_reason", "end_date"])
        audit.record(
            "sessions.treatmentcourse.stop", patient=course.patient, obj=course, actor=by, details={"reason": reason}
        )
    return course


def cancel_session(*, by: User | None, session: DosingSession, reason: str = "") -> DosingSession:
    if by is not None:
        _require(can_book(by), "Your role may not cancel dosing sessions.")
    with transaction.atomic():
        session = _lock_session(session)
        set_status(session, SessionStatus.CANCELLED, by=by, reason=_text(reason))
        audit.record(
            "sessions.dosingsession.cancel",
            patient=session.patient,
            obj=session,
            actor=by,
            details={"reason": _text(reason), "start": session.start},
        )
    return session


def mark_no_show(*, by: User, session: DosingSession) -> DosingSession:
    _require(can_book(by), "Your role may not record a no-show.")
    with transaction.atomic():
        session = _lock_session(session)
        if timezone.now() < session.start:
            raise Conflict("The session has not started yet; cancel it instead.", code="invalid_transition")
        set_status(session, SessionStatus.NO_SHOW, by=by)
    return session


# --- Running the session ----------------------------------------------------------------------------------------


def check_in(
    *,
    by: User,
    session: DosingSession,
    fasting_solids_hours: Decimal | None,
    fasting_clear_liquids_hours: Decimal | None,
    escort_confirmed: bool,
    escort_name: str = "",
) -> CheckIn:
    """Arrival (CLINICAL_RULES.md section 4): the fasting attestation (`ok` or `review`) and the escort."""
    _require(can_run_sessions(by), "Only a nurse or a prescriber may check a patient in for dosing.")
    with transaction.atomic():
        session = _lock_session(session)
        _require_status(session, SessionStatus.CHECKED_IN)
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
            escort_name=_text(escort_name),
            protocol_version=version,
        )
        set_status(session, SessionStatus.CHECKED_IN, by=by, at=now)
        _audit_step(
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
    _require(can_run_sessions(by), "Only a nurse or a prescriber may record vital signs.")
    vitals = Vitals(systolic, diastolic, heart_rate, spo2, respiratory_rate)
    errors = plausibility_errors(vitals)
    if errors:
        raise InvalidInput(errors)
    now = timezone.now()
    when = _when(recorded_at, "recorded_at", now)
    with transaction.atomic():
        session = _lock_session(session)
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
        _audit_step(
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


def _acknowledge(session: DosingSession, pending: PendingReview, by: User, reason: str) -> ReviewAcknowledgement:
    acknowledgement = ReviewAcknowledgement.objects.create(
        session=session,
        vital_sign=pending.reading,
        covers_fasting=pending.fasting,
        reviewed_reasons=list(pending.reasons),
        reason=reason,
        acknowledged_by=by,
        acknowledged_at=timezone.now(),
    )
    _audit_step(
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
    _require(can_prescribe(by), "Only a prescriber may acknowledge a review to proceed.")
    reason = _required_text(reason, "reason", "Write why it is safe to proceed.")
    with transaction.atomic():
        session = _lock_session(session)
        if session.status != SessionStatus.CHECKED_IN:
            raise Conflict("A review is acknowledged after check-in and before dosing.", code="invalid_transition")
        pending = pending_review(session)
        if not pending:
            raise Conflict("Nothing is waiting for a prescriber's review.", code="nothing_to_review")
        return _acknowledge(session, pending, by, reason)


def _dose_request(
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
        sex_at_birth=patient.sex_at_birth,  # type: ignore[arg-type]
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
    _version, protocol = use_protocol(session.patient.site)
    return calculate(_dose_request(session, **inputs), protocol)


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
    """Start dosing (CLINICAL_RULES.md sections 2 and 4), in this order of checks:

    the session is checked in (else invalid_transition); the patient is still cleared (not_cleared); a pre-dose
    reading exists (vitals_required) and does not say defer (gate_defer); a `review` reading or fasting review is
    acknowledged by a prescriber, earlier or now with `review_reason` (review_unacknowledged); an escort is confirmed
    (no_escort); the dose is calculated from the session's route and the patient's measurements (400 naming the
    field); a dose that needs a prescriber override has one, with `override_reason` (dose_override_required).
    """
    _require(can_run_sessions(by), "Only a nurse or a prescriber may start dosing.")
    review_reason, override_reason = _text(review_reason), _text(override_reason)
    if review_reason and not can_prescribe(by):
        raise NotAllowed("Only a prescriber may acknowledge a review to proceed.")
    if override_reason and not can_prescribe(by):
        raise NotAllowed("Only a prescriber may override a dose limit.")
    with transaction.atomic():
        session = _lock_session(session)
        _require_status(session, SessionStatus.DOSING)
        patient = session.patient
        now = timezone.now()
        not_cleared, _ = _clearance_problem(patient, now)
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
            _audit_step("sessions.checkin.escort", session, check, by, confirmed=True)
        if not check.escort_confirmed:
            raise Conflict(
                "Confirm the escort (a responsible adult to take the patient home) before dosing starts.",
                code="no_escort",
            )
        version, protocol = use_protocol(patient.site)
        request = _dose_request(
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
        lot_number = _required_text(lot_number, "lot_number", "Give the medication's lot number.")
        if result.requires_override and not override_reason:
            raise Conflict(
                "This dose needs a prescriber's override with a reason: " + " ".join(result.override_reasons),
                code="dose_override_required",
                details={"override_reasons": list(result.override_reasons), "dose_mg": result.dose_mg},
            )
        if pending:
            _acknowledge(session, pending, by, review_reason)
        dose = DoseRecord.objects.create(
            session=session,
            protocol_version=version,
            route=result.route.value,
            inputs=_plain(asdict(request)),
            result=_plain(asdict(result)),
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
        set_status(session, SessionStatus.DOSING, by=by, at=now)
        _audit_step(
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
            _audit_step(
                "sessions.doserecord.override",
                session,
                dose,
                by,
                override_reasons=list(result.override_reasons),
                reason=override_reason,
            )
        if session.course is not None:
            _record_course_baseline(session.course, now, by, protocol)
        if session.course is not None and session.course.status == CourseStatus.PLANNED:
            TreatmentCourse.objects.filter(pk=session.course.pk).update(status=CourseStatus.ACTIVE)
            audit.record("sessions.treatmentcourse.activate", patient=patient, obj=session.course, actor=by)
    return dose


def _record_course_baseline(
    course: TreatmentCourse, dosing_started_at: dt.datetime, by: User, protocol: Protocol
) -> None:
    """At the course's first dose, keep its baseline (CLINICAL_RULES.md section 5): the last score before it on
    the protocol's baseline instrument (PHQ-9 by default); a missing one is recorded as such."""
    if course.baseline_recorded_at is not None:
        return
    instrument = protocol.outcomes.baseline_instrument
    snapshot = last_score_before(course.patient, instrument, dosing_started_at)
    course.baseline_instrument = instrument
    course.baseline_total = snapshot.total if snapshot else None
    course.baseline_recorded_at = dosing_started_at
    course.save(update_fields=["baseline_instrument", "baseline_total", "baseline_recorded_at"])
    audit.record(
        "sessions.treatmentcourse.baseline",
        patient=course.patient,
        obj=course,
        actor=by,
        details={
            "instrument": instrument,
            "total": course.baseline_total,
            "assessment": snapshot.assessment_id if snapshot else None,
            "administered_at": snapshot.administered_at if snapshot else None,
            "missing": snapshot is None,
        },
    )


def end_dosing(*, by: User, session: DosingSession) -> DoseRecord:
    """Dosing ended: the observation clock starts (CLINICAL_RULES.md section 4, "Discharge")."""
    _require(can_run_sessions(by), "Only a nurse or a prescriber may end dosing.")
    with transaction.atomic():
        session = _lock_session(session)
        _require_status(session, SessionStatus.MONITORING)
        now = timezone.now()
        dose = DoseRecord.objects.select_for_update().get(session=session)
        dose.ended_at = now
        dose.save(update_fields=["ended_at"])
        set_status(session, SessionStatus.MONITORING, by=by, at=now)
        _audit_step("sessions.doserecord.end", session, dose, by, dosing_min=(now - dose.started_at) // MINUTE)
    return dose


def defer_session(*, by: User, session: DosingSession, reason: str) -> DosingSession:
    """The patient goes home undosed (a `defer` gate, a prescriber's decision); the chair is freed."""
    _require(can_run_sessions(by), "Only a nurse or a prescriber may defer a session.")
    reason = _required_text(reason, "reason", "Say why dosing is deferred.")
    with transaction.atomic():
        session = _lock_session(session)
        set_status(session, SessionStatus.DEFERRED, by=by, reason=reason)
        audit.record(
            "sessions.dosingsession.defer", patient=session.patient, obj=session, actor=by, details={"reason": reason}
        )
    return session


def record_adverse_event(
    *,
    by: User,
    session: DosingSession,
    kind: str,
    severity: str,
    action_taken: str,
    notes: str = "",
    occurred_at: dt.datetime | None = None,
) -> AdverseEvent:
    """An adverse event with its severity and the action taken (CLINICAL_RULES.md section 4, "During"); a severe
    one notifies the care team."""
    _require(can_run_sessions(by), "Only a nurse or a prescriber may record an adverse event.")
    errors: dict[str, str] = {}
    if kind not in AdverseEventKind.values:
        errors["kind"] = f"Choose one of {', '.join(AdverseEventKind.values)}."
    if severity not in Severity.values:
        errors["severity"] = f"Choose one of {', '.join(Severity.values)}."
    if not _text(action_taken):
        errors["action_taken"] = "Say what was done."
    if errors:
        raise InvalidInput(errors)
    when = _when(occurred_at, "occurred_at", timezone.now())
    with transaction.atomic():
        session = _lock_session(session)
        if session.status not in ADVERSE_EVENT_STATUSES:
            raise Conflict(
                "Adverse events are recorded once the patient has checked in.",
                code="invalid_transition",
                details={"status": session.status},
            )
        event = AdverseEvent.objects.create(
            session=session,
            occurred_at=when,
            kind=kind,
            severity=severity,
            action_taken=_text(action_taken),
            notes=_text(notes),
            recorded_by=by,
        )
        _audit_step(
            "sessions.adverseevent.create",
            session,
            event,
            by,
            kind=kind,
            severity=severity,
            action_taken=event.action_taken,
        )
        if severity == Severity.SEVERE:
            notify_care_team(
                session.patient,
                kind=NotificationKind.SAFETY_ALERT,
                title=f"Severe adverse event: {event.get_kind_display()}",
                body=event.action_taken,
                link=reverse("staff:sessions:session", args=[session.pk]),
                dedupe_key=f"sessions-adverse-event-{event.pk}",
            )
    return event


def _instrument_total(
    instrument: str, answers: Any, protocol: Protocol, field: str, *, name_the_item: bool = False
) -> int:
    """The instrument's total (intake.instruments); bad answers are InvalidInput on `field`, or with `name_the_item`
    on the item itself (`items[3]` for the fourth)."""
    try:
        total = score(instrument, list(answers), protocol.instruments).total
    except AnswerError as exc:
        raise InvalidInput({exc.item.replace("answers", field, 1) if name_the_item else field: exc.message}) from None
    except TypeError as exc:
        raise InvalidInput({field: str(exc)}) from None
    assert total is not None  # noqa: S101 - a numeric instrument always has a total
    return total


def record_dissociation(*, by: User, session: DosingSession, items: Sequence[int]) -> DissociationScore:
    """A CADSS-6 rating (CLINICAL_RULES.md section 4, "During": six items 0-4, due `cadss_at_min` after dosing
    starts), recorded while dosing or in observation (else invalid_transition); a bad item answers 400 naming it."""
    _require(can_run_sessions(by), "Only a nurse or a prescriber may record a dissociation score.")
    with transaction.atomic():
        session = _lock_session(session)
        if session.status not in DISSOCIATION_STATUSES:
            raise Conflict(
                "The CADSS-6 is recorded while dosing or in observation after it; this session is "
                f"{session.get_status_display().lower()}.",
                code="invalid_transition",
                details={"status": session.status},
            )
        version, protocol = use_protocol(session.patient.site)
        total = _instrument_total("cadss6", items, protocol, "items", name_the_item=True)
        dose = DoseRecord.objects.get(session=session)
        now = timezone.now()
        record = DissociationScore.objects.create(
            session=session,
            items=list(items),
            total=total,
            minutes_after_dosing_start=max(0, (now - dose.started_at) // MINUTE),
            recorded_by=by,
            recorded_at=now,
            protocol_version=version,
        )
        _audit_step(
            "sessions.dissociationscore.create",
            session,
            record,
            by,
            items=list(items),
            total=total,
            minutes_after_dosing_start=record.minutes_after_dosing_start,
            protocol_version=version.number,
        )
    return record


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
    """Discharge (CLINICAL_RULES.md section 4): modified Aldrete of at least 9, the route's minimum observation since
    dosing ended, an escort present. Every blocker is listed; the 409 code is the first one's."""
    _require(can_run_sessions(by), "Only a nurse or a prescriber may discharge a patient.")
    with transaction.atomic():
        session = _lock_session(session)
        _require_status(session, SessionStatus.DISCHARGED)
        version, protocol = use_protocol(session.patient.site)
        total = _instrument_total("aldrete", aldrete, protocol, "aldrete")
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
            escort_name=_text(escort_name),
            instructions_given=instructions_given,
            no_driving_acknowledged=no_driving_acknowledged,
            notes=_text(notes),
            protocol_version=version,
        )
        set_status(session, SessionStatus.DISCHARGED, by=by, at=now)
        _audit_step(
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
        _complete_course_if_done(session, by)
    return record


def _complete_course_if_done(session: DosingSession, by: User) -> None:
    course = session.course
    if course is None or course.status not in (CourseStatus.PLANNED, CourseStatus.ACTIVE):
        return
    if course.sessions.filter(status__in=(SessionStatus.SCHEDULED, *IN_PROGRESS_STATUSES)).exists():
        return
    course.status = CourseStatus.COMPLETED
    course.end_date = local_day(session.patient.site, timezone.now())
    course.save(update_fields=["status", "end_date"])
    audit.record("sessions.treatmentcourse.complete", patient=session.patient, obj=course, actor=by)


# --- The esketamine REMS Patient Monitoring Form ------------------------------------------------------------------


def not_esketamine(session: DosingSession) -> str | None:
    """Why the session has no REMS form (it is not an esketamine session), or None."""
    if session.route == Route.ESKETAMINE:
        return None
    route = ROUTE_LABELS[Route(session.route)]
    return f"Only esketamine sessions have a REMS Patient Monitoring Form; this session is dosed by {route}."


def require_esketamine(session: DosingSession) -> None:
    """Conflict `not_esketamine` for a session of another route."""
    message = not_esketamine(session)
    if message is not None:
        raise Conflict(message, code="not_esketamine")


def rems_record(session: DosingSession) -> RemsRecord:
    """What the session's own records hold for the REMS form: the dose, the blood pressure readings, over-sedation
    events, CADSS-6 totals and the discharge (prefetched relations are used as they are)."""
    dose = _related_or_none(session, "dose")
    discharge = _related_or_none(session, "discharge")
    return RemsRecord(
        dose_mg=dose.dose_mg if dose else None,
        lot_number=dose.lot_number if dose else "",
        dosing_started_at=dose.started_at if dose else None,
        discharged_at=discharge.discharged_at if discharge else None,
        readings=tuple(
            BloodPressure(r.recorded_at, r.systolic, r.diastolic, pre_dose=r.phase == VitalPhase.PRE)
            for r in session.vital_signs.all()
        ),
        sedation=tuple(
            (e.occurred_at, e.get_severity_display().lower())
            for e in session.adverse_events.all()
            if e.kind == AdverseEventKind.OVER_SEDATION
        ),
        dissociation=tuple(
            DissociationTotal(d.recorded_at, d.total, d.minutes_after_dosing_start)
            for d in session.dissociation_scores.all()
        ),
    )


def _related_or_none(session: DosingSession, name: str) -> Any:
    try:
        return getattr(session, name)
    except (DoseRecord.DoesNotExist, Discharge.DoesNotExist, RemsSubmission.DoesNotExist):
        return None


def rems_form_of(session: DosingSession, protocol: Protocol) -> RemsForm:
    """The session's REMS Patient Monitoring Form under `protocol` (sessions.monitoring.rems_form)."""
    return rems_form(rems_record(session), protocol.monitoring, site_zone(session.patient.site))


def rems_submission_of(session: DosingSession) -> RemsSubmission | None:
    return _related_or_none(session, "rems_submission")  # type: ignore[no-any-return]


def rems_status_of(session: DosingSession, form: RemsForm) -> RemsStatus:
    submitted = rems_submission_of(session) is not None
    undosed = session.status not in ACTIVE_SESSION_STATUSES
    return rems_status(form.due_on, submitted, local_day(session.patient.site, timezone.now()), undosed=undosed)


def rems_form_body(form: RemsForm) -> list[dict[str, Any]]:
    """The form's items as JSON (the API's answer and the submission's snapshot)."""
    return [
        {"key": i.key, "label": i.label, "value": i.value, "missing": i.missing, "detail": i.detail, "at": i.at}
        for i in form.items
    ]


def submit_rems_form(*, by: User, session: DosingSession, reference: str, note: str = "") -> RemsSubmission:
    """Record that the esketamine REMS Patient Monitoring Form was submitted (CLINICAL_RULES.md section 4), with
    the REMS's reference number and the form as it stands. Refused: not_esketamine; invalid_transition before
    discharge; already_submitted; 400 without a reference, or without a `note` saying how the items missing from
    the session's record were reported."""
    _require(
        can_submit_rems(by), "Only a nurse, a prescriber or a clinic administrator may mark a REMS form submitted."
    )
    reference = _required_text(reference, "reference", "Give the reference number the REMS gave for this form.")
    with transaction.atomic():
        session = _lock_session(session)
        require_esketamine(session)
        if session.status != SessionStatus.DISCHARGED:
            raise Conflict(
                "The REMS Patient Monitoring Form is submitted after discharge; this session is "
                f"{session.get_status_display().lower()}.",
                code="invalid_transition",
                details={"status": session.status},
            )
        earlier = RemsSubmission.objects.filter(session=session).first()
        if earlier is not None:
            raise Conflict(
                f"The REMS form was already marked submitted on {show_time(earlier.submitted_at, session.site)} "
                f"(reference {earlier.reference}).",
                code="already_submitted",
            )
        version, protocol = use_protocol(session.patient.site)
        form = rems_form_of(session, protocol)
        missing = [item.label for item in form.missing]
        if missing and not _text(note):
            raise InvalidInput(
                {"note": f"Missing from the session's record: {', '.join(missing)}. Say how they were reported."}
            )
        assert form.due_on is not None  # noqa: S101 - a discharged session's form has a due date
        submission = RemsSubmission.objects.create(
            session=session,
            reference=reference,
            note=_text(note),
            form=_plain(rems_form_body(form)),
            due_on=form.due_on,
            submitted_at=timezone.now(),
            submitted_by=by,
            protocol_version=version,
        )
        _audit_step(
            "sessions.remssubmission.create",
            session,
            submission,
            by,
            reference=reference,
            due_on=form.due_on,
            missing=missing,
            note=submission.note,
            protocol_version=version.number,
        )
    return submission


# --- Integration appointments -----------------------------------------------------------------------------------


def book_integration_appointment(
    *,
    by: User | None,
    patient: Patient,
    therapist: User,
    start: dt.datetime,
    duration_min: int,
    dosing_session: DosingSession | None = None,
    chair: Chair | None = None,
    room: str = "",
) -> IntegrationAppointment:
    """An integration-therapy session (CLINICAL_RULES.md section 3: 60-90 min). Refused (409) when the therapist
    (therapist_conflict), the patient (patient_conflict) or the chair (chair_conflict) is busy then."""
    if by is not None:
        _require(can_book_integration(by), "Your role may not book integration sessions.")
    _check_future(start, "start")
    site = patient.site
    if not (therapist.is_active and therapist.role == Role.THERAPIST and therapist.sites.filter(pk=site.pk).exists()):
        raise InvalidInput({"therapist": "Choose a therapist who works at the patient's site."})
    if chair is not None:
        _check_chair(chair, patient)
    if chair is None and not _text(room):
        raise InvalidInput({"room": "Say where: a chair or a room."})
    if dosing_session is not None:
        if dosing_session.patient_id != patient.pk:
            raise InvalidInput({"dosing_session": "This dosing session belongs to another patient."})
        if start < dosing_session.start:
            raise InvalidInput({"start": "An integration session follows its dosing session."})
    with transaction.atomic():
        patient = _lock_patient(patient)
        _version, protocol = use_protocol(site)
        low, high = protocol.scheduling.integration_min_duration_min, protocol.scheduling.integration_max_duration_min
        if not low <= duration_min <= high:
            raise InvalidInput({"duration_min": f"An integration session lasts {low}-{high} minutes."})
        end = start + dt.timedelta(minutes=duration_min)
        therapist_busy = _overlapping(
            IntegrationAppointment.objects.filter(therapist=therapist, status__in=ACTIVE_APPOINTMENT_STATUSES),
            start,
            end,
            "end",
        )
        found = [
            _overlap_problem("therapist_conflict", therapist.get_full_name() or "Therapist", site, [], therapist_busy),
            _chair_problem(chair, start, end) if chair is not None else None,
            _patient_problem(patient, start, end),
        ]
        problems = [p for p in found if p is not None]
        if problems:
            raise problems[0].as_conflict()
        try:
            with transaction.atomic():
                appointment = IntegrationAppointment.objects.create(
                    patient=patient,
                    therapist=therapist,
                    dosing_session=dosing_session,
                    chair=chair,
                    room=_text(room),
                    start=start,
                    end=end,
                    booked_by=by,
                )
        except IntegrityError as exc:
            raise _overlap_conflict(exc) from None
        warnings = _integration_timing_warnings(appointment, protocol)
        audit.record(
            "sessions.integrationappointment.book",
            patient=patient,
            obj=appointment,
            actor=by,
            details={
                "start": start,
                "end": end,
                "therapist": therapist.pk,
                "dosing_session": dosing_session.pk if dosing_session else None,
                "warnings": warnings,
            },
        )
    appointment.warnings = warnings  # type: ignore[attr-defined]
    return appointment


def _integration_timing_warnings(appointment: IntegrationAppointment, protocol: Protocol) -> list[str]:
    """The course template's "integration within N hours after each dosing session" (CLINICAL_RULES.md section 3)."""
    session = appointment.dosing_session
    template = protocol.scheduling.templates.get(session.course.template) if session and session.course else None
    if session is None or template is None:
        return []
    hours = template.integration_within_hours
    if appointment.start - session.start <= dt.timedelta(hours=hours):
        return []
    return [f"{template.label}: the integration session should be within {hours} h after its dosing session."]


def cancel_integration_appointment(
    *, by: User, appointment: IntegrationAppointment, reason: str = ""
) -> IntegrationAppointment:
    _require(can_book_integration(by), "Your role may not cancel integration sessions.")
    with transaction.atomic():
        appointment = IntegrationAppointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.status != AppointmentStatus.SCHEDULED:
            raise Conflict(
                f"This integration session is {appointment.get_status_display().lower()}.", code="invalid_transition"
            )
        appointment.status = AppointmentStatus.CANCELLED
        appointment.save(update_fields=["status"])
        audit.record(
            "sessions.integrationappointment.cancel",
            patient=appointment.patient_id,
            obj=appointment,
            actor=by,
            details={"reason": _text(reason)},
        )
    return appointment
