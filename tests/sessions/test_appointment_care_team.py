"""Booking an integration appointment puts its therapist on the patient's care team (issue 9, item 1), through the
clinic's care-team service and audited, so that the therapist sees the patient they will treat."""

from __future__ import annotations

import pytest

from clinic.audit import audit_context
from clinic.models import AuditEvent, CareTeamMember, Role, User
from clinic.scoping import patients_visible_to
from sessions import services
from tests.factories import staff
from tests.sessions.conftest import Clinic, ny


def book_with(clinic: Clinic, by: User, start_hour: int = 10) -> services.IntegrationBooking:
    return services.book_integration_appointment(
        by=by,
        patient=clinic.patient,
        therapist=clinic.therapist,
        start=ny(2026, 5, 5, start_hour),
        duration_min=60,
        room="Room A",
    )


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.NURSE, Role.CLINIC_ADMIN])
def test_booking_puts_the_therapist_on_the_care_team(clinic: Clinic, role: str) -> None:
    booker = staff(role, clinic.site)
    assert not patients_visible_to(clinic.therapist).filter(pk=clinic.patient.pk).exists()
    with audit_context(user=booker):
        booking = book_with(clinic, booker)
    assert CareTeamMember.objects.filter(patient=clinic.patient, user=clinic.therapist, role=Role.THERAPIST).exists()
    assert patients_visible_to(clinic.therapist).filter(pk=clinic.patient.pk).exists()
    added = AuditEvent.objects.get(action="clinic.careteam.add")
    assert (added.actor, added.patient_id, added.details["user"]) == (booker, clinic.patient.pk, "therapist.SESS")
    booked = AuditEvent.objects.get(action="sessions.integrationappointment.book")
    assert booked.object_id == str(booking.appointment.pk)
    assert booked.details["therapist_joined_care_team"] is True


def test_a_therapist_already_on_the_team_is_not_added_twice(clinic: Clinic) -> None:
    CareTeamMember.objects.create(patient=clinic.patient, user=clinic.therapist, role=Role.THERAPIST)
    book_with(clinic, clinic.therapist)
    book_with(clinic, clinic.front_desk, start_hour=14)
    assert CareTeamMember.objects.filter(patient=clinic.patient, user=clinic.therapist).count() == 1
    assert not AuditEvent.objects.filter(action="clinic.careteam.add").exists()
    assert [e.details["therapist_joined_care_team"] for e in AuditEvent.objects.filter(
        action="sessions.integrationappointment.book").order_by("id")] == [False, False]  # fmt: skip
