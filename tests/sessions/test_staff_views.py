"""Staff screens: the day board, booking with free-slot suggestions, the session page (htmx vitals, dose panel,
review, discharge), the panels on the patient page and the portal."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from clinic.models import AuditEvent
from clinic.protocol import DEFAULT_PROTOCOL
from clinic.services import active_protocol_version, publish_protocol_version
from sessions import services
from sessions.models import DosingSession, IntegrationAppointment, SessionStatus, TreatmentCourse
from sessions.queries import _board_hours
from tests.factories import patient_user
from tests.sessions.conftest import NEW_YORK, Clinic, Clock, advance_to, book, ny, session_page, signed_in

HTMX = {"HTTP_HX_REQUEST": "true"}


# --- The board --------------------------------------------------------------------------------------------------


def test_the_board_has_a_lane_per_chair_and_a_block_per_session(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    response = signed_in(clinic.front_desk).get("/staff/schedule/", {"date": "2026-05-04"})
    assert response.status_code == 200
    text = response.content.decode()
    assert '<svg class="board"' in text
    assert ">Chair 1</text>" in text
    assert ">Chair 2</text>" in text
    assert f'href="{session_page(session)}"' in text
    assert 'class="board-block status-scheduled"' in text
    assert "9:00 AM Testperson, S." in text
    assert 'hx-trigger="every 30s"' in text
    assert "times in America/New_York" in text


def test_the_board_widens_to_show_a_booking_outside_the_usual_hours(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 6, 5, 30))
    text = signed_in(clinic.nurse).get("/staff/schedule/", {"date": "2026-05-06"}).content.decode()
    assert f'href="{session_page(session)}"' in text
    assert ">5:00 AM<" in text
    plain = signed_in(clinic.nurse).get("/staff/schedule/", {"date": "2026-05-07"}).content.decode()
    assert ">5:00 AM<" not in plain
    assert ">7:00 AM<" in plain


@pytest.mark.parametrize(
    ("spans", "hours"),
    [
        ([], (7, 21)),
        ([((5, 30), (6, 55))], (5, 21)),
        ([((20, 0), (21, 25))], (7, 22)),
        ([((23, 0), (24, 25))], (7, 24)),
    ],
)
def test_board_hours(spans: list[tuple[tuple[int, int], tuple[int, int]]], hours: tuple[int, int]) -> None:
    day = dt.date(2026, 5, 4)

    def at(hour: int, minute: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0), tzinfo=NEW_YORK) + dt.timedelta(hours=hour, minutes=minute)

    assert _board_hours([(at(*a), at(*b)) for a, b in spans], day, NEW_YORK) == hours


def test_the_staff_nav_links_to_the_schedule(clinic: Clinic) -> None:
    text = signed_in(clinic.front_desk).get("/staff/").content.decode()
    assert '<a href="/staff/schedule/">Schedule</a>' in text
    board = signed_in(clinic.front_desk).get("/staff/schedule/").content.decode()
    assert '<a href="/staff/schedule/" aria-current="page">Schedule</a>' in board


def test_the_board_refreshes_as_a_fragment(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 4, 9))
    response = signed_in(clinic.nurse).get("/staff/schedule/", {"date": "2026-05-04"}, **HTMX)
    text = response.content.decode()
    assert text.lstrip().startswith('<section id="board"')
    assert "<html" not in text


def test_the_board_of_another_day_and_a_bad_date(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 4, 9))
    client = signed_in(clinic.nurse)
    assert "Nothing booked on this day" in client.get("/staff/schedule/", {"date": "2026-05-05"}).content.decode()
    assert client.get("/staff/schedule/", {"date": "yesterday"}).status_code == 200  # falls back to today


# --- Booking ----------------------------------------------------------------------------------------------------


def test_booking_page_suggests_free_times_per_chair(clinic: Clinic) -> None:
    other = clinic.cleared_patient()
    book(clinic, ny(2026, 5, 4, 9), patient=other)  # Chair 1 busy 09:00-10:25
    response = signed_in(clinic.front_desk).get(
        "/staff/schedule/book/", {"patient": clinic.patient.pk, "date": "2026-05-04", "route": "iv"}
    )
    text = response.content.decode()
    chair1, chair2 = text.split("<h3>Chair 1</h3>")[1].split("<h3>Chair 2</h3>")
    assert ">8:00 AM<" not in chair1
    assert ">9:00 AM<" not in chair1
    assert ">10:25 AM<" not in chair1
    assert ">10:30 AM<" in chair1
    assert ">9:00 AM<" in chair2
    assert ">8:00 AM<" in chair2
    assert ">4:30 PM<" in chair2
    assert ">4:45 PM<" not in chair2


def test_free_times_refresh_as_a_fragment(clinic: Clinic) -> None:
    response = signed_in(clinic.front_desk).get(
        "/staff/schedule/book/",
        {"patient": clinic.patient.pk, "date": "2026-05-05", "route": "esketamine"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="free-slots",
    )
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="free-slots"')
    assert ">3:45 PM<" in text
    assert ">4:00 PM<" not in text


def test_booking_through_the_page(clinic: Clinic) -> None:
    client = signed_in(clinic.front_desk)
    data = {
        "patient": clinic.patient.pk,
        "route": "iv",
        "date": "2026-05-04",
        "time": "09:00",
        "chair": clinic.chair.pk,
    }
    response = client.post(f"/staff/schedule/book/?patient={clinic.patient.pk}", data)
    session = DosingSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == session_page(session)
    assert session.start == ny(2026, 5, 4, 9)
    again = client.post(f"/staff/schedule/book/?patient={clinic.patient.pk}", {**data, "chair": clinic.chair2.pk})
    assert again.status_code == 400
    assert "already booked" in again.content.decode()


def test_booking_page_without_a_patient_offers_a_search(clinic: Clinic) -> None:
    client = signed_in(clinic.front_desk)
    text = client.get("/staff/schedule/book/", {"q": "Sam"}).content.decode()
    assert f"?patient={clinic.patient.pk}" in text
    assert signed_in(clinic.therapist).get("/staff/schedule/book/").status_code == 404


def test_booking_a_course_through_the_page(clinic: Clinic) -> None:
    other = clinic.cleared_patient()
    book(clinic, ny(2026, 5, 11, 9), patient=other)
    client = signed_in(clinic.front_desk)
    data = {"patient": clinic.patient.pk, "template": "standard_induction", "start_date": "2026-05-04",
            "weekdays": ["0", "3"], "time": "09:00", "chair": clinic.chair.pk}  # fmt: skip
    refused = client.post(f"/staff/schedule/book-course/?patient={clinic.patient.pk}", data)
    assert refused.status_code == 409
    assert "Session 3 (Mon, May 11, 2026, 9:00 AM EDT)" in refused.content.decode()
    assert not TreatmentCourse.objects.exists()
    booked = client.post(f"/staff/schedule/book-course/?patient={clinic.patient.pk}", {**data, "time": "11:00"})
    assert booked.status_code == 302
    assert TreatmentCourse.objects.get().sessions.count() == 6


def test_booking_an_integration_session_through_the_page(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    client = signed_in(clinic.therapist)
    url = f"/staff/schedule/patients/{clinic.patient.pk}/integration/?session={session.pk}"
    assert client.get(url).status_code == 404  # the therapist is not on this patient's care team
    client = signed_in(clinic.front_desk)
    assert client.get(url).status_code == 200
    data = {"therapist": clinic.therapist.pk, "date": "2026-05-05", "time": "10:00", "duration_min": 60, "room": "Blue"}
    response = client.post(url, {**data, "session": session.pk})
    assert response.status_code == 302
    appointment = IntegrationAppointment.objects.get()
    assert appointment.dosing_session == session
    assert client.post(url, {**data, "session": session.pk}).status_code == 400  # the therapist is busy


# --- The session page -------------------------------------------------------------------------------------------


def test_reading_the_session_page_is_audited_and_polling_is_not(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    client = signed_in(clinic.nurse)
    client.get(session_page(session))
    client.get(f"{session_page(session)}monitor/")
    assert AuditEvent.objects.filter(action="sessions.dosingsession.view").count() == 1


def test_check_in_then_fast_vitals_with_htmx(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    client = signed_in(clinic.nurse)
    data = {"fasting_solids_hours": "8", "fasting_clear_liquids_hours": "3", "escort_confirmed": "on"}
    response = client.post(f"{session_page(session)}check-in/", data, follow=True)
    assert "Checked in." in response.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.CHECKED_IN

    response = client.post(f"{session_page(session)}vitals/", {"systolic": 152, "diastolic": 84, "heart_rate": 77,
                                                       "spo2": 98}, **HTMX)  # fmt: skip
    text = response.content.decode()
    assert text.lstrip().startswith('<section id="monitor"')
    assert 'id="vitals-form"' in text
    assert 'hx-swap-oob="true"' in text
    assert 'id="gate" class="badge badge--warn">Review<' in text
    assert "Systolic 152 mmHg is above 140 mmHg" in text

    bad = client.post(
        f"{session_page(session)}vitals/", {"systolic": 400, "diastolic": 84, "heart_rate": 77, "spo2": 98}, **HTMX
    )
    assert bad.status_code == 200
    assert "not plausible" in bad.content.decode()
    assert session.vital_signs.count() == 1


def test_vitals_without_htmx_come_back_to_the_page(clinic: Clinic) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.CHECKED_IN)
    client = signed_in(clinic.nurse)
    response = client.post(
        f"{session_page(session)}vitals/", {"systolic": 200, "diastolic": 84, "heart_rate": 77, "spo2": 98}
    )
    assert response.status_code == 302
    refused = client.post(f"{session_page(session)}vitals/", {"systolic": "x", "diastolic": "84"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert 'name="diastolic" value="84"' in text
    assert 'id="id_systolic_error"' in text


def test_the_review_gate_is_acknowledged_by_a_prescriber_on_the_page(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    services.check_in(by=clinic.nurse, session=session, fasting_solids_hours=Decimal(8),
                      fasting_clear_liquids_hours=Decimal(3), escort_confirmed=True)  # fmt: skip
    services.record_vitals(by=clinic.nurse, session=session, systolic=150, diastolic=85, heart_rate=80, spo2=98)
    nurse_page = signed_in(clinic.nurse).get(session_page(session)).content.decode()
    assert "A prescriber must acknowledge with a reason" in nurse_page
    assert "Acknowledge and allow dosing" not in nurse_page
    prescriber = signed_in(clinic.prescriber)
    assert "Acknowledge and allow dosing" in prescriber.get(session_page(session)).content.decode()
    response = prescriber.post(
        f"{session_page(session)}acknowledge-review/", {"review-reason": "White-coat; rechecked"}, follow=True
    )
    assert "Review acknowledged." in response.content.decode()
    started = signed_in(clinic.nurse).post(f"{session_page(session)}start/", {"lot_number": "LOT-9"}, follow=True)
    assert "Dosing started." in started.content.decode()


def test_dose_panel_shows_the_calculation_step_by_step(clinic: Clinic) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.CHECKED_IN)
    client = signed_in(clinic.nurse)
    preview = client.post(
        f"{session_page(session)}dose-preview/", {"mg_per_kg": "0.5", "duration_min": "40"}
    ).content.decode()
    assert "Dose 35.0 mg = 0.5 mg/kg x 70.0 kg" in preview
    assert "Pump rate 150.0 mL/h" in preview
    too_much = client.post(f"{session_page(session)}dose-preview/", {"mg_per_kg": "1.5"}).content.decode()
    assert "above the maximum of 1.0 mg/kg" in too_much
    no_lot = client.post(f"{session_page(session)}start/", {"mg_per_kg": "0.5"}, follow=True).content.decode()
    assert "lot number" in no_lot
    page = client.post(f"{session_page(session)}start/", {"mg_per_kg": "0.5", "lot_number": "LOT-7"}, follow=True)
    text = page.content.decode()
    assert "<strong>35.0 mg</strong>" in text
    assert "BMI 24.2 = 70.0 kg / (1.7 m)²" in text
    assert "End dosing" in text


def test_alerts_show_in_red_with_the_chart_and_the_timer(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DOSING)
    clock.advance(minutes=5)
    services.record_vitals(by=clinic.nurse, session=session, systolic=186, diastolic=100, heart_rate=90, spo2=97)
    text = signed_in(clinic.nurse).get(f"{session_page(session)}monitor/").content.decode()
    assert '<ul class="alert-list" role="alert">' in text
    assert "Systolic 186 mmHg is above 180 mmHg: pause recommended" in text
    assert '<svg class="chart"' in text
    assert 'class="chart-alert"' in text
    due = re.search(r'data-due="(\d+)"', text)
    assert due is not None
    assert int(due.group(1)) == int(ny(2026, 5, 4, 8, 15).timestamp() * 1000)  # 10 min after the 08:05 reading
    assert "Next vitals due at <strong>8:15 AM</strong>" in text


def test_discharge_refusal_is_explained_then_discharge(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.MONITORING, clock)
    client = signed_in(clinic.nurse)
    data = {f"aldrete_{k}": "2" for k in ("activity", "respiration", "circulation", "consciousness", "oxygen")}
    data |= {"escort_confirmed": "on", "instructions_given": "on", "no_driving_acknowledged": "on"}
    early = client.post(f"{session_page(session)}discharge/", data, follow=True).content.decode()
    assert "needs at least 30 min" in early
    clock.advance(minutes=30)
    done = client.post(f"{session_page(session)}discharge/", data, follow=True).content.decode()
    assert "Discharged. No driving until tomorrow." in done
    session.refresh_from_db()
    assert session.status == SessionStatus.DISCHARGED
    assert session.discharge.instructions_given


def test_the_session_page_shows_the_protocols_numbers(clinic: Clinic, clock: Clock) -> None:
    """The vitals cadence, the Aldrete score for discharge and the observation come from the site's protocol."""
    active_protocol_version(clinic.site)
    settings = DEFAULT_PROTOCOL.to_json()
    settings["monitoring"].update(vitals_every_min_while_dosing=5, vitals_every_min_after_dosing=20)
    settings["instruments"].update(aldrete_discharge_min=8)
    settings["dosing"]["routes"]["iv"].update(observation_min=45)
    publish_protocol_version(by=None, site=clinic.site, settings=settings, change_summary="other numbers")
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DOSING)
    client = signed_in(clinic.nurse)
    assert "(every 5 min while dosing)" in client.get(f"{session_page(session)}monitor/").content.decode()
    advance_to(clinic, session, SessionStatus.MONITORING, clock)
    clock.advance(minutes=40)
    text = client.get(session_page(session)).content.decode()
    assert "(every 20 min after dosing)" in text
    assert "Modified Aldrete score (discharge at 8 or more)" in text
    assert "at least 45 min needed" in text
    assert '<span class="badge badge--warn">too short</span>' in text  # 40 of the protocol's 45 min
    clock.advance(minutes=5)
    text = client.get(session_page(session)).content.decode()
    assert '<span class="badge badge--ok">done</span>' in text


