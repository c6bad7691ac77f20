"""Appointments as .ics files (icalendar), in the site's time zone, from the staff session page and the portal."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from clinic.models import AuditEvent
from sessions import services
from tests.factories import patient_user
from tests.sessions.conftest import NEW_YORK, Clinic, book, ny, signed_in


def _event(body: bytes) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(body)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    (event,) = calendar.walk("VEVENT")
    return event


def test_staff_calendar_file_is_in_the_sites_time_zone(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    response = signed_in(clinic.nurse).get(f"/staff/schedule/sessions/{session.pk}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert f'filename="session-{session.pk}.ics"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    event = _event(response.content)
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.tzinfo.key == "America/New_York"
    assert (start.hour, start.minute) == (9, 0)
    assert end - start == dt.timedelta(minutes=85)
    assert b"DTSTART;TZID=America/New_York:20260504T090000" in response.content
    assert str(event["SUMMARY"]) == f"Dosing session, MRN {clinic.patient.mrn} (Chair 1)"
    assert clinic.patient.family_name not in response.content.decode()
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["UID"]).startswith(f"session-{session.pk}@sess.")
    assert AuditEvent.objects.filter(action="sessions.dosingsession.calendar", object_id=str(session.pk)).exists()


def test_portal_calendar_file_names_no_drug_and_no_mrn(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 10, 29, 9))
    user = patient_user(clinic.patient)
    response = signed_in(user).get(f"/portal/sessions/{session.pk}/calendar.ics")
    assert response.status_code == 200
    text = response.content.decode()
    event = _event(response.content)
    assert event.decoded("DTSTART") == ny(2026, 10, 29, 9)
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(hours=-4)
    assert str(event["SUMMARY"]) == f"Treatment session at {clinic.site.name}"
    for secret in ("ketamine", "infusion", "IV ", "dosing", clinic.patient.mrn):
        assert secret.lower() not in text.lower()


def test_a_cancelled_session_exports_as_cancelled_with_the_same_uid(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    client = signed_in(clinic.nurse)
    before = _event(client.get(f"/staff/schedule/sessions/{session.pk}/calendar.ics").content)
    services.cancel_session(by=clinic.front_desk, session=session)
    after = _event(client.get(f"/staff/schedule/sessions/{session.pk}/calendar.ics").content)
    assert str(after["UID"]) == str(before["UID"])
    assert str(after["STATUS"]) == "CANCELLED"


@pytest.mark.parametrize("audience", ["staff", "portal"])
def test_integration_appointment_calendar_file(clinic: Clinic, audience: str) -> None:
    appointment = services.book_integration_appointment(
        by=clinic.front_desk,
        patient=clinic.patient,
        therapist=clinic.therapist,
        start=ny(2026, 5, 5, 14),
        duration_min=75,
        room="Garden room",
    ).appointment
    if audience == "staff":
        response = signed_in(clinic.front_desk).get(f"/staff/schedule/integration/{appointment.pk}/calendar.ics")
    else:
        response = signed_in(patient_user(clinic.patient)).get(f"/portal/integration/{appointment.pk}/calendar.ics")
    assert response.status_code == 200
    event = _event(response.content)
    assert event.decoded("DTSTART").astimezone(NEW_YORK) == ny(2026, 5, 5, 14)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=75)
    assert "Garden room" in str(event["LOCATION"])
    assert "Theo Therapist" in str(event["SUMMARY"])
