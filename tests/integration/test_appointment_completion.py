"""Signing a note of an integration appointment marks the appointment completed, through the sessions app's service
and in the signature's transaction: a cancelled or missed appointment refuses the signature on the note's
`appointment` field, a second note of the same appointment changes nothing, and a failure leaves the note a draft."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.errors import Conflict, NotAllowed
from clinic.models import AuditEvent
from integration import services
from integration.models import IntegrationNote, NoteStatus
from integration.services import InvalidNote
from sessions import services as session_services
from sessions.models import AppointmentStatus, IntegrationAppointment
from tests.conftest import api_as
from tests.factories import patient_user
from tests.integration.conftest import Integ
from tests.sessions.conftest import ny, signed_in


def appointment_at(integ: Integ, start: dt.datetime) -> IntegrationAppointment:
    """An integration appointment after the patient's dosing session, booked by the front desk the day before."""
    now = integ.clock.now
    integ.clock.set(ny(2026, 5, 4, 18))
    booked = session_services.book_integration_appointment(
        by=integ.front_desk,
        patient=integ.patient,
        therapist=integ.therapist,
        start=start,
        duration_min=75,
        dosing_session=integ.session,
        room="Room 3",
    ).appointment
    integ.clock.set(now)
    return booked


def status_of(appointment: IntegrationAppointment) -> str:
    return IntegrationAppointment.objects.get(pk=appointment.pk).status


def status_changes(appointment: IntegrationAppointment) -> list[AuditEvent]:
    """The audited status changes of the appointment (it keeps no history table of its own)."""
    found = AuditEvent.objects.filter(action="sessions.integrationappointment.status", object_id=str(appointment.pk))
    return list(found.order_by("sequence"))


def test_signing_the_note_marks_its_appointment_completed(integ: Integ) -> None:
    appointment = appointment_at(integ, ny(2026, 5, 5, 13))
    other = appointment_at(integ, ny(2026, 5, 6, 13))
    note = integ.draft(appointment=appointment.pk, started_at=ny(2026, 5, 5, 13))
    assert status_of(appointment) == AppointmentStatus.SCHEDULED  # a draft does not
    services.sign_note(by=integ.therapist, note=note)
    assert status_of(appointment) == AppointmentStatus.COMPLETED
    assert status_of(other) == AppointmentStatus.SCHEDULED
    [change] = status_changes(appointment)
    assert change.actor == integ.therapist
    assert change.details == {"from": "scheduled", "to": "completed", "reason": "Its integration note was signed."}
    signed = AuditEvent.objects.get(action="integration.note.sign")
    assert signed.details["appointment"] == appointment.pk


def test_a_note_without_an_appointment_completes_none(integ: Integ) -> None:
    appointment = appointment_at(integ, ny(2026, 5, 5, 13))
    services.sign_note(by=integ.therapist, note=integ.draft())
    assert status_of(appointment) == AppointmentStatus.SCHEDULED
    assert not AuditEvent.objects.filter(action="sessions.integrationappointment.status").exists()


def test_a_second_note_of_the_same_appointment_changes_nothing(integ: Integ) -> None:
    appointment = appointment_at(integ, ny(2026, 5, 5, 13))
    first = integ.draft(appointment=appointment.pk, started_at=ny(2026, 5, 5, 13))
    second = integ.draft(appointment=appointment.pk, started_at=ny(2026, 5, 5, 13), modality="general", emdr=None)
    services.sign_note(by=integ.therapist, note=first)
    services.sign_note(by=integ.therapist, note=second)
    assert status_of(appointment) == AppointmentStatus.COMPLETED
    assert len(status_changes(appointment)) == 1


@pytest.mark.parametrize("ended", ["cancelled", "no_show"])
def test_a_cancelled_or_missed_appointment_refuses_the_signature_until_the_note_is_relinked(
    integ: Integ, ended: str
) -> None:
    appointment = appointment_at(integ, ny(2026, 5, 5, 13))
    note = integ.draft(appointment=appointment.pk, started_at=ny(2026, 5, 5, 13))
    IntegrationAppointment.objects.filter(pk=appointment.pk).update(status=ended)
    label = {"cancelled": "cancelled", "no_show": "no-show"}[ended]
    with pytest.raises(InvalidNote) as raised:
        services.sign_note(by=integ.therapist, note=note)
    assert raised.value.errors == {
        "appointment": [
            f"This appointment is marked {label}; link the note to the appointment the session took place in, or "
            "to none, before signing."
        ]
    }
    assert IntegrationNote.objects.get(pk=note.pk).status == NoteStatus.DRAFT
    services.update_note(by=integ.therapist, note=note, data={"appointment": None})
    assert services.sign_note(by=integ.therapist, note=note).status == NoteStatus.SIGNED
    assert status_of(appointment) == ended


def test_a_refused_completion_leaves_the_note_a_draft(integ: Integ) -> None:
    later = appointment_at(integ, ny(2026, 5, 5, 17))  # the clock is at 16:00
    note = integ.draft(appointment=later.pk, started_at=ny(2026, 5, 5, 14))
    with pytest.raises(Conflict) as raised:
        services.sign_note(by=integ.therapist, note=note)
    assert raised.value.code == "appointment_not_started"
    assert raised.value.message == (
        "This integration session starts Tue, May 5, 2026, 5:00 PM EDT; it can be marked completed once it has started."
    )
    assert IntegrationNote.objects.get(pk=note.pk).status == NoteStatus.DRAFT
    assert status_of(later) == AppointmentStatus.SCHEDULED
    assert not AuditEvent.objects.filter(action="integration.note.sign").exists()


def test_the_sessions_service_is_for_the_roles_that_book_integration_sessions(integ: Integ) -> None:
    appointment = appointment_at(integ, ny(2026, 5, 5, 13))
    with pytest.raises(NotAllowed):
        session_services.complete_integration_appointment(by=patient_user(integ.patient), appointment=appointment)
    done = session_services.complete_integration_appointment(by=integ.nurse, appointment=appointment.pk)
    assert done.status == AppointmentStatus.COMPLETED
    again = session_services.complete_integration_appointment(by=integ.nurse, appointment=appointment)
    assert again.status == AppointmentStatus.COMPLETED
    assert len(status_changes(appointment)) == 1


def test_signing_through_the_api_completes_the_appointment(integ: Integ) -> None:
    appointment = appointment_at(integ, ny(2026, 5, 5, 13))
    note = integ.draft(appointment=appointment.pk, started_at=ny(2026, 5, 5, 13))
    response = api_as(integ.therapist).post(f"/api/v1/integration-notes/{note.pk}/sign/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "signed"
    assert status_of(appointment) == AppointmentStatus.COMPLETED


def test_the_sign_page_gives_the_reason_for_a_cancelled_appointment(integ: Integ) -> None:
    appointment = appointment_at(integ, ny(2026, 5, 5, 13))
    note = integ.draft(appointment=appointment.pk, started_at=ny(2026, 5, 5, 13))
    IntegrationAppointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)
    url = f"/staff/integration/patients/{integ.patient.pk}/notes/{note.pk}/sign/"
    response = signed_in(integ.therapist).post(url)
    assert response.status_code == 400
    assert "This appointment is marked cancelled; link the note to the appointment" in response.content.decode()
    assert not IntegrationNote.objects.get(pk=note.pk).is_signed