def test_the_integration_form_starts_at_the_protocols_length(clinic: Clinic) -> None:
    active_protocol_version(clinic.site)
    settings = DEFAULT_PROTOCOL.to_json()
    settings["scheduling"].update(integration_min_duration_min=75)
    publish_protocol_version(by=None, site=clinic.site, settings=settings, change_summary="longer integration")
    text = signed_in(clinic.front_desk).get(f"/staff/schedule/patients/{clinic.patient.pk}/integration/").content
    assert re.search(r'name="duration_min" value="75"', text.decode())


def test_front_desk_sees_the_schedule_and_can_cancel(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    client = signed_in(clinic.front_desk)
    text = client.get(session_page(session)).content.decode()
    assert "Cancel this session" in text
    assert "Check in" not in text
    assert client.post(f"{session_page(session)}check-in/", {}).status_code == 404
    client.post(f"{session_page(session)}cancel/", {"cancel-reason": "Rescheduled by phone"})
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED


def test_a_therapist_may_look_but_not_act(clinic: Clinic) -> None:
    from tests.factories import on_care_team

    session = book(clinic, ny(2026, 5, 4, 9))
    on_care_team(clinic.patient, clinic.therapist)
    client = signed_in(clinic.therapist)
    assert "Vital signs" in client.get(session_page(session)).content.decode()
    response = client.post(f"{session_page(session)}check-in/", {"escort_confirmed": "on"}, follow=True)
    assert "Only a nurse or a prescriber" in response.content.decode()


# --- Panels -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["front_desk", "nurse"])
def test_the_patient_page_lists_upcoming_sessions(clinic: Clinic, who: str) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    text = signed_in(getattr(clinic, who)).get(f"/staff/patients/{clinic.patient.pk}/").content.decode()
    assert "Dosing sessions" in text
    assert f'href="{session_page(session)}"' in text
    assert "Mon, May 4, 2026, 9:00 AM" in text
    assert "Book a course" in text


def test_the_portal_home_lists_my_upcoming_sessions(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    services.book_integration_appointment(by=clinic.front_desk, patient=clinic.patient, therapist=clinic.therapist,
                                          start=ny(2026, 5, 5, 10), duration_min=60, room="Blue")  # fmt: skip
    text = signed_in(patient_user(clinic.patient)).get("/portal/").content.decode()
    assert "My upcoming sessions" in text
    assert "Mon, May 4, 2026, 9:00 AM EDT" in text
    assert f"/portal/sessions/{session.pk}/calendar.ics" in text
    assert "integration session with Theo Therapist" in text


def test_the_staff_home_shows_todays_sessions_of_the_users_sites(clinic: Clinic) -> None:
    today = book(clinic, ny(2026, 5, 4, 9))
    later = book(clinic, ny(2026, 5, 6, 9), patient=clinic.cleared_patient(given_name="Later"))
    html = signed_in(clinic.front_desk).get("/staff/").content.decode()
    assert ">Today</h2>" in html
    assert f'href="{session_page(today)}"' in html
    assert f'href="{session_page(later)}"' not in html
    assert "Scheduled" in html


def test_the_staff_home_says_when_nothing_is_booked_today(clinic: Clinic) -> None:
    html = signed_in(clinic.nurse).get("/staff/").content.decode()
    assert "Nothing booked today" in html
