"""Every status change goes through clinic.status.StatusWorkflow: courses and integration appointments follow their
transition tables, are audited as `<app>.<model>.status`, and a step the table refuses answers invalid_transition."""

from __future__ import annotations

import pytest

from clinic.errors import Conflict
from clinic.models import AuditEvent
from sessions import services
from sessions.models import (
    AppointmentStatus,
    CourseStatus,
    DosingSession,
    SessionStatus,
    SessionStatusChange,
    TreatmentCourse,
)
from tests.sessions.conftest import Clinic, Clock, advance_to, book, ny


def _course(clinic: Clinic) -> TreatmentCourse:
    monday = ny(2026, 5, 11)
    return services.book_course(
        by=clinic.front_desk,
        patient=clinic.patient,
        template="maintenance",
        start_date=monday.date(),
        weekdays=[0],
        local_time=monday.time(),
        chair=clinic.chair,
    )


def test_a_stopped_course_cannot_be_stopped_again(clinic: Clinic) -> None:
    course = _course(clinic)
    services.stop_course(by=clinic.prescriber, course=course, reason="Side effects")
    course.refresh_from_db()
    assert course.status == CourseStatus.STOPPED
    event = AuditEvent.objects.get(action="sessions.treatmentcourse.status")
    assert event.details == {"from": "planned", "to": "stopped", "reason": "Side effects"}
    with pytest.raises(Conflict) as refused:
        services.stop_course(by=clinic.prescriber, course=course, reason="Again")
    assert refused.value.code == "invalid_transition"
    assert refused.value.message == "The course is stopped and cannot change any more."


def test_a_course_is_activated_by_its_first_dose_and_completed_by_its_last_discharge(
    clinic: Clinic, clock: Clock
) -> None:
    clock.set(ny(2026, 5, 11, 8))
    course = _course(clinic)
    session = DosingSession.objects.get(course=course)
    advance_to(clinic, session, SessionStatus.DOSING, clock)
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE
    advance_to(clinic, session, SessionStatus.DISCHARGED, clock)
    course.refresh_from_db()
    assert course.status == CourseStatus.COMPLETED
    steps = AuditEvent.objects.filter(action="sessions.treatmentcourse.status").order_by("occurred_at", "id")
    assert [(e.details["from"], e.details["to"]) for e in steps] == [("planned", "active"), ("active", "completed")]


def test_a_cancelled_integration_appointment_cannot_be_cancelled_again(clinic: Clinic) -> None:
    booking = services.book_integration_appointment(by=clinic.front_desk, patient=clinic.patient,
                                                    therapist=clinic.therapist, start=ny(2026, 5, 5, 10),
                                                    duration_min=60, room="Blue")  # fmt: skip
    services.cancel_integration_appointment(by=clinic.front_desk, appointment=booking.appointment, reason="Ill")
    assert AuditEvent.objects.get(action="sessions.integrationappointment.status").details["to"] == "cancelled"
    with pytest.raises(Conflict) as refused:
        services.cancel_integration_appointment(by=clinic.front_desk, appointment=booking.appointment)
    assert refused.value.code == "invalid_transition"
    booking.appointment.refresh_from_db()
    assert booking.appointment.status == AppointmentStatus.CANCELLED


def test_a_session_step_out_of_order_names_the_next_steps(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    with pytest.raises(Conflict) as refused:
        session.set_status(SessionStatus.DISCHARGED, by=clinic.nurse)
    assert refused.value.message == (
        "The session is scheduled; it cannot become discharged now (next: cancelled, checked in, no-show)."
    )
    assert refused.value.details == {"status": "scheduled", "requested": "discharged"}
    assert not SessionStatusChange.objects.filter(session=session, to_status=SessionStatus.DISCHARGED).exists()
