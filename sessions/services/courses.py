"""Treatment courses: booking a whole course from a protocol template, stopping it, completing it early, and what
its sessions do to it (the first dose keeps the baseline and activates it; the last session closed completes it).
Clinical protocol §3 and §5.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinic import audit
from clinic.domain import local_day, lock_patient, locked, require, required_text, site_zone, text
from clinic.errors import Conflict, InvalidInput
from clinic.models import Chair, Patient, User
from clinic.params import check_day
from clinic.protocol import Protocol
from clinic.services import use_protocol
from intake.services import last_score_before
from sessions import reminders
from sessions.models import CourseStatus, DosingSession, SessionStatus, TreatmentCourse
from sessions.permissions import can_book, can_prescribe
from sessions.scheduling import SchedulingError, chair_block_minutes, propose_course
from sessions.services.availability import (
    check_chair,
    check_future,
    check_supervisor,
    clearance_problem,
    rolling_week_limit,
    slot_problems,
)
from sessions.services.base import IN_PROGRESS_STATUSES
from sessions.services.booking import create_session
from sessions.services.integration import cancel_appointments_after

SCHEDULING_ERROR_FIELDS = {
    "invalid_weekdays": "weekdays",
    "not_enough_weekdays": "weekdays",
    "within_days_exceeded": "weekdays",
    "invalid_time": "time",
    "nonexistent_local_time": "time",
    "invalid_template": "template",
}


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
    """Propose a course from a protocol template (clinical protocol §3) and book all of its sessions, or none:
    if any session cannot be booked, Conflict lists every one that cannot (code: the first conflict's code)."""
    if by is not None:
        require(can_book(by), "Your role may not book dosing sessions.")
    check_day(start_date, "start_date")
    check_chair(chair, patient)
    check_supervisor(supervising_clinician, patient.site)
    with transaction.atomic():
        patient = lock_patient(patient)
        version, protocol = use_protocol(patient.site)
        chosen = protocol.scheduling.templates.get(template)
        if chosen is None:
            known = "; ".join(t.label for _, t in sorted(protocol.scheduling.templates.items()))
            raise InvalidInput({"template": f"Choose one of the protocol's course templates: {known}."})
        try:
            starts = propose_course(chosen, start_date, tuple(weekdays), local_time, site_zone(patient.site), protocol)
        except SchedulingError as exc:
            if exc.code in SCHEDULING_ERROR_FIELDS:
                raise InvalidInput({SCHEDULING_ERROR_FIELDS[exc.code]: exc.message}) from None
            raise Conflict(exc.message, code=exc.code) from None
        check_future(starts[0], "start")
        not_cleared, warnings = clearance_problem(patient, starts[0])
        if not_cleared is not None:
            raise not_cleared.as_conflict()
        block = dt.timedelta(minutes=chair_block_minutes(chosen.route, duration_min, protocol))
        conflicts: list[dict[str, Any]] = []
        for number, start in enumerate(starts, start=1):
            problems = []
            if number > 1:  # a screening or clearance may lapse during the course
                lapsed, _ = clearance_problem(patient, start)
                problems += [lapsed] if lapsed else []
            problems += slot_problems(
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
            create_session(
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


def _lock_course(pk: int) -> TreatmentCourse:
    return locked(TreatmentCourse.objects.select_related("patient__site")).get(pk=pk)


def _cancel_scheduled_sessions(course: TreatmentCourse, by: User, reason: str) -> list[DosingSession]:
    """Cancel the course's sessions still scheduled (none of them started); the course's row is locked."""
    sessions = list(locked(course.sessions.all()).filter(status=SessionStatus.SCHEDULED))
    for session in sessions:
        session.set_status(SessionStatus.CANCELLED, by=by, reason=reason)
        reminders.session_closed(session, by)
    return sessions


def stop_course(*, by: User, course: TreatmentCourse, reason: str) -> TreatmentCourse:
    """A prescriber stops a course; its sessions still scheduled are cancelled."""
    require(can_prescribe(by), "Only a prescriber may stop a course.")
    reason = required_text(reason, "reason", "Say why the course stops.")
    with transaction.atomic():
        course = _lock_course(course.pk)
        course.check_transition(CourseStatus.STOPPED)
        _cancel_scheduled_sessions(course, by, f"course stopped: {reason}")
        course.stopped_reason = reason
        course.end_date = local_day(course.patient.site, timezone.now())
        course.save(update_fields=["stopped_reason", "end_date"])
        course.set_status(CourseStatus.STOPPED, by=by, reason=reason)
        audit.record(
            "sessions.treatmentcourse.stop", patient=course.patient, obj=course, actor=by, details={"reason": reason}
        )
    return course


def complete_course(*, by: User, course: TreatmentCourse, reason: str = "") -> TreatmentCourse:
    """A prescriber ends a course now (it has done its work, e.g. the patient remitted early): its sessions not yet
    started are cancelled, with the integration appointments booked after them. Refused (409) for a course already
    completed or stopped (`invalid_transition`), and while one of its sessions is under way (`session_in_progress`:
    finish it first)."""
    require(can_prescribe(by), "Only a prescriber may complete a course.")
    reason = text(reason) or "completed by the prescriber"
    with transaction.atomic():
        course = _lock_course(course.pk)
        course.check_transition(CourseStatus.COMPLETED)
        if course.sessions.filter(status__in=IN_PROGRESS_STATUSES).exists():
            raise Conflict(
                "A session of this course is under way; complete the course once the patient is discharged.",
                code="session_in_progress",
            )
        cancelled = _cancel_scheduled_sessions(course, by, f"course completed: {reason}")
        appointments = cancel_appointments_after(cancelled, by=by, reason=f"course completed: {reason}")
        course.end_date = local_day(course.patient.site, timezone.now())
        course.save(update_fields=["end_date"])
        course.set_status(CourseStatus.COMPLETED, by=by, reason=reason)
        audit.record(
            "sessions.treatmentcourse.complete",
            patient=course.patient,
            obj=course,
            actor=by,
            details={
                "reason": reason,
                "cancelled_sessions": [s.pk for s in cancelled],
                "cancelled_appointments": [a.pk for a in appointments],
            },
        )
    return course


def course_dosed(session: DosingSession, dosing_started_at: dt.datetime, by: User, protocol: Protocol) -> None:
    """A session of the course was dosed: the first dose keeps the course's baseline and makes a planned course
    active. Call inside the dosing transaction."""
    if session.course_id is None:
        return
    course = _lock_course(session.course_id)
    _record_baseline(course, dosing_started_at, by, protocol)
    if course.status == CourseStatus.PLANNED:
        course.set_status(CourseStatus.ACTIVE, by=by, reason="first dose")
        audit.record("sessions.treatmentcourse.activate", patient=course.patient_id, obj=course, actor=by)


def _record_baseline(course: TreatmentCourse, dosing_started_at: dt.datetime, by: User, protocol: Protocol) -> None:
    """At the course's first dose, keep its baseline (clinical protocol §5): the last score before it on
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


def complete_course_if_done(session: DosingSession, by: User) -> None:
    """Once none of its sessions is scheduled or in progress, the session's open course is completed. Call inside
    the transaction that closed the session."""
    if session.course_id is None:
        return
    course = _lock_course(session.course_id)
    if course.status not in (CourseStatus.PLANNED, CourseStatus.ACTIVE):
        return
    if course.sessions.filter(status__in=(SessionStatus.SCHEDULED, *IN_PROGRESS_STATUSES)).exists():
        return
    course.end_date = local_day(course.patient.site, timezone.now())
    course.save(update_fields=["end_date"])
    course.set_status(CourseStatus.COMPLETED, by=by, reason="every session closed")
    audit.record("sessions.treatmentcourse.complete", patient=course.patient_id, obj=course, actor=by)
