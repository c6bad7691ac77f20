"""An open safety task (suicide risk) reaches the chair: first and in red on the session page, and first among the
warnings a booking answers, never hidden because intake moved it out of the plain warnings."""

from __future__ import annotations

from intake.services import is_cleared_for_dosing, record_assessment
from sessions import services
from tests.sessions.conftest import Clinic, book, ny, session_page, signed_in

PHQ9_WITH_ITEM_9 = [1, 1, 1, 1, 1, 1, 1, 1, 1]


def _open_safety_task(clinic: Clinic) -> None:
    record_assessment(by=clinic.nurse, patient=clinic.patient, instrument="phq9", answers=PHQ9_WITH_ITEM_9)


def test_the_session_page_shows_an_open_safety_task_first_and_in_red(clinic: Clinic) -> None:
    session = book(clinic)
    page = signed_in(clinic.nurse).get(session_page(session)).content.decode()
    assert "safety-alerts" not in page
    _open_safety_task(clinic)
    page = signed_in(clinic.nurse).get(session_page(session)).content.decode()
    assert 'class="notice notice--error safety-alerts"' in page
    assert f'href="/staff/patients/{clinic.patient.pk}/intake/"' in page


def test_a_booking_answers_the_open_safety_task_first_among_its_warnings(clinic: Clinic) -> None:
    _open_safety_task(clinic)
    booking = services.book_dosing_session(
        by=clinic.front_desk, patient=clinic.patient, chair=clinic.chair, route="iv", start=ny(2026, 5, 4, 9)
    )
    clearance = is_cleared_for_dosing(clinic.patient, ny(2026, 5, 4, 9))
    assert clearance.safety_alerts
    assert booking.clearance_warnings[: len(clearance.safety_alerts)] == clearance.safety_alerts
