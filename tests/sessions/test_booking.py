"""Booking dosing sessions, courses and integration appointments (clinical protocol §3) through the API and
the services: every 409 code, the chair block, daylight-saving changes, all-or-nothing courses, list filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clinic.errors import Conflict, InvalidInput
from clinic.models import AuditEvent
from clinic.protocol import DEFAULT_PROTOCOL
from clinic.services import active_protocol_version, publish_protocol_version
from sessions import services
from sessions.models import DosingSession, IntegrationAppointment, SessionStatus, SessionStatusChange, TreatmentCourse
from tests.conftest import api_as
from tests.factories import ChairFactory, PatientFactory, SiteFactory
from tests.sessions.conftest import NEW_YORK, Clinic, Clock, book, make_clinic, ny

URL = "/api/v1/dosing-sessions/"


def post(clinic: Clinic, user: Any = None, **body: Any) -> Any:
    body.setdefault("patient", clinic.patient.pk)
    body.setdefault("chair", clinic.chair.pk)
    body.setdefault("route", "iv")
    return api_as(user or clinic.front_desk).post(URL, body, format="json")


def iso(value: dt.datetime) -> str:
    return value.isoformat()


# --- One session ------------------------------------------------------------------------------------------------


def test_booking_holds_the_chair_for_dosing_observation_and_turnover(clinic: Clinic) -> None:
    response = post(clinic, start=iso(ny(2026, 5, 4, 9)), supervising_clinician=clinic.prescriber.pk)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "scheduled"
    assert body["route"] == "iv"
    assert dt.datetime.fromisoformat(body["start"]) == ny(2026, 5, 4, 9)
    assert dt.datetime.fromisoformat(body["block_end"]) == ny(2026, 5, 4, 10, 25)  # 40 + 30 + 15 min
    assert body["supervising_clinician"] == clinic.prescriber.pk
    session = DosingSession.objects.get(pk=body["id"])
    assert session.protocol_version.is_locked
    assert list(session.status_changes.values_list("to_status", flat=True)) == ["scheduled"]
    event = AuditEvent.objects.get(action="sessions.dosingsession.book")
    assert event.actor == clinic.front_desk
    assert event.patient_id == clinic.patient.pk
    assert event.details["protocol_version"] == session.protocol_version.number


def test_esketamine_holds_the_chair_for_two_hours_of_observation(clinic: Clinic) -> None:
    body = post(clinic, start=iso(ny(2026, 5, 4, 9)), route="esketamine").json()
    assert dt.datetime.fromisoformat(body["block_end"]) == ny(2026, 5, 4, 11, 15)  # 0 + 120 + 15


def test_not_cleared_patient_is_refused_with_the_reasons(clinic: Clinic) -> None:
    patient = PatientFactory(site=clinic.site)
    response = post(clinic, patient=patient.pk, start=iso(ny(2026, 5, 4, 9)))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "not_cleared"
    assert any("screening" in reason for reason in body["reasons"])
    assert not DosingSession.objects.exists()


@pytest.mark.parametrize(
    ("start", "code"),
    [
        (ny(2026, 5, 4, 10, 24), "chair_conflict"),  # one minute before the first block ends
        (ny(2026, 5, 4, 7, 36), "chair_conflict"),  # ends one minute into the first block
        (ny(2026, 5, 4, 10, 25), None),  # back to back: the block is half-open
        (ny(2026, 5, 4, 7, 35), None),
    ],
)
def test_a_chair_is_never_double_booked(clinic: Clinic, clock: Clock, start: dt.datetime, code: str | None) -> None:
    clock.set(ny(2026, 5, 4, 7))
    book(clinic, ny(2026, 5, 4, 9))
    other = clinic.cleared_patient()
    response = post(clinic, patient=other.pk, start=iso(start))
    if code is None:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 409
        assert response.json()["code"] == code
        assert "Chair 1" in response.json()["detail"]


def test_a_patient_is_never_in_two_chairs_at_once(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 4, 9))
    response = post(clinic, chair=clinic.chair2.pk, start=iso(ny(2026, 5, 4, 9, 30)))
    assert response.status_code == 409
    assert response.json()["code"] == "patient_conflict"


@pytest.mark.parametrize(("hours", "status"), [(47, 409), (48, 201)])
def test_48_hours_between_the_starts_of_two_sessions(clinic: Clinic, hours: int, status: int) -> None:
    book(clinic, ny(2026, 5, 4, 9))
    response = post(clinic, start=iso(ny(2026, 5, 4, 9) + dt.timedelta(hours=hours)))
    assert response.status_code == status
    if status == 409:
        assert response.json()["code"] == "interval_too_short"
        assert response.json()["conflicting_starts"]


def test_the_interval_is_checked_before_an_existing_session_too(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 8, 9))
    response = post(clinic, start=iso(ny(2026, 5, 7, 9)))
    assert response.json()["code"] == "interval_too_short"


def test_a_clinics_interval_longer_than_a_week_is_enforced(clinic: Clinic) -> None:
    """The sessions weighed for the interval reach back as far as the protocol's interval, not only a week."""
    active_protocol_version(clinic.site)
    settings = DEFAULT_PROTOCOL.to_json()
    settings["scheduling"].update(min_interval_hours=240)
    publish_protocol_version(by=None, site=clinic.site, settings=settings, change_summary="10 days apart")
    book(clinic, ny(2026, 5, 4, 9))
    response = post(clinic, start=iso(ny(2026, 5, 13, 9)))  # 9 days later
    assert response.status_code == 409
    assert response.json()["code"] == "interval_too_short"
    assert post(clinic, start=iso(ny(2026, 5, 14, 9))).status_code == 201  # 240 h later


