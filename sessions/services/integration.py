"""Integration-therapy appointments (EMDR, ART, IFS sessions with a therapist, 60-90 min; clinical protocol §3):
booking them on the dosing calendar (which puts the therapist on the patient's care team, so they see the patient
they will treat), cancelling them, and marking them completed once they took place (the integration app does when
the session's note is signed).

Integration appointments stay in the sessions app, beside the dosing sessions, because their overlap checks need
both tables under one patient lock: an integration session and a dosing session share the patient and often the
chair, and sessions.services.availability reads both (the PostgreSQL exclusion constraints of sessions.models guard
each table). What happens in an integration session (notes, relapse-prevention plans, outcomes) belongs to the
integration app, which refers to dosing sessions and appointments by id (string foreign keys) and never imports
sessions' models (see the package docstring).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from clinic import audit, times
from clinic.domain import lock_patient, locked, require, text
from clinic.errors import Conflict, InvalidInput
from clinic.models import Chair, Patient, Role, User
from clinic.protocol import Protocol
from clinic.services import add_care_team_member, use_protocol
from sessions import reminders
from sessions.models import ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus, DosingSession, IntegrationAppointment
from sessions.permissions import can_book_integration
from sessions.services.availability import (
    chair_problem,
    check_chair,
    check_future,
    insert_booking,
    overlap_problem,
    overlapping,
    patient_problem,
)


@dataclass(frozen=True)
class IntegrationBooking:
    """A booked integration appointment, and the course template's timing advice it does not meet (it is booked
    anyway: the therapist's calendar decides)."""

    appointment: IntegrationAppointment
    warnings: tuple[str, ...] = ()


def book_integration_appointment(
    *,
    by: User | None,
    patient: Patient,
    therapist: User,
    start: dt.datetime,
    duration_min: int,
    dosing_session: DosingSession | None = None,
    chair: Chair | None = None,
    room: str = "",
) -> IntegrationBooking:
    """An integration-therapy session (clinical protocol §3: 60-90 min). Refused (409) when the therapist
    (therapist_conflict), the patient (patient_conflict) or the chair (chair_conflict) is busy then."""
    if by is not None:
        require(can_book_integration(by), "Your role may not book integration sessions.")
    check_future(start, "start")
    site = patient.site
    if not (therapist.is_active and therapist.role == Role.THERAPIST and therapist.sites.filter(pk=site.pk).exists()):
        raise InvalidInput({"therapist": "Choose a therapist who works at the patient's site."})
    if chair is not None:
        check_chair(chair, patient)
    if chair is None and not text(room):
        raise InvalidInput({"room": "Say where: a chair or a room."})
    if dosing_session is not None:
        if dosing_session.patient_id != patient.pk:
            raise InvalidInput({"dosing_session": "This dosing session belongs to another patient."})
        if start < dosing_session.start:
            raise InvalidInput({"start": "An integration session follows its dosing session."})
    with transaction.atomic():
        patient = lock_patient(patient)
        _version, protocol = use_protocol(site)
        low, high = protocol.scheduling.integration_min_duration_min, protocol.scheduling.integration_max_duration_min
        if not low <= duration_min <= high:
            raise InvalidInput({"duration_min": f"An integration session lasts {low}-{high} minutes."})
        end = start + dt.timedelta(minutes=duration_min)
        therapist_busy = overlapping(
            IntegrationAppointment.objects.filter(therapist=therapist, status__in=ACTIVE_APPOINTMENT_STATUSES),
            start,
            end,
            "end",
        )
        found = [
            overlap_problem("therapist_conflict", therapist.get_full_name() or "Therapist", site, [], therapist_busy),
            chair_problem(chair, start, end) if chair is not None else None,
            patient_problem(patient, start, end),
        ]
        problems = [p for p in found if p is not None]
        if problems:
            raise problems[0].as_conflict()
        appointment = insert_booking(
            IntegrationAppointment,
            patient=patient,
            therapist=therapist,
            dosing_session=dosing_session,
            chair=chair,
            room=text(room),
            start=start,
            end=end,
            booked_by=by,
        )
        warnings = _integration_timing_warnings(appointment, protocol)
        reminders.appointment_booked(appointment, by)
        joins_care_team = not patient.care_team.filter(user=therapist).exists()
        if joins_care_team:
            # The booking decided it (can_book_integration): the team's own guard is for changing it by hand, and
            # the care-team entry names the booker from the request's audit context.
            add_care_team_member(by=None, patient=patient, member=therapist)
        audit.record(
            "sessions.integrationappointment.book",
            patient=patient,
            obj=appointment,
            actor=by,
            details={
                "start": start,
                "end": end,
                "therapist": therapist.pk,
                "dosing_session": dosing_session.pk if dosing_session else None,
                "warnings": warnings,
                "therapist_joined_care_team": joins_care_team,
            },
        )
    return IntegrationBooking(appointment, tuple(warnings))


