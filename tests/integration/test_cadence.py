"""The questionnaire due by the cadence of clinical protocol §5 (integration/services/cadence.py, the rule
integration.outcomes.next_due) and its card on the portal home."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from integration.outcomes import DueReason
from integration.services import questionnaire_due
from sessions import services as session_services
from sessions.models import DosingSession, TreatmentCourse
from tests.factories import patient_user
from tests.integration.conftest import Integ, stopped_course
from tests.sessions.conftest import ny


def _course(integ: Integ) -> TreatmentCourse:
    clinic = integ.clinic
    integ.clock.set(ny(2026, 5, 6, 8))
    return session_services.book_course(
        by=clinic.front_desk,
        patient=clinic.patient,
        template="standard_induction",
        start_date=dt.date(2026, 5, 11),
        weekdays=[0, 3],
        local_time=dt.time(9, 0),
        chair=clinic.chair2,
    )


def test_before_the_first_session_of_a_course(integ: Integ) -> None:
    course = _course(integ)
    first = DosingSession.objects.filter(course=course).order_by("start").first()
    assert first is not None
    due = questionnaire_due(integ.nurse, integ.patient, ny(2026, 5, 6, 9))
    assert due is not None
    assert due.due.at == first.start
    assert due.due.reason is DueReason.SESSION
    assert due.instrument == "phq9"
    assert not due.shown  # five days ahead: not on the portal yet
    later = questionnaire_due(integ.nurse, integ.patient, ny(2026, 5, 10, 9))
    assert later is not None
    assert later.shown


def test_a_score_before_the_session_moves_it_to_the_next_session(integ: Integ) -> None:
    course = _course(integ)
    sessions = list(DosingSession.objects.filter(course=course).order_by("start"))
    integ.phq9(12, ny(2026, 5, 10, 20))
    due = questionnaire_due(integ.nurse, integ.patient, ny(2026, 5, 10, 21))
    assert due is not None
    assert due.due.at == sessions[1].start


def test_after_a_course_weekly(integ: Integ) -> None:
    course = stopped_course(integ)
    assert course.end_date is not None
    due = questionnaire_due(integ.nurse, integ.patient, ny(2026, 5, 8, 9))
    assert due is not None
    assert due.due.reason is DueReason.POST_COURSE_WEEKLY
    assert due.due.at.date() == dt.date(2026, 5, 14)


def test_no_course_nothing_due(integ: Integ) -> None:
    DosingSession.objects.filter(patient=integ.patient).update(course=None)
    TreatmentCourse.objects.filter(patient=integ.patient).delete()
    assert questionnaire_due(integ.nurse, integ.patient, ny(2026, 5, 8, 9)) is None


@pytest.mark.parametrize(("started", "label"), [(False, "Start now"), (True, "Continue where I left off")])
def test_the_portal_home_offers_it_with_one_tap(integ: Integ, started: bool, label: str) -> None:
    _course(integ)
    integ.clock.set(ny(2026, 5, 10, 9))
    client = Client()
    client.force_login(patient_user(integ.patient, username="integ.patient"))
    if started:
        client.post("/portal/questionnaires/phq9/draft/", {"item_1": "1"}, HTTP_HX_REQUEST="true")
    html = client.get("/portal/").content.decode()
    assert "A questionnaire is due" in html
    assert 'href="/portal/questionnaires/phq9/"' in html
    assert label in html
