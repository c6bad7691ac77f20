"""Input at the edges that once made a server error (issue 12, item 1): check-in without the fasting hours or with
an absurd number, and dates far in the past or future on the schedule, the booking page and the API lists."""

from __future__ import annotations

from typing import Any

import pytest

from clinic.models import AuditEvent
from clinic.params import DAY_RANGE_MESSAGE
from sessions.models import SessionStatus, TreatmentCourse
from tests.conftest import api_as
from tests.factories import on_care_team
from tests.sessions.conftest import Clinic, Clock, advance_to, book, ny, signed_in

EDGES = ["9999-12-31", "0001-01-01", "2101-01-01", "1899-12-31"]


def check_in(user: Any, session: Any, **body: Any) -> Any:
    return api_as(user).post(f"/api/v1/dosing-sessions/{session.pk}/check-in/", body, format="json")


def test_check_in_without_the_fasting_hours_asks_for_a_review(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    response = check_in(clinic.nurse, session, escort_confirmed=True)
    assert response.status_code == 200, response.json()
    assert response.json()["fasting_solids_hours"] is None
    assert response.json()["fasting"] == "review"
    session.refresh_from_db()
    assert session.status == SessionStatus.CHECKED_IN


def test_a_role_that_may_not_check_in_is_refused_whatever_it_sends(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    on_care_team(clinic.patient, clinic.therapist)
    assert check_in(clinic.therapist, session).status_code == 403
    assert check_in(clinic.therapist, session, fasting_solids_hours="1e20").status_code == 403


@pytest.mark.parametrize("hours", ["1e20", "241", "-1", "NaN", "Infinity", "8.123"])
def test_fasting_hours_outside_0_to_240_are_refused_naming_the_field(clinic: Clinic, hours: str) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    response = check_in(clinic.nurse, session, escort_confirmed=True, fasting_solids_hours=hours)
    assert response.status_code == 400
    assert list(response.json()) == ["fasting_solids_hours"]
    assert not AuditEvent.objects.filter(action="sessions.checkin.create").exists()


@pytest.mark.parametrize("day", EDGES)
@pytest.mark.parametrize("url", ["/api/v1/dosing-sessions/", "/api/v1/integration-appointments/"])
def test_the_api_lists_refuse_a_date_outside_the_range(clinic: Clinic, day: str, url: str) -> None:
    response = api_as(clinic.front_desk).get(url, {"date": day})
    assert response.status_code == 400
    assert response.json() == {"date": [DAY_RANGE_MESSAGE]}


@pytest.mark.parametrize("day", EDGES)
def test_the_schedule_shows_today_with_a_message_for_a_date_outside_the_range(clinic: Clinic, day: str) -> None:
    book(clinic, ny(2026, 5, 4, 9))
    response = signed_in(clinic.front_desk).get("/staff/schedule/", {"date": day})
    assert response.status_code == 200
    text = response.content.decode()
    assert "The date in the address was not used: Give a date between 1 January 1900 and 31 December 2100." in text
    assert "9:00 AM Testperson, S." in text  # today's board


@pytest.mark.parametrize("day", EDGES)
def test_the_booking_page_suggests_today_for_a_date_outside_the_range(clinic: Clinic, day: str) -> None:
    response = signed_in(clinic.front_desk).get("/staff/schedule/book/", {"patient": clinic.patient.pk, "date": day})
    assert response.status_code == 200
    assert 'value="2026-05-04"' in response.content.decode()


@pytest.mark.parametrize("start", ["9999-12-28", "0001-01-01"])
def test_a_course_starting_outside_the_range_is_refused(clinic: Clinic, start: str) -> None:
    body = {"patient": clinic.patient.pk, "template": "standard_induction", "start": start, "weekdays": [0, 3],
            "time": "09:00", "chair": clinic.chair.pk}  # fmt: skip
    response = api_as(clinic.nurse).post("/api/v1/courses/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"start": [DAY_RANGE_MESSAGE]}
    assert not TreatmentCourse.objects.exists()


@pytest.mark.parametrize("start", ["9999-12-31T22:00:00Z", "2101-06-01T09:00:00-04:00"])
def test_a_booking_far_in_the_future_is_refused(clinic: Clinic, start: str) -> None:
    body = {"patient": clinic.patient.pk, "chair": clinic.chair.pk, "start": start, "route": "iv"}
    response = api_as(clinic.nurse).post("/api/v1/dosing-sessions/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["start"]
    appointment = {"patient": clinic.patient.pk, "therapist": clinic.therapist.pk, "start": start,
                   "duration_min": 60, "room": "Room A"}  # fmt: skip
    response = api_as(clinic.nurse).post("/api/v1/integration-appointments/", appointment, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["start"]


# --- Numbers and texts a record cannot hold ---------------------------------------------------------------------

ABSURD = ["1e20", 10**30, "0.0000000001"]


@pytest.mark.parametrize("value", ABSURD)
@pytest.mark.parametrize("field", ["bag_volume_ml", "concentration_mg_per_ml", "mg_per_kg", "weight_kg", "height_cm"])
def test_a_dose_past_what_a_record_holds_is_refused_naming_the_field(
    clinic: Clinic, clock: Clock, field: str, value: Any
) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.CHECKED_IN)
    body = {"lot_number": "LOT-1", "override_reason": "Fuzzing", field: value}
    response = api_as(clinic.prescriber).post(f"/api/v1/dosing-sessions/{session.pk}/start/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    session.refresh_from_db()
    assert session.status == SessionStatus.CHECKED_IN


@pytest.mark.parametrize(
    ("route", "field"),
    [("iv", "bag_volume_ml"), ("iv", "concentration_mg_per_ml"), ("esketamine", "dose_mg"), ("sublingual", "dose_mg")],
)
def test_a_dose_calculation_with_absurd_numbers_is_refused(clinic: Clinic, route: str, field: str) -> None:
    body = {"route": route, "weight_kg": 70, "height_cm": 170, "sex_at_birth": "female", field: 10**30}
    response = api_as(clinic.nurse).post("/api/v1/dose-calculations/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize(("step", "field", "limit"), [("cancel", "reason", 300), ("start", "lot_number", 60)])
def test_texts_longer_than_their_record_are_refused(
    clinic: Clinic, clock: Clock, step: str, field: str, limit: int
) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    if step == "start":
        session = advance_to(clinic, session, SessionStatus.CHECKED_IN)
    url = f"/api/v1/dosing-sessions/{session.pk}/{step}/"
    response = api_as(clinic.prescriber).post(url, {field: "x" * (limit + 1)}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