def _integration_timing_warnings(appointment: IntegrationAppointment, protocol: Protocol) -> list[str]:
    """The course template's "integration within N hours after each dosing session" (clinical protocol §3)."""
    session = appointment.dosing_session
    template = protocol.scheduling.templates.get(session.course.template) if session and session.course else None
    if session is None or template is None:
        return []
    hours = template.integration_within_hours
    if appointment.start - session.start <= dt.timedelta(hours=hours):
        return []
    return [f"{template.label}: the integration session should be within {hours} h after its dosing session."]


def cancel_integration_appointment(
    *, by: User, appointment: IntegrationAppointment, reason: str = ""
) -> IntegrationAppointment:
    require(can_book_integration(by), "Your role may not cancel integration sessions.")
    with transaction.atomic():
        appointment = locked(IntegrationAppointment.objects.all()).get(pk=appointment.pk)
        _cancel(appointment, by, text(reason))
    return appointment


def complete_integration_appointment(
    *, by: User, appointment: IntegrationAppointment | int, reason: str = ""
) -> IntegrationAppointment:
    """Mark an integration appointment completed: it took place. One already completed stays as it is (a second
    call changes nothing); a cancelled or missed one, or one that has not started yet, is refused (409). Audited
    sessions.integrationappointment.status by the status change."""
    require(can_book_integration(by), "Your role may not mark integration sessions completed.")
    pk = appointment.pk if isinstance(appointment, IntegrationAppointment) else appointment
    with transaction.atomic():
        found = locked(IntegrationAppointment.objects.select_related("patient__site")).get(pk=pk)
        if found.status == AppointmentStatus.COMPLETED:
            return found
        if found.status == AppointmentStatus.SCHEDULED and found.start > timezone.now():
            raise Conflict(
                f"This integration session starts {times.site_datetime(found.start, found.patient.site)}; "
                "it can be marked completed once it has started.",
                code="appointment_not_started",
            )
        found.set_status(AppointmentStatus.COMPLETED, by=by, reason=text(reason))  # refuses cancelled and no-show
    return found


def cancel_appointments_after(
    sessions: Sequence[DosingSession], *, by: User, reason: str
) -> list[IntegrationAppointment]:
    """Cancel the scheduled integration appointments that follow `sessions` (their dosing sessions were cancelled).
    Call inside the transaction that cancelled them."""
    appointments = locked(IntegrationAppointment.objects.all()).filter(
        dosing_session__in=[s.pk for s in sessions], status=AppointmentStatus.SCHEDULED
    )
    cancelled = list(appointments.order_by("start", "id"))
    for appointment in cancelled:
        _cancel(appointment, by, reason)
    return cancelled


def _cancel(appointment: IntegrationAppointment, by: User, reason: str) -> None:
    appointment.set_status(AppointmentStatus.CANCELLED, by=by, reason=reason)
    reminders.appointment_closed(appointment, by)
    audit.record(
        "sessions.integrationappointment.cancel",
        patient=appointment.patient_id,
        obj=appointment,
        actor=by,
        details={"reason": reason},
    )
