"""The reminders of dosing sessions and integration appointments (clinical protocol §8): booking creates them at the
protocol's lead times, rescheduling moves them, cancelling cancels them, and what the worker sends says when, where
and how to get ready, with the calendar file attached."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clinic.errors import Conflict
from clinic.models import ReminderChannel
from clinic.reminders import delivery
from clinic.reminders.models import Reminder, ReminderStatus, SkipReason
from clinic.services import active_protocol_version
from sessions import services
from sessions.models import DosingSession, IntegrationAppointment
from sessions.reminders import APPOINTMENT_SUBJECT, SESSION_SUBJECT
from tests.sessions.conftest import Clinic, Clock, book, ny

pytestmark = pytest.mark.django_db


def _of(item: DosingSession | IntegrationAppointment) -> dict[str, Reminder]:
    subject = SESSION_SUBJECT if isinstance(item, DosingSession) else APPOINTMENT_SUBJECT
    rows = Reminder.objects.filter(subject_type=subject, subject_id=item.pk).order_by("occurrence")
    return {row.kind: row for row in rows}


def _appointment(clinic: Clinic, start: dt.datetime) -> IntegrationAppointment:
    return services.book_integration_appointment(
        by=clinic.front_desk, patient=clinic.patient, therapist=clinic.therapist, start=start, duration_min=60,
        room="Room A",
    ).appointment  # fmt: skip


def test_booking_a_session_schedules_both_reminders_at_the_protocols_lead_times(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 8, 9))
    found = _of(session)
    assert set(found) == {"dosing_session_48h", "dosing_session_2h"}
    assert found["dosing_session_48h"].due_at == ny(2026, 5, 6, 9)
    assert found["dosing_session_2h"].due_at == ny(2026, 5, 8, 7)
    assert {r.status for r in found.values()} == {ReminderStatus.PENDING}
    assert {r.channel for r in found.values()} == {"email"}
    assert all(r.patient_id == clinic.patient.pk and r.subject_starts_at == session.start for r in found.values())


def test_a_reminder_already_past_at_booking_is_skipped(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 5, 9))  # 25 h ahead: the 48 h reminder's time has passed
    found = _of(session)
    assert found["dosing_session_48h"].status == ReminderStatus.SKIPPED
    assert found["dosing_session_48h"].skip_reason == SkipReason.PAST_DUE
    assert found["dosing_session_2h"].status == ReminderStatus.PENDING


def test_the_lead_times_are_the_sites_protocol_settings(clinic: Clinic) -> None:
    version = active_protocol_version(clinic.site)
    settings = version.protocol().to_json()
    settings["reminders"]["dosing_session_first_hours_before"] = 72
    version.settings = settings
    version.save()
    session = book(clinic, ny(2026, 5, 8, 9))
    assert _of(session)["dosing_session_48h"].due_at == ny(2026, 5, 5, 9)


def test_the_patients_channel_is_used_and_no_reminders_means_none(clinic: Clinic) -> None:
    clinic.patient.phone = "+1 555 0100 123"
    clinic.patient.preferred_reminder_channel = ReminderChannel.SMS
    clinic.patient.save()
    session = book(clinic, ny(2026, 5, 8, 9))
    assert {r.channel for r in _of(session).values()} == {"sms"}
    clinic.patient.preferred_reminder_channel = ReminderChannel.NONE
    clinic.patient.save()
    later = book(clinic, ny(2026, 5, 11, 9))
    assert _of(later) == {}


def test_rescheduling_moves_the_reminders(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 8, 9))
    services.reschedule_dosing_session(by=clinic.front_desk, session=session, start=ny(2026, 5, 11, 10))
    found = _of(session)
    assert found["dosing_session_48h"].due_at == ny(2026, 5, 9, 10)
    assert found["dosing_session_2h"].due_at == ny(2026, 5, 11, 8)
    assert found["dosing_session_2h"].subject_starts_at == ny(2026, 5, 11, 10)
    assert Reminder.objects.filter(subject_type=SESSION_SUBJECT, subject_id=session.pk).count() == 2
    session.refresh_from_db()
    assert session.start == ny(2026, 5, 11, 10)


def test_rescheduling_closer_skips_the_reminder_whose_time_passed(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 8, 9))
    services.reschedule_dosing_session(by=clinic.front_desk, session=session, start=ny(2026, 5, 5, 9))
    assert _of(session)["dosing_session_48h"].status == ReminderStatus.SKIPPED
    assert _of(session)["dosing_session_2h"].status == ReminderStatus.PENDING


def test_rescheduling_checks_the_slot_like_a_booking(clinic: Clinic) -> None:
    first = book(clinic, ny(2026, 5, 8, 9))
    second = book(clinic, ny(2026, 5, 11, 9))
    with pytest.raises(Conflict) as refused:  # within 48 h of the other session
        services.reschedule_dosing_session(by=clinic.front_desk, session=second, start=ny(2026, 5, 9, 9))
    assert refused.value.code == "interval_too_short"
    # A session moved a little against its own old time is not a conflict with itself.
    services.reschedule_dosing_session(by=clinic.front_desk, session=first, start=ny(2026, 5, 8, 10))
    services.cancel_session(by=clinic.front_desk, session=first)
    with pytest.raises(Conflict) as closed:
        services.reschedule_dosing_session(by=clinic.front_desk, session=first, start=ny(2026, 5, 8, 11))
    assert closed.value.code == "invalid_transition"


@pytest.mark.parametrize("how", ["cancel", "stop_course"])
def test_a_session_that_will_not_take_place_cancels_its_reminders(clinic: Clinic, how: str) -> None:
    if how == "stop_course":
        course = services.book_course(
            by=clinic.front_desk, patient=clinic.patient, template="standard_induction",
            start_date=dt.date(2026, 5, 7), weekdays=[0, 3], local_time=dt.time(9), chair=clinic.chair,
        )  # fmt: skip
        sessions = list(course.sessions.all())
        services.stop_course(by=clinic.prescriber, course=course, reason="The patient moved away.")
    else:
        sessions = [book(clinic, ny(2026, 5, 8, 9))]
        services.cancel_session(by=clinic.front_desk, session=sessions[0], reason="Patient asked.")
    for session in sessions:
        assert {r.status for r in _of(session).values()} == {ReminderStatus.CANCELLED}


def test_an_integration_appointment_is_reminded_the_day_before_and_cancelling_cancels(clinic: Clinic) -> None:
    appointment = _appointment(clinic, ny(2026, 5, 8, 14))
    reminder = _of(appointment)["integration_24h"]
    assert (reminder.due_at, reminder.status) == (ny(2026, 5, 7, 14), ReminderStatus.PENDING)
    services.cancel_integration_appointment(by=clinic.front_desk, appointment=appointment, reason="Therapist ill.")
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.CANCELLED


def test_the_48h_email_says_how_to_get_ready_and_carries_the_calendar_file(
    clinic: Clinic, clock: Clock, mailoutbox: list[Any]
) -> None:
    clinic.site.address = "1 Example Street\nTestville"
    clinic.site.phone = "555-0100"
    clinic.site.save()
    session = book(clinic, ny(2026, 5, 8, 9))
    clock.set(ny(2026, 5, 6, 9, 1))
    outcome = delivery.run_pass()
    assert outcome.get("sent") == 1
    [message] = mailoutbox
    assert message.subject == "Your appointment at KAP Clinic on Fri, May 8, 2026 at 9:00 AM EDT"
    body = message.body
    assert "Nothing to eat after 3:00 AM on the day." in body  # IV: 6 h of no solids before 9:00
    assert "until 7:00 AM, then nothing to drink" in body  # and 2 h of no clear liquids
    assert "Someone must take you home" in body
    assert "Bring a photo ID." in body
    assert "1 Example Street Testville" in body
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == ("appointment.ics", "text/calendar")
    assert "BEGIN:VEVENT" in content
    assert f"session-{session.pk}@" in content
    assert _of(session)["dosing_session_48h"].status == ReminderStatus.SENT


def test_the_2h_reminder_of_an_esketamine_session_has_its_own_fasting_times(
    clinic: Clinic, clock: Clock, mailoutbox: list[Any]
) -> None:
    book(clinic, ny(2026, 5, 8, 9), route="esketamine")
    clock.set(ny(2026, 5, 6, 9, 1))
    delivery.run_pass()  # the 48 h one
    mailoutbox.clear()
    clock.set(ny(2026, 5, 8, 7, 1))
    delivery.run_pass()
    [message] = mailoutbox
    assert "Nothing to eat after 7:00 AM." in message.body
    assert "Nothing to drink after 8:30 AM." in message.body


def test_a_session_no_longer_scheduled_is_skipped_by_the_worker(
    clinic: Clinic, clock: Clock, mailoutbox: list[Any]
) -> None:
    session = book(clinic, ny(2026, 5, 8, 9))
    DosingSession.objects.filter(pk=session.pk).update(status="cancelled")  # behind the services' back
    clock.set(ny(2026, 5, 6, 9, 1))
    delivery.run_pass()
    assert mailoutbox == []
    assert _of(session)["dosing_session_48h"].skip_reason == SkipReason.SUBJECT_GONE


def test_quiet_hours_hold_the_48h_reminder_but_not_the_2h_one(
    clinic: Clinic, clock: Clock, mailoutbox: list[Any]
) -> None:
    clinic.patient.quiet_hours_start, clinic.patient.quiet_hours_end = dt.time(7), dt.time(10)
    clinic.patient.save()
    session = book(clinic, ny(2026, 5, 8, 9, 30))
    clock.set(ny(2026, 5, 6, 9, 31))
    delivery.run_pass()
    assert mailoutbox == []
    assert _of(session)["dosing_session_48h"].next_attempt_at == ny(2026, 5, 6, 10)
    clock.set(ny(2026, 5, 6, 10, 1))
    delivery.run_pass()
    assert len(mailoutbox) == 1
    clock.set(ny(2026, 5, 8, 7, 31))  # inside the quiet hours, and sent all the same
    delivery.run_pass()
    assert len(mailoutbox) == 2
    assert _of(session)["dosing_session_2h"].status == ReminderStatus.SENT
