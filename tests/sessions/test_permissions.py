"""The permission matrix for the sessions endpoints and screens: who gets in, who gets 404 (across sites, off the
care team), and front desk sees schedules but never clinical data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from clinic.models import Chair
from sessions import services
from sessions.models import DissociationScore, DosingSession, IntegrationAppointment, TreatmentCourse
from tests.conftest import World, api_as
from tests.factories import ChairFactory, staff
from tests.intake.factories import clear_for_dosing
from tests.sessions.conftest import PROCEED, Clock, ny, signed_in

EVERYONE = ["patient_a", "patient_b", "prescriber1", "nurse1", "nurse2", "therapist1", "therapist_unassigned",
            "front_desk1", "admin1"]  # fmt: skip


@dataclass
class Scheduled:
    world: World
    chair1: Chair
    chair2: Chair
    session_a: DosingSession
    session_b: DosingSession

    def user(self, who: str) -> Any:
        return self.world.users()[who]


@pytest.fixture
def scheduled(clock: Clock, world: World) -> Scheduled:
    chair1 = ChairFactory(site=world.site1, name="North Chair")
    chair2 = ChairFactory(site=world.site2, name="South Chair")
    clear_for_dosing(world.patient_a, nurse=world.nurse1, prescriber=world.prescriber1)
    clear_for_dosing(world.patient_b, nurse=world.nurse2, prescriber=staff("prescriber", world.site2))
    session_a = services.book_dosing_session(
        by=None, patient=world.patient_a, chair=chair1, start=ny(2026, 5, 4, 9), route="iv"
    ).session
    session_b = services.book_dosing_session(
        by=None, patient=world.patient_b, chair=chair2, start=ny(2026, 5, 4, 9), route="iv"
    ).session
    return Scheduled(world, chair1, chair2, session_a, session_b)


def _checked_in(s: Scheduled) -> None:
    services.check_in(
        by=s.world.nurse1,
        session=s.session_a,
        fasting_solids_hours=Decimal(8),
        fasting_clear_liquids_hours=Decimal(3),
        escort_confirmed=True,
    )


READ_A = {
    "nurse1": "clinical",
    "prescriber1": "clinical",
    "admin1": "clinical",
    "therapist1": "clinical",  # on patient A's care team
    "front_desk1": "schedule",
    "patient_a": "schedule",
    "patient_b": 404,
    "nurse2": 404,
    "therapist_unassigned": 404,
}


@pytest.mark.parametrize(("who", "expected"), READ_A.items())
def test_reading_a_session(scheduled: Scheduled, who: str, expected: Any) -> None:
    response = api_as(scheduled.user(who)).get(f"/api/v1/dosing-sessions/{scheduled.session_a.pk}/")
    if expected == 404:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == scheduled.session_a.pk
    assert ("vitals" in body) is (expected == "clinical")
    assert ("dose" in body) is (expected == "clinical")


@pytest.mark.parametrize("who", EVERYONE)
def test_lists_hold_only_what_the_requester_may_see(scheduled: Scheduled, who: str) -> None:
    user = scheduled.user(who)
    if READ_A[who] != 404:
        expected = {scheduled.session_a.pk}
    else:
        expected = {scheduled.session_b.pk} if who in ("patient_b", "nurse2") else set()
    ids = {s["id"] for s in api_as(user).get("/api/v1/dosing-sessions/").json()["results"]}
    assert ids == expected
    for row in api_as(user).get("/api/v1/dosing-sessions/").json()["results"]:
        assert "vitals" not in row
        assert "dose" not in row


BOOK_A = {
    "front_desk1": 201,
    "nurse1": 201,
    "prescriber1": 201,
    "admin1": 201,
    "therapist1": 403,
    "patient_a": 403,
    "nurse2": 404,
    "patient_b": 404,
    "therapist_unassigned": 404,
}


@pytest.mark.parametrize(("who", "status"), BOOK_A.items())
def test_booking(scheduled: Scheduled, who: str, status: int) -> None:
    body = {"patient": scheduled.world.patient_a.pk, "chair": scheduled.chair1.pk, "start": "2026-05-06T09:00:00-04:00",
            "route": "iv"}  # fmt: skip
    response = api_as(scheduled.user(who)).post("/api/v1/dosing-sessions/", body, format="json")
    assert response.status_code == status, response.json()


@pytest.mark.parametrize(("who", "status"), BOOK_A.items())
def test_cancelling(scheduled: Scheduled, who: str, status: int) -> None:
    response = api_as(scheduled.user(who)).post(f"/api/v1/dosing-sessions/{scheduled.session_a.pk}/cancel/")
    assert response.status_code == (200 if status == 201 else status)


CLINICAL_ACTION_A = {
    "nurse1": 201,
    "prescriber1": 201,
    "admin1": 403,
    "therapist1": 403,
    "patient_a": 403,
    "front_desk1": 404,  # schedules only: clinical endpoints do not exist for front desk
    "nurse2": 404,
    "patient_b": 404,
    "therapist_unassigned": 404,
}


@pytest.mark.parametrize(("who", "status"), CLINICAL_ACTION_A.items())
def test_recording_vitals(scheduled: Scheduled, who: str, status: int) -> None:
    _checked_in(scheduled)
    url = f"/api/v1/dosing-sessions/{scheduled.session_a.pk}/vitals/"
    assert api_as(scheduled.user(who)).post(url, PROCEED, format="json").status_code == status


@pytest.mark.parametrize(("who", "status"), CLINICAL_ACTION_A.items())
def test_checking_in(scheduled: Scheduled, who: str, status: int) -> None:
    url = f"/api/v1/dosing-sessions/{scheduled.session_a.pk}/check-in/"
    body = {"fasting_solids_hours": 8, "fasting_clear_liquids_hours": 3, "escort_confirmed": True}
    response = api_as(scheduled.user(who)).post(url, body, format="json")
    assert response.status_code == (200 if status == 201 else status)


@pytest.mark.parametrize(("who", "status"), CLINICAL_ACTION_A.items())
def test_recording_dissociation(scheduled: Scheduled, who: str, status: int) -> None:
    _checked_in(scheduled)
    world = scheduled.world
    services.record_vitals(by=world.nurse1, session=scheduled.session_a, **PROCEED)
    services.start_dosing(by=world.nurse1, session=scheduled.session_a, lot_number="LOT-1")
    url = f"/api/v1/dosing-sessions/{scheduled.session_a.pk}/dissociation/"
    response = api_as(scheduled.user(who)).post(url, {"items": [0, 1, 0, 0, 0, 0]}, format="json")
    assert response.status_code == status
    assert DissociationScore.objects.count() == (1 if status == 201 else 0)


def _esketamine_a(s: Scheduled) -> DosingSession:
    return services.book_dosing_session(
        by=None, patient=s.world.patient_a, chair=s.chair1, start=ny(2026, 5, 6, 9), route="esketamine"
    ).session


READ_REMS_A = {**dict.fromkeys(READ_A, 404), "nurse1": 200, "prescriber1": 200, "admin1": 200, "therapist1": 200}


@pytest.mark.parametrize(("who", "status"), READ_REMS_A.items())
def test_reading_the_rems_form(scheduled: Scheduled, who: str, status: int) -> None:
    session = _esketamine_a(scheduled)
    response = api_as(scheduled.user(who)).get(f"/api/v1/dosing-sessions/{session.pk}/rems/")
    assert response.status_code == status
    if status == 200:
        assert response.json()["status"] == "in_progress"


# Before discharge the staff who may submit get past the role check to the 409; the rest never get that far.
SUBMIT_REMS_A = {**CLINICAL_ACTION_A, "nurse1": 409, "prescriber1": 409, "admin1": 409}


@pytest.mark.parametrize(("who", "status"), SUBMIT_REMS_A.items())
def test_submitting_the_rems_form(scheduled: Scheduled, who: str, status: int) -> None:
    session = _esketamine_a(scheduled)
    response = api_as(scheduled.user(who)).post(
        f"/api/v1/dosing-sessions/{session.pk}/rems/submit/", {"reference": "R-1"}, format="json"
    )
    assert response.status_code == status
    if status == 409:
        assert response.json()["code"] == "invalid_transition"


@pytest.mark.parametrize("who", EVERYONE)
def test_courses_and_appointments_are_scoped(scheduled: Scheduled, who: str) -> None:
    world = scheduled.world
    monday = ny(2026, 5, 11)
    course = services.book_course(by=None, patient=world.patient_a, template="maintenance", start_date=monday.date(),
                                  weekdays=[0], local_time=monday.time(), chair=scheduled.chair1)  # fmt: skip
    appointment = services.book_integration_appointment(
        by=None,
        patient=world.patient_a,
        therapist=world.therapist1,
        start=ny(2026, 5, 5, 10),
        duration_min=60,
        room="A",
    ).appointment
    visible = READ_A[who] != 404 if who in READ_A else False
    client = api_as(scheduled.user(who))
    assert ({c["id"] for c in client.get("/api/v1/courses/").json()["results"]} == {course.pk}) is visible
    assert (client.get(f"/api/v1/courses/{course.pk}/").status_code == 200) is visible
    rows = client.get("/api/v1/integration-appointments/").json()["results"]
    assert ({a["id"] for a in rows} == {appointment.pk}) is visible
    assert (client.get(f"/api/v1/integration-appointments/{appointment.pk}/").status_code == 200) is visible
    assert TreatmentCourse.objects.count() == 1
    assert IntegrationAppointment.objects.count() == 1


# --- Staff screens and the portal ------------------------------------------------------------------------------

PAGE_A = {
    "nurse1": "clinical",
    "prescriber1": "clinical",
    "admin1": "clinical",
    "therapist1": "clinical",
    "front_desk1": "schedule",
    "nurse2": 404,
    "therapist_unassigned": 404,
    "patient_a": 404,  # patients use the portal
    "patient_b": 404,
}


@pytest.mark.parametrize(("who", "expected"), PAGE_A.items())
def test_the_session_page(scheduled: Scheduled, who: str, expected: Any) -> None:
    response = signed_in(scheduled.user(who)).get(f"/staff/schedule/sessions/{scheduled.session_a.pk}/")
    if expected == 404:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    text = response.content.decode()
    assert "Testperson, Alpha" in text
    assert ("Vital signs" in text) is (expected == "clinical")
    assert ("Add to calendar" in text) is True


@pytest.mark.parametrize(("who", "expected"), PAGE_A.items())
def test_the_staff_calendar_file(scheduled: Scheduled, who: str, expected: Any) -> None:
    response = signed_in(scheduled.user(who)).get(f"/staff/schedule/sessions/{scheduled.session_a.pk}/calendar.ics")
    assert response.status_code == (404 if expected == 404 else 200)


@pytest.mark.parametrize(("who", "status"), [("front_desk1", 404), ("nurse2", 404), ("therapist1", 200)])
def test_the_monitor_fragment_is_clinical(scheduled: Scheduled, who: str, status: int) -> None:
    response = signed_in(scheduled.user(who)).get(f"/staff/schedule/sessions/{scheduled.session_a.pk}/monitor/")
    assert response.status_code == status


REMS_LIST = {"nurse1": "A", "prescriber1": "A", "admin1": "A", "therapist1": "A", "nurse2": "none",
             "therapist_unassigned": "none", "front_desk1": 404, "patient_a": 404, "patient_b": 404}  # fmt: skip


@pytest.mark.parametrize(("who", "expected"), REMS_LIST.items())
def test_the_rems_list(scheduled: Scheduled, who: str, expected: Any) -> None:
    session = _esketamine_a(scheduled)
    DosingSession.objects.filter(pk=session.pk).update(status="discharged")  # only its listing matters here
    response = signed_in(scheduled.user(who)).get("/staff/schedule/rems/")
    if expected == 404:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert (f"/staff/schedule/sessions/{session.pk}/#rems" in response.content.decode()) is (expected == "A")


def test_the_board_shows_only_the_requesters_site(scheduled: Scheduled) -> None:
    text = signed_in(scheduled.world.front_desk1).get("/staff/schedule/", {"date": "2026-05-04"}).content.decode()
    assert "Testperson, Alpha" in text
    assert "Bravo" not in text
    assert signed_in(scheduled.world.patient_a_user).get("/staff/schedule/").status_code == 404


def test_portal_calendar_files_are_the_patients_own(scheduled: Scheduled) -> None:
    client = signed_in(scheduled.world.patient_a_user)
    assert client.get(f"/portal/sessions/{scheduled.session_a.pk}/calendar.ics").status_code == 200
    assert client.get(f"/portal/sessions/{scheduled.session_b.pk}/calendar.ics").status_code == 404
    assert client.get("/portal/sessions/").status_code == 200
    staff_client = signed_in(scheduled.world.nurse1)
    assert staff_client.get(f"/portal/sessions/{scheduled.session_a.pk}/calendar.ics").status_code == 404
