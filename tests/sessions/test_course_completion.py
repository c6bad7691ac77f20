"""A prescriber completes a course early (issue 9, item 4): POST /api/v1/courses/{id}/complete/ ends it, cancels its
sessions not yet started and the integration appointments that follow them, and answers the course."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clinic.models import AuditEvent, Role
from sessions import services
from sessions.models import AppointmentStatus, CourseStatus, IntegrationAppointment, SessionStatus, TreatmentCourse
from tests.conftest import api_as
from tests.factories import staff
from tests.sessions.conftest import Clinic, Clock, advance_to, ny


def a_course(clinic: Clinic) -> TreatmentCourse:
    """Six IV sessions, Mondays and Thursdays at 09:00 from Monday 4 May 2026."""
    return services.book_course(
        by=clinic.front_desk,
        patient=clinic.patient,
        template="standard_induction",
        start_date=dt.date(2026, 5, 4),
        weekdays=[0, 3],
        local_time=dt.time(9),
        chair=clinic.chair,
    )


def complete(user: Any, course: TreatmentCourse, **body: Any) -> Any:
    return api_as(user).post(f"/api/v1/courses/{course.pk}/complete/", body, format="json")


def test_completing_a_course_cancels_what_has_not_started_and_keeps_what_was_given(
    clinic: Clinic, clock: Clock
) -> None:
    course = a_course(clinic)
    first, second, *rest = course.sessions.order_by("start")
    advance_to(clinic, first, SessionStatus.DISCHARGED, clock)
    after_first, after_second = (
        services.book_integration_appointment(
            by=clinic.front_desk, patient=clinic.patient, therapist=clinic.therapist, start=start, duration_min=60,
            dosing_session=session, room="Room A",
        ).appointment
        for session, start in ((first, ny(2026, 5, 5, 10)), (second, ny(2026, 5, 8, 10)))
    )  # fmt: skip

    response = complete(clinic.prescriber, course, reason="Remission after two sessions")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == course.pk
    assert body["status"] == "completed"
    assert body["end"] == "2026-05-04"
    assert [s["status"] for s in body["sessions"]] == ["discharged"] + ["cancelled"] * (1 + len(rest))
    after_first.refresh_from_db()
    after_second.refresh_from_db()
    assert after_first.status == AppointmentStatus.SCHEDULED  # follows a session that was given
    assert after_second.status == AppointmentStatus.CANCELLED
    entry = AuditEvent.objects.get(action="sessions.treatmentcourse.complete")
    assert entry.actor == clinic.prescriber
    assert entry.details["cancelled_sessions"] == [second.pk, *(s.pk for s in rest)]
    assert entry.details["cancelled_appointments"] == [after_second.pk]
    assert entry.details["reason"] == "Remission after two sessions"
    assert AuditEvent.objects.filter(
        action="sessions.treatmentcourse.status", object_id=str(course.pk), details__to="completed"
    ).exists()
    assert AuditEvent.objects.filter(action="sessions.integrationappointment.cancel").count() == 1


def test_a_course_completed_or_stopped_cannot_be_completed(clinic: Clinic) -> None:
    done = a_course(clinic)
    assert complete(clinic.prescriber, done).status_code == 200
    again = complete(clinic.prescriber, done)
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    stopped = services.stop_course(by=clinic.prescriber, course=a_course(clinic), reason="Side effects")
    refused = complete(clinic.prescriber, stopped)
    assert refused.status_code == 409
    assert refused.json()["code"] == "invalid_transition"
    stopped.refresh_from_db()
    assert stopped.status == CourseStatus.STOPPED


def test_a_course_is_not_completed_while_one_of_its_sessions_is_under_way(clinic: Clinic, clock: Clock) -> None:
    course = a_course(clinic)
    advance_to(clinic, course.sessions.order_by("start")[0], SessionStatus.CHECKED_IN)
    response = complete(clinic.prescriber, course)
    assert response.status_code == 409
    assert response.json()["code"] == "session_in_progress"
    course.refresh_from_db()
    assert course.status == CourseStatus.PLANNED
    assert not course.sessions.filter(status=SessionStatus.CANCELLED).exists()


@pytest.mark.parametrize("role", [Role.NURSE, Role.FRONT_DESK, Role.CLINIC_ADMIN, Role.THERAPIST])
def test_only_a_prescriber_completes_a_course(clinic: Clinic, role: str) -> None:
    course = a_course(clinic)
    user = staff(role, clinic.site)
    if role == Role.THERAPIST:  # a therapist sees the patient only from the care team
        clinic.patient.care_team.create(user=user, role=role)
    response = complete(user, course)
    assert response.status_code == 403
    course.refresh_from_db()
    assert course.status == CourseStatus.PLANNED


def test_a_course_out_of_sight_is_not_found(clinic: Clinic) -> None:
    course = a_course(clinic)
    elsewhere = staff(Role.PRESCRIBER, clinic.site.__class__.objects.create(name="Else", code="ELSE"))
    assert complete(elsewhere, course).status_code == 404
    assert complete(staff(Role.THERAPIST, clinic.site), course).status_code == 404  # not on the care team
    assert IntegrationAppointment.objects.count() == 0
