"""Appointments in the portal: upcoming and past sessions, a request to move or cancel one (with the notice-period
warning), the front desk's queue on the staff home and its answer, which the patient then reads; and the API."""

from __future__ import annotations

from typing import Any

import pytest

from clinic.models import AuditEvent
from sessions.models import AppointmentRequest, DosingSession, RequestStatus, SessionStatus
from tests.conftest import api_as
from tests.factories import PatientFactory, patient_user
from tests.sessions.conftest import Clinic, book, ny, signed_in

pytestmark = pytest.mark.django_db


def ask(client: Any, session: DosingSession, **fields: str) -> Any:
    body = {"kind": "reschedule", "reason": "My sister's wedding is that day.", "preferred_times": "Friday morning"}
    return client.post(f"/portal/sessions/{session.pk}/change/", {**body, **fields})


def test_a_move_asked_in_the_portal_is_confirmed_by_the_front_desk(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 6, 13))
    patient = signed_in(patient_user(clinic.patient))
    page = patient.get("/portal/sessions/").content.decode()
    assert "Wed, May 6, 2026, 1:00 PM EDT" in page
    assert f"/portal/sessions/{session.pk}/change/" in page
    form = patient.get(f"/portal/sessions/{session.pk}/change/").content.decode()
    assert "less than 24 hours away" not in form

    assert ask(patient, session).status_code == 302
    request = AppointmentRequest.objects.get()
    assert (request.kind, request.status, request.inside_notice) == ("reschedule", "open", False)
    assert "You asked to move it. The clinic will answer soon." in patient.get("/portal/sessions/").content.decode()
    assert "Until the clinic answers, it stays booked." in patient.get("/portal/").content.decode()

    desk = signed_in(clinic.front_desk)
    home = desk.get("/staff/").content.decode()
    assert "Requests from patients" in home
    assert f"/staff/schedule/requests/{request.pk}/" in home
    assert "My sister&#x27;s wedding is that day." in home
    answer = desk.post(
        f"/staff/schedule/requests/{request.pk}/", {"decision": "confirm", "new_start": "2026-05-08T13:00"}
    )
    assert answer.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    new = DosingSession.objects.exclude(pk=session.pk).get()
    assert new.start == ny(2026, 5, 8, 13)
    assert (new.chair, new.route, new.status) == (session.chair, session.route, SessionStatus.SCHEDULED)
    request.refresh_from_db()
    assert (request.status, request.new_dosing_session) == (RequestStatus.CONFIRMED, new)
    assert AuditEvent.objects.filter(action="sessions.appointmentrequest.confirm", patient=clinic.patient).exists()
    assert "Requests from patients" not in desk.get("/staff/").content.decode()

    mine = patient.get("/portal/sessions/").content.decode()
    assert "The clinic moved this session to Fri, May 8, 2026, 1:00 PM EDT, as you asked." in mine


def test_inside_the_notice_period_the_page_warns_and_the_request_says_so(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 20))  # 12 hours away
    patient = signed_in(patient_user(clinic.patient))
    form = patient.get(f"/portal/sessions/{session.pk}/change/").content.decode()
    assert "This session is less than 24 hours away." in form
    ask(patient, session, kind="cancel")
    request = AppointmentRequest.objects.get()
    assert request.inside_notice is True
    assert "inside the notice period" in signed_in(clinic.front_desk).get("/staff/").content.decode()
    signed_in(clinic.front_desk).post(f"/staff/schedule/requests/{request.pk}/", {"decision": "confirm"})
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert "The clinic cancelled this session, as you asked." in patient.get("/portal/sessions/").content.decode()


def test_refusals_come_back_beside_their_field_and_change_nothing(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 6, 13))
    patient = signed_in(patient_user(clinic.patient))
    empty = ask(patient, session, reason="")
    assert empty.status_code == 400
    assert "Tell the clinic why, in a few words." in empty.content.decode()
    ask(patient, session)
    again = ask(patient, session)
    assert again.status_code == 400  # refused: the page says a request is already waiting
    assert "You already asked to change this session." in again.content.decode()
    assert AppointmentRequest.objects.count() == 1

    request = AppointmentRequest.objects.get()
    desk = signed_in(clinic.front_desk)
    past = desk.post(
        f"/staff/schedule/requests/{request.pk}/", {"decision": "confirm", "new_start": "2026-05-01T09:00"}
    )
    assert past.status_code == 400
    assert 'id="id_new_start_error"' in past.content.decode()
    no_note = desk.post(f"/staff/schedule/requests/{request.pk}/", {"decision": "decline", "note": ""})
    assert "Tell the patient why" in no_note.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
    assert DosingSession.objects.count() == 1

    desk.post(
        f"/staff/schedule/requests/{request.pk}/",
        {"decision": "decline", "note": "No chair is free that week; please call us."},
    )
    mine = patient.get("/portal/sessions/").content.decode()
    assert "The clinic could not change this session: No chair is free that week; please call us." in mine


def test_only_the_patient_s_own_sessions_and_only_staff_of_the_site_answer(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 6, 13))
    other = signed_in(patient_user(PatientFactory(site=clinic.site)))
    assert other.get(f"/portal/sessions/{session.pk}/change/").status_code == 404
    assert ask(other, session).status_code == 404
    ask(signed_in(patient_user(clinic.patient)), session)
    request = AppointmentRequest.objects.get()
    assert signed_in(clinic.therapist).get(f"/staff/schedule/requests/{request.pk}/").status_code == 404


def test_the_api_lists_my_appointments_and_takes_a_request(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 6, 13))
    user = patient_user(clinic.patient)
    client = api_as(user)
    listed = client.get("/api/v1/me/appointments/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["upcoming"]] == [session.pk]
    assert listed.json()["upcoming"][0]["may_request_change"] is True
    made = client.post(
        "/api/v1/me/appointment-requests/",
        {"dosing_session": session.pk, "kind": "cancel", "reason": "I have the flu."},
        format="json",
    )
    assert made.status_code == 201
    assert made.json()["status"] == "open"
    twice = client.post(
        "/api/v1/me/appointment-requests/",
        {"dosing_session": session.pk, "kind": "cancel", "reason": "I have the flu."},
        format="json",
    )
    assert twice.status_code == 409
    assert twice.json()["code"] == "request_open"
    assert (
        client.post("/api/v1/me/appointment-requests/", {"kind": "cancel", "reason": "x"}, format="json").status_code
        == 400
    )
    stranger = api_as(patient_user(PatientFactory(site=clinic.site)))
    assert stranger.get("/api/v1/me/appointments/").json()["upcoming"] == []
    body = {"dosing_session": session.pk, "kind": "cancel", "reason": "Not mine."}
    assert stranger.post("/api/v1/me/appointment-requests/", body, format="json").status_code == 404
    assert api_as(clinic.front_desk).get("/api/v1/me/appointments/").status_code == 403
