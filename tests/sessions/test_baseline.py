"""A course's baseline is the last PHQ-9 before its first dosing session (clinical protocol §5)."""

from __future__ import annotations

import datetime as dt

from clinic.models import AuditEvent
from intake.services import record_assessment
from sessions import services
from sessions.models import DosingSession, SessionStatus, TreatmentCourse
from tests.sessions.conftest import Clinic, Clock, advance_to, ny

PHQ9_TOTAL_12 = [2, 2, 2, 2, 2, 1, 1, 0, 0]
PHQ9_TOTAL_5 = [1, 1, 1, 1, 1, 0, 0, 0, 0]
PHQ9_TOTAL_3 = [1, 1, 1, 0, 0, 0, 0, 0, 0]


def _course(clinic: Clinic) -> TreatmentCourse:
    return services.book_course(
        by=clinic.front_desk,
        patient=clinic.patient,
        template="standard_induction",
        start_date=dt.date(2026, 5, 4),
        weekdays=[0, 3],
        local_time=dt.time(9, 0),
        chair=clinic.chair,
    )


def _phq9(clinic: Clinic, answers: list[int]) -> None:
    record_assessment(by=clinic.nurse, patient=clinic.patient, instrument="phq9", answers=answers)


def test_baseline_is_the_last_phq9_before_the_first_dose_and_then_stays(clinic: Clinic, clock: Clock) -> None:
    course = _course(clinic)
    first, second = DosingSession.objects.filter(course=course).order_by("start")[:2]
    clock.set(ny(2026, 5, 4, 8, 30))
    _phq9(clinic, PHQ9_TOTAL_12)
    clock.set(ny(2026, 5, 4, 8, 40))
    _phq9(clinic, PHQ9_TOTAL_5)  # the last one before dosing
    clock.set(ny(2026, 5, 4, 9, 0))
    advance_to(clinic, first, SessionStatus.DOSING, clock)
    course.refresh_from_db()
    assert (course.baseline_instrument, course.baseline_total) == ("phq9", 5)
    assert course.baseline_recorded_at == ny(2026, 5, 4, 9, 0)
    event = AuditEvent.objects.get(action="sessions.treatmentcourse.baseline")
    assert event.details["total"] == 5
    assert event.details["missing"] is False

    clock.set(ny(2026, 5, 7, 8, 30))
    _phq9(clinic, PHQ9_TOTAL_3)
    clock.set(ny(2026, 5, 7, 9, 0))
    advance_to(clinic, second, SessionStatus.DOSING, clock)
    course.refresh_from_db()
    assert course.baseline_total == 5  # later scores never move the baseline
    assert AuditEvent.objects.filter(action="sessions.treatmentcourse.baseline").count() == 1


def test_a_course_without_a_phq9_records_the_missing_baseline(clinic: Clinic, clock: Clock) -> None:
    from intake.models import Assessment

    Assessment.objects.filter(patient=clinic.patient, instrument="phq9").delete()
    course = _course(clinic)
    first = DosingSession.objects.filter(course=course).order_by("start").first()
    clock.set(ny(2026, 5, 4, 9, 0))
    advance_to(clinic, first, SessionStatus.DOSING, clock)
    course.refresh_from_db()
    assert course.baseline_total is None
    assert course.baseline_recorded_at is not None
    assert AuditEvent.objects.get(action="sessions.treatmentcourse.baseline").details["missing"] is True


def test_the_course_api_shows_the_baseline_to_clinicians_only(clinic: Clinic, clock: Clock) -> None:
    from tests.conftest import api_as

    course = _course(clinic)
    first = DosingSession.objects.filter(course=course).order_by("start").first()
    clock.set(ny(2026, 5, 4, 8, 40))
    _phq9(clinic, PHQ9_TOTAL_12)
    clock.set(ny(2026, 5, 4, 9, 0))
    advance_to(clinic, first, SessionStatus.DOSING, clock)
    body = api_as(clinic.nurse).get(f"/api/v1/courses/{course.pk}/").json()
    assert body["baseline"]["total"] == 12
    assert "baseline" not in api_as(clinic.front_desk).get(f"/api/v1/courses/{course.pk}/").json()


def test_the_baseline_instrument_is_the_protocols(clinic: Clinic, clock: Clock) -> None:
    from clinic.protocol import DEFAULT_PROTOCOL
    from clinic.services import publish_protocol_version

    settings = DEFAULT_PROTOCOL.to_json()
    settings["outcomes"]["baseline_instrument"] = "qids_sr16"
    publish_protocol_version(by=None, site=clinic.site, settings=settings, change_summary="QIDS baseline")
    course = _course(clinic)
    clock.set(ny(2026, 5, 4, 8, 40))
    _phq9(clinic, PHQ9_TOTAL_12)  # not the protocol's instrument: ignored
    clock.set(ny(2026, 5, 4, 9, 0))
    advance_to(
        clinic, DosingSession.objects.filter(course=course).order_by("start").first(), SessionStatus.DOSING, clock
    )
    course.refresh_from_db()
    assert (course.baseline_instrument, course.baseline_total) == ("qids_sr16", None)
