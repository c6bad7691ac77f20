"""Booking one dosing session, cancelling it, and recording a no-show (clinical protocol §3).

The chair is held for dosing + the route's minimum observation + turnover. The patient's row lock serializes the
bookings of one patient, so the 48 h interval and the rolling-7-day limit cannot both pass for two concurrent
bookings; sessions.services.availability holds the checks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import audit
from clinic.domain import lock_patient, require, text
from clinic.errors import Conflict, InvalidInput
from clinic.models import Chair, Patient, ProtocolVersion, User
from clinic.protocol import Route
from clinic.services import use_protocol
from sessions import reminders
from sessions.models import DosingSession, SessionStatus, SessionStatusChange, TreatmentCourse
from sessions.permissions import can_book
from sessions.scheduling import chair_block_minutes
from sessions.services.availability import (
    check_chair,
    check_future,
    check_supervisor,
    clearance_problem,
    insert_booking,
    overlap_conflict,
    rolling_week_limit,
    slot_problems,
)
from sessions.services.base import lock_session, route_of


@dataclass(frozen=True)
class Booking:
    """A booked dosing session, and the warnings of the patient's clearance (open safety tasks, warning findings)
    that did not block it but the person booking should see."""

    session: DosingSession
    clearance_warnings: tuple[str, ...] = ()


def create_session(
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
    """Insert a checked booking with its first status row; an overlap the database refuses is a Conflict."""
    session = insert_booking(
        DosingSession,
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
    SessionStatusChange.objects.create(
        session=session, from_status="", to_status=SessionStatus.SCHEDULED, changed_at=timezone.now(), changed_by=by
    )
    reminders.session_booked(session, by)
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
) -> Booking:
    """Book one dosing session (clinical protocol §3). The chair is held for dosing + the route's minimum
    observation + turnover. Refused (409) if the patient is not cleared for dosing at `start`, the chair or the
    patient is busy, or the 48 h interval or the rolling-7-day limit would be broken. `by` None is the system."""
    if by is not None:
        require(can_book(by), "Your role may not book dosing sessions.")
    if course is not None and course.patient_id != patient.pk:
        raise InvalidInput({"course": "This course belongs to another patient."})
    chosen_route = route_of(route or (course.route if course else None))
    if course is not None and chosen_route.value != course.route:
        raise InvalidInput({"route": f"This course is dosed by the {course.get_route_display()} route."})
    check_future(start, "start")
    check_chair(chair, patient)
    check_supervisor(supervising_clinician, patient.site)
    if duration_min is not None and duration_min <= 0:
        raise InvalidInput({"duration_min": "Give a positive number of minutes."})
    with transaction.atomic():
        patient = lock_patient(patient)
        version, protocol = use_protocol(patient.site)
        block_end = start + dt.timedelta(minutes=chair_block_minutes(chosen_route, duration_min, protocol))
        not_cleared, warnings = clearance_problem(patient, start)
        if not_cleared is not None:
            raise not_cleared.as_conflict()
        template = protocol.scheduling.templates.get(course.template) if course else None
        problems = slot_problems(
            patient=patient,
            chair=chair,
            start=start,
            block_end=block_end,
            protocol=protocol,
            weekly_limit=rolling_week_limit(protocol, template),
        )
        if problems:
            raise problems[0].as_conflict()
        session = create_session(
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
    return Booking(session, warnings)


def reschedule_dosing_session(*, by: User | None, session: DosingSession, start: dt.datetime) -> DosingSession:
    """Move a scheduled session to a new start, on the same chair: the same checks as a booking (clearance, chair
    and patient free, the 48 h interval and the rolling-7-day limit, the session itself left out), and its
    reminders move with it. Refused (409 invalid_transition) once the session is no longer scheduled."""
    if by is not None:
        require(can_book(by), "Your role may not reschedule dosing sessions.")
    check_future(start, "start")
    with transaction.atomic():
        patient = lock_patient(session.patient)
        session = lock_session(session)
        if session.status != SessionStatus.SCHEDULED:
            raise Conflict(
                f"Only a scheduled session can be moved; this one is {session.get_status_display().lower()}.",
                code="invalid_transition",
            )
        _version, protocol = use_protocol(patient.site)
        previous = session.start
        block_end = start + (session.block_end - session.start)
        not_cleared, _warnings = clearance_problem(patient, start)
        if not_cleared is not None:
            raise not_cleared.as_conflict()
        course = session.course
        template = protocol.scheduling.templates.get(course.template) if course else None
        problems = slot_problems(
            patient=patient,
            chair=session.chair,
            start=start,
            block_end=block_end,
            protocol=protocol,
            weekly_limit=rolling_week_limit(protocol, template),
            moving=session.pk,
        )
        if problems:
            raise problems[0].as_conflict()
        session.start, session.block_end = start, block_end
        try:
            with transaction.atomic():
                session.save(update_fields=["start", "block_end", "updated_at"])
        except IntegrityError as exc:
            raise overlap_conflict(exc) from None
        audit.record(
            "sessions.dosingsession.reschedule",
            patient=patient,
            obj=session,
            actor=by,
            details={"start": start, "block_end": block_end, "moved_from": previous},
        )
        reminders.session_moved(session, by)
    return session


def cancel_session(*, by: User | None, session: DosingSession, reason: str = "") -> DosingSession:
    if by is not None:
        require(can_book(by), "Your role may not cancel dosing sessions.")
    with transaction.atomic():
        session = lock_session(session)
        session.set_status(SessionStatus.CANCELLED, by=by, reason=text(reason))
        reminders.session_closed(session, by)
        audit.record(
            "sessions.dosingsession.cancel",
            patient=session.patient,
            obj=session,
            actor=by,
            details={"reason": text(reason), "start": session.start},
        )
    return session


def mark_no_show(*, by: User, session: DosingSession) -> DosingSession:
    require(can_book(by), "Your role may not record a no-show.")
    with transaction.atomic():
        session = lock_session(session)
        if timezone.now() < session.start:
            raise Conflict("The session has not started yet; cancel it instead.", code="invalid_transition")
        session.set_status(SessionStatus.NO_SHOW, by=by)
        reminders.session_closed(session, by)
    return session