def test_at_most_two_sessions_in_any_rolling_seven_days(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 4, 9))  # Monday
    book(clinic, ny(2026, 5, 6, 9))  # Wednesday
    response = post(clinic, start=iso(ny(2026, 5, 8, 9)))  # Friday
    assert response.status_code == 409
    assert response.json()["code"] == "weekly_limit"
    assert post(clinic, start=iso(ny(2026, 5, 11, 9))).status_code == 201  # the next Monday: a new window


def test_cancelled_deferred_and_no_show_sessions_free_the_chair_and_the_spacing(clinic: Clinic, clock: Clock) -> None:
    first = book(clinic, ny(2026, 5, 4, 9))
    response = api_as(clinic.front_desk).post(f"{URL}{first.pk}/cancel/", {"reason": "patient unwell"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert post(clinic, start=iso(ny(2026, 5, 4, 9))).status_code == 201
    again = api_as(clinic.front_desk).post(f"{URL}{first.pk}/cancel/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    assert AuditEvent.objects.filter(action="sessions.dosingsession.cancel", object_id=str(first.pk)).exists()


def test_no_show_only_after_the_start(clinic: Clinic, clock: Clock) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    client = api_as(clinic.front_desk)
    assert client.post(f"{URL}{session.pk}/no-show/").json()["code"] == "invalid_transition"
    clock.set(ny(2026, 5, 4, 9, 30))
    assert client.post(f"{URL}{session.pk}/no-show/").json()["status"] == "no_show"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": "2026-05-04T07:00:00-04:00"}, "start"),  # an hour ago
        ({"start": "tomorrow"}, "start"),
        ({"route": "oral"}, "route"),
        ({"chair": 999999}, "chair"),
        ({"supervising_clinician": 999999}, "supervising_clinician"),
        ({"course": 999999}, "course"),
        ({"duration_min": 0}, "duration_min"),
    ],
)
def test_bad_booking_input_answers_400_naming_the_field(clinic: Clinic, change: dict[str, Any], field: str) -> None:
    response = post(clinic, **{"start": iso(ny(2026, 5, 4, 9)), **change})
    assert response.status_code == 400
    assert field in response.json()


def test_a_nurse_is_not_a_supervising_prescriber(clinic: Clinic) -> None:
    response = post(clinic, start=iso(ny(2026, 5, 4, 9)), supervising_clinician=clinic.nurse.pk)
    assert response.status_code == 400
    assert "supervising_clinician" in response.json()


def test_a_chair_of_another_site_is_refused(clinic: Clinic) -> None:
    elsewhere = ChairFactory(site=SiteFactory(code="ELSE"))
    clinic.front_desk.sites.add(elsewhere.site)
    response = post(clinic, chair=elsewhere.pk, start=iso(ny(2026, 5, 4, 9)))
    assert response.status_code == 400
    assert "chair" in response.json()


# --- Daylight-saving changes (America/New_York: 8 March 2026 spring forward, 1 November 2026 fall back) -------


@pytest.fixture
def winter(db: None, clock: Clock) -> Clinic:
    clock.set(ny(2026, 2, 27, 8))
    return make_clinic("WINTER")


def test_interval_across_the_spring_change_is_elapsed_time(winter: Clinic) -> None:
    book(winter, ny(2026, 3, 7, 9))  # Saturday 09:00 EST
    with pytest.raises(Conflict) as refused:
        book(winter, ny(2026, 3, 9, 9))  # Monday 09:00 EDT: only 47 h later
    assert refused.value.code == "interval_too_short"
    assert "47 h" in refused.value.message
    assert book(winter, ny(2026, 3, 9, 10)).start == ny(2026, 3, 9, 10)


def test_weekly_limit_across_the_spring_change_uses_the_wall_clock(winter: Clinic) -> None:
    book(winter, ny(2026, 3, 2, 9))  # Monday EST
    book(winter, ny(2026, 3, 5, 9))  # Thursday EST
    with pytest.raises(Conflict) as refused:
        book(winter, ny(2026, 3, 9, 8, 59))  # Monday EDT, within 7 days on the clinic's clock
    assert refused.value.code == "weekly_limit"
    monday = book(winter, ny(2026, 3, 9, 9))  # 167 h after the first in UTC, but a new week on the wall clock
    assert monday.status == SessionStatus.SCHEDULED


def test_interval_across_the_fall_change(db: None, clock: Clock) -> None:
    clock.set(ny(2026, 10, 26, 8))
    autumn = make_clinic("AUTUMN")
    book(autumn, ny(2026, 10, 31, 10))  # Saturday 10:00 EDT
    with pytest.raises(Conflict, match="47 h 0 min"):
        book(autumn, ny(2026, 11, 2, 8))  # Monday 08:00 EST: 47 h later (the wall clock says 46)
    assert book(autumn, ny(2026, 11, 2, 9)).start == ny(2026, 11, 2, 9)  # Monday 09:00 EST: 48 h later


def test_a_course_across_the_spring_change_keeps_its_local_time(winter: Clinic) -> None:
    response = api_as(winter.front_desk).post(
        "/api/v1/courses/",
        {
            "patient": winter.patient.pk,
            "template": "standard_induction",
            "start": "2026-03-02",
            "weekdays": [0, 3],
            "time": "09:00",
            "chair": winter.chair.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    starts = [dt.datetime.fromisoformat(s["start"]) for s in response.json()["sessions"]]
    assert [s.astimezone(NEW_YORK).strftime("%a %H:%M") for s in starts] == ["Mon 09:00", "Thu 09:00"] * 3
    assert {s.astimezone(dt.UTC).hour for s in starts} == {14, 13}  # EST, then EDT


def test_a_course_time_that_does_not_exist_is_refused(winter: Clinic) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.book_course(
            by=winter.front_desk,
            patient=winter.patient,
            template="standard_induction",
            start_date=dt.date(2026, 3, 8),  # Sunday: 02:30 does not exist
            weekdays=[6, 2],
            local_time=dt.time(2, 30),
            chair=winter.chair,
        )
    assert "time" in refused.value.errors


# --- Courses ----------------------------------------------------------------------------------------------------


def course_body(clinic: Clinic, **change: Any) -> dict[str, Any]:
    body = {
        "patient": clinic.patient.pk,
        "template": "standard_induction",
        "start": "2026-05-04",
        "weekdays": [0, 3],
        "time": "09:00",
        "chair": clinic.chair.pk,
    }
    return {**body, **change}


def test_a_standard_course_books_six_sessions(clinic: Clinic) -> None:
    response = api_as(clinic.nurse).post("/api/v1/courses/", course_body(clinic), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "planned"
    assert len(body["sessions"]) == 6
    course = TreatmentCourse.objects.get()
    assert course.sessions.count() == 6
    assert course.protocol_version.is_locked
    assert AuditEvent.objects.filter(action="sessions.treatmentcourse.book").count() == 1
    assert AuditEvent.objects.filter(action="sessions.dosingsession.book").count() == 6


def test_course_booking_is_all_or_nothing_with_the_conflicts_listed(clinic: Clinic) -> None:
    other = clinic.cleared_patient()
    book(clinic, ny(2026, 5, 11, 9, 30), patient=other)  # session 3 of the course (Monday 11 May)
    book(clinic, ny(2026, 5, 21, 8), patient=other)  # session 6 (Thursday 21 May)
    response = api_as(clinic.nurse).post("/api/v1/courses/", course_body(clinic), format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "chair_conflict"
    assert [(c["session"], c["code"]) for c in body["conflicts"]] == [(3, "chair_conflict"), (6, "chair_conflict")]
    assert "none was" in body["detail"]
    assert not TreatmentCourse.objects.exists()
    assert not DosingSession.objects.filter(patient=clinic.patient).exists()


def test_course_conflicts_include_the_spacing_against_existing_sessions(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 5, 9), chair=clinic.chair2)  # Tuesday, between the course's Monday and Thursday
    body = api_as(clinic.nurse).post("/api/v1/courses/", course_body(clinic), format="json").json()
    assert body["code"] == "interval_too_short"
    assert [(c["session"], c["code"]) for c in body["conflicts"]] == [
        (1, "interval_too_short"),  # Monday 4 May, 24 h before the Tuesday,
        (1, "weekly_limit"),  # and with it and Thursday three sessions within 7 days
        (2, "weekly_limit"),  # Thursday 7 May: Monday, Tuesday and Thursday within 7 days
        (3, "weekly_limit"),  # Monday 11 May: Tuesday, Thursday and Monday within 7 days
    ]
    assert not TreatmentCourse.objects.exists()
    # Each session's reason is a sentence of its own, never run into the next one.
    detail = body["detail"]
    reasons = detail.split(" Session ")[1:]
    assert len(reasons) == 4
    assert all(reason.endswith(".") for reason in reasons), detail


@pytest.mark.parametrize(
    ("change", "status", "key"),
    [
        ({"weekdays": [0, 1]}, 409, "interval_too_short"),  # Monday + Tuesday
        ({"weekdays": [0]}, 400, "weekdays"),
        ({"weekdays": [0, 9]}, 400, "weekdays"),
        ({"template": "weekend_retreat"}, 400, "template"),
        ({"start": "2026-04-27"}, 400, "start"),  # its first Monday has passed
        ({"time": "9 o'clock"}, 400, "time"),
    ],
)
def test_course_input_errors(clinic: Clinic, change: dict[str, Any], status: int, key: str) -> None:
    response = api_as(clinic.nurse).post("/api/v1/courses/", course_body(clinic, **change), format="json")
    assert response.status_code == status
    body = response.json()
    assert body.get("code") == key if status == 409 else key in body


def test_intensive_retreat_allows_three_sessions_a_week(clinic: Clinic) -> None:
    body = course_body(clinic, template="intensive_retreat", weekdays=[0, 2, 4])
    response = api_as(clinic.nurse).post("/api/v1/courses/", body, format="json")
    assert response.status_code == 201, response.json()
    course = TreatmentCourse.objects.get()
    wednesday = course.sessions.get(start=ny(2026, 5, 6, 9))
    services.cancel_session(by=clinic.front_desk, session=wednesday)
    with pytest.raises(Conflict) as refused:
        book(clinic, ny(2026, 5, 6, 9))  # outside the course: the protocol's 2 in 7 days
    assert refused.value.code == "weekly_limit"
    assert book(clinic, ny(2026, 5, 6, 9), course=course).course == course  # the retreat's own limit, 3


def test_stopping_a_course_cancels_its_scheduled_sessions(clinic: Clinic) -> None:
    course_id = api_as(clinic.nurse).post("/api/v1/courses/", course_body(clinic), format="json").json()["id"]
    assert api_as(clinic.nurse).post(f"/api/v1/courses/{course_id}/stop/", {"reason": "x"}).status_code == 403
    response = api_as(clinic.prescriber).post(f"/api/v1/courses/{course_id}/stop/", {"reason": "Side effects"})
    assert response.status_code == 200
    assert response.json()["status"] == "stopped"
    assert {s["status"] for s in response.json()["sessions"]} == {"cancelled"}


# --- Listing ----------------------------------------------------------------------------------------------------


def test_list_filters_by_local_date_chair_and_patient(clinic: Clinic) -> None:
    late = book(clinic, ny(2026, 5, 4, 21, 30))  # 01:30 UTC on 5 May: still 4 May at the clinic
    other = clinic.cleared_patient()
    book(clinic, ny(2026, 5, 6, 9), patient=other, chair=clinic.chair2)
    client = api_as(clinic.front_desk)
    assert [s["id"] for s in client.get(URL, {"date": "2026-05-04"}).json()["results"]] == [late.pk]
    assert client.get(URL, {"date": "2026-05-05"}).json()["results"] == []
    assert len(client.get(URL, {"chair": clinic.chair2.pk}).json()["results"]) == 1
    assert len(client.get(URL, {"patient": clinic.patient.pk, "sort": "-id"}).json()["results"]) == 1
    assert client.get(URL, {"date": "04/05/2026"}).status_code == 400
    assert client.get(URL, {"chair": "one"}).status_code == 400


# --- Integration appointments -----------------------------------------------------------------------------------


def appointment(clinic: Clinic, start: dt.datetime, **change: Any) -> Any:
    body = {"patient": clinic.patient.pk, "therapist": clinic.therapist.pk, "start": iso(start), "duration_min": 60,
            "room": "Room A", **change}  # fmt: skip
    return api_as(clinic.front_desk).post("/api/v1/integration-appointments/", body, format="json")


def test_integration_appointments_never_double_book_a_therapist(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    first = appointment(clinic, ny(2026, 5, 5, 10), dosing_session=session.pk)
    assert first.status_code == 201, first.json()
    assert first.json()["warnings"] == []
    other = clinic.cleared_patient()
    clash = appointment(clinic, ny(2026, 5, 5, 10, 30), patient=other.pk)
    assert clash.status_code == 409
    assert clash.json()["code"] == "therapist_conflict"
    assert appointment(clinic, ny(2026, 5, 5, 11), patient=other.pk).status_code == 201


def test_integration_appointment_rules(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9), chair=clinic.chair2)
    assert appointment(clinic, ny(2026, 5, 5, 10), duration_min=45).json().keys() >= {"duration_min"}
    assert appointment(clinic, ny(2026, 5, 4, 10)).json()["code"] == "patient_conflict"  # during the infusion
    other = clinic.cleared_patient()
    in_chair = appointment(clinic, ny(2026, 5, 4, 9, 30), patient=other.pk, chair=clinic.chair2.pk, room="")
    assert in_chair.json()["code"] == "chair_conflict"
    late = appointment(clinic, ny(2026, 5, 8, 10), dosing_session=session.pk)
    assert late.status_code == 201
    assert late.json()["warnings"] == []  # no course: no template deadline
    cancel = api_as(clinic.front_desk).post(f"/api/v1/integration-appointments/{late.json()['id']}/cancel/")
    assert cancel.json()["status"] == "cancelled"
    assert IntegrationAppointment.objects.filter(status="scheduled").count() == 0


def test_an_integration_session_too_long_after_a_course_session_is_flagged(clinic: Clinic) -> None:
    course = services.book_course(
        by=clinic.front_desk,
        patient=clinic.patient,
        template="standard_induction",
        start_date=dt.date(2026, 5, 4),
        weekdays=[0, 3],
        local_time=dt.time(9),
        chair=clinic.chair,
    )
    first = course.sessions.order_by("start")[0]
    response = appointment(clinic, ny(2026, 5, 7, 14), dosing_session=first.pk)
    assert response.status_code == 201
    assert "72 h" in response.json()["warnings"][0]


def test_status_changes_are_recorded_once_each(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    services.cancel_session(by=clinic.front_desk, session=session, reason="moved")
    changes = SessionStatusChange.objects.filter(session=session).order_by("id")
    assert [(c.from_status, c.to_status, c.reason) for c in changes] == [
        ("", "scheduled", ""),
        ("scheduled", "cancelled", "moved"),
    ]
