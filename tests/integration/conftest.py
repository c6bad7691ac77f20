"""Fixtures of the integration tests: a clinic whose patient was dosed once (through the sessions services), a
therapist on the care team, and helpers that record PHQ-9 scores through the intake services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from clinic.models import Patient, Role, User
from intake.services import record_assessment
from integration import services
from integration.models import IntegrationNote
from sessions import services as session_services
from sessions.models import DosingSession, SessionStatus, TreatmentCourse
from tests.factories import on_care_team, staff
from tests.sessions.conftest import Clinic, Clock, advance_to, book, clock, make_clinic, ny

__all__ = ["clock"]  # the frozen clock fixture of the sessions tests, used here too

EMDR: dict[str, Any] = {
    "phase": "desensitisation",
    "target": "A fictional storm at sea",
    "negative_cognition": "I am not safe",
    "positive_cognition": "I am safe now",
    "voc": 5,
    "emotions": ["fear"],
    "sud_before": 7,
    "sud_after": 2,
    "body_location": "chest",
    "bilateral_sets": 14,
    "body_scan_clear": False,
}


@dataclass
class Integ:
    clinic: Clinic
    patient: Patient
    session: DosingSession
    therapist: User
    other_therapist: User  # at the site, not on the care team
    prescriber: User
    nurse: User
    front_desk: User
    admin: User
    clock: Clock

    def note_data(self, **changes: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "modality": "emdr",
            "dosing_session": self.session.pk,
            "started_at": ny(2026, 5, 5, 14),
            "duration_min": 75,
            "narrative": "Fictional narrative: the patient described the storm and felt calmer.",
            "plan": "Continue with the same target next week.",
            "emdr": EMDR,
        }
        data.update(changes)
        return data

    def phq9(self, total: int, at: dt.datetime) -> int:
        """Record a PHQ-9 taken at `at`; the clock moves there first when `at` lies ahead of it."""
        self.clock.set(max(self.clock.now, at))
        return phq9(self.patient, self.nurse, total, at)

    def draft(self, **changes: Any) -> IntegrationNote:
        return services.create_note(by=self.therapist, patient=self.patient, data=self.note_data(**changes)).note


def phq9_answers(total: int) -> list[int]:
    """Nine items (0-3) adding up to `total`, item 9 (self-harm) always 0 so that no safety alert is raised."""
    items = [0] * 9
    for index in range(8):
        items[index] = min(3, total - sum(items))
    assert sum(items) == total
    return items


def phq9(patient: Patient, by: User, total: int, at: dt.datetime) -> int:
    return record_assessment(
        by=by, patient=patient, instrument="phq9", answers=phq9_answers(total), administered_at=at
    ).pk


@pytest.fixture
def integ(db: None, clock: Clock) -> Integ:
    clinic = make_clinic("INTG")
    on_care_team(clinic.patient, clinic.therapist)
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DISCHARGED, clock)
    clock.set(ny(2026, 5, 5, 16))
    return Integ(
        clinic=clinic,
        patient=clinic.patient,
        session=session,
        therapist=clinic.therapist,
        other_therapist=staff(Role.THERAPIST, clinic.site, username="therapist.elsewhere"),
        prescriber=clinic.prescriber,
        nurse=clinic.nurse,
        front_desk=clinic.front_desk,
        admin=staff(Role.CLINIC_ADMIN, clinic.site, username="admin.INTG"),
        clock=clock,
    )


def stopped_course(integ: Integ, *, baseline: int = 18) -> TreatmentCourse:
    """A course whose first session was dosed (baseline `baseline`) and that a prescriber then stopped, on
    Thursday 7 May 2026."""
    clinic, clock = integ.clinic, integ.clock
    clock.set(ny(2026, 5, 6, 8))
    course = session_services.book_course(
        by=clinic.front_desk,
        patient=clinic.patient,
        template="standard_induction",
        start_date=dt.date(2026, 5, 7),
        weekdays=[0, 3],
        local_time=dt.time(9, 0),
        chair=clinic.chair2,
    )
    integ.phq9(baseline, ny(2026, 5, 7, 8))
    first = DosingSession.objects.filter(course=course).order_by("start").first()
    assert first is not None
    clock.set(ny(2026, 5, 7, 9))
    advance_to(clinic, first, SessionStatus.DISCHARGED, clock)
    clock.set(ny(2026, 5, 7, 15))
    session_services.stop_course(by=clinic.prescriber, course=course, reason="Fictional: patient moved away.")
    course.refresh_from_db()
    return course
