"""Patients' requests to move or cancel a session, and the front desk's decision (docs/clinical-protocol.md §10).

A patient asks from the portal (or `POST /api/v1/me/appointment-requests/`) with a reason; a request made less than
`portal.appointment_notice_hours` before the session is marked as inside the notice period (the page warns about
the clinic's late-change policy; the request is still sent). One open request per session. The request waits in the
queue on the staff home; whoever books sessions confirms it (a cancellation cancels the session; a move books the
new time through the booking services and cancels the old one, in one transaction, so a refused booking changes
nothing) or declines it with a note the patient reads. Every step is audited.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from clinic import audit
from clinic.domain import locked, require, required_text, text
from clinic.errors import Conflict, InvalidInput
from clinic.models import Chair, Patient, User
from clinic.scoping import patients_visible_to
from clinic.services import current_protocol
from sessions.models import (
    AppointmentRequest,
    AppointmentStatus,
    DosingSession,
    IntegrationAppointment,
    RequestKind,
    RequestStatus,
    SessionStatus,
)
from sessions.permissions import can_book, can_book_integration
from sessions.preparation import inside_notice_period
from sessions.services.booking import book_dosing_session, cancel_session
from sessions.services.integration import book_integration_appointment, cancel_integration_appointment

Subject = DosingSession | IntegrationAppointment


def _is_open_subject(subject: Subject, now: dt.datetime) -> bool:
    if isinstance(subject, DosingSession):
        return subject.status == SessionStatus.SCHEDULED and subject.start > now
    return subject.status == AppointmentStatus.SCHEDULED and subject.start > now


def may_request(subject: Subject, now: dt.datetime | None = None) -> bool:
    """May the patient still ask to move or cancel `subject` (a booked session that has not begun)?"""
    return _is_open_subject(subject, now or timezone.now())


def is_inside_notice(subject: Subject, now: dt.datetime | None = None) -> bool:
    site = subject.chair.site if isinstance(subject, DosingSession) else subject.patient.site
    return inside_notice_period(subject.start, now or timezone.now(), current_protocol(site))


def open_request_for(subject: Subject) -> AppointmentRequest | None:
    field = "dosing_session" if isinstance(subject, DosingSession) else "integration_appointment"
    return AppointmentRequest.objects.filter(**{field: subject}, status=RequestStatus.OPEN).first()


def open_requests_of(patient: Patient) -> dict[tuple[bool, int], AppointmentRequest]:
    """The patient's open requests in one read, by what they are about: (True, session id) for a dosing session,
    (False, appointment id) for an integration appointment (`open_request_for` for one subject)."""
    found: dict[tuple[bool, int], AppointmentRequest] = {}
    for asked in AppointmentRequest.objects.filter(patient=patient, status=RequestStatus.OPEN):
        if asked.dosing_session_id is not None:
            found[(True, asked.dosing_session_id)] = asked
        if asked.integration_appointment_id is not None:
            found[(False, asked.integration_appointment_id)] = asked
    return found


def request_change(
    *, by: User, subject: Subject, kind: str, reason: str, preferred_times: str = ""
) -> AppointmentRequest:
    """The patient asks to move (`reschedule`) or `cancel` one of their own sessions. Refused (400) without a
    reason or with an unknown kind, (409 `not_changeable`) for a session that has begun or was cancelled, and (409
    `request_open`) while an earlier request about it waits."""
    require(
        by.is_active and by.is_patient_user and by.patient_id == subject.patient_id,
        "Only the patient asks to change their own sessions here; staff change them on the schedule.",
    )
    if kind not in RequestKind.values:
        raise InvalidInput({"kind": "Choose whether to move the session or cancel it."})
    why = required_text(reason, "reason", "Tell the clinic why, in a few words.")
    now = timezone.now()
    with transaction.atomic():
        if isinstance(subject, DosingSession):
            subject = locked(DosingSession.objects.select_related("patient__site")).get(pk=subject.pk)
        else:
            subject = locked(IntegrationAppointment.objects.select_related("patient__site")).get(pk=subject.pk)
        if not _is_open_subject(subject, now):
            raise Conflict("This session can no longer be changed here. Please call the clinic.", code="not_changeable")
        if open_request_for(subject) is not None:
            raise Conflict(
                "You already asked to change this session. The clinic will answer soon.", code="request_open"
            )
        dosing = subject if isinstance(subject, DosingSession) else None
        appointment = subject if isinstance(subject, IntegrationAppointment) else None
        try:
            with transaction.atomic():
                request = AppointmentRequest.objects.create(
                    patient_id=subject.patient_id,
                    dosing_session=dosing,
                    integration_appointment=appointment,
                    kind=kind,
                    reason=why,
                    preferred_times=text(preferred_times) if kind == RequestKind.RESCHEDULE else "",
                    inside_notice=is_inside_notice(subject, now),
                    created_at=now,
                    created_by=by,
                )
        except IntegrityError:
            raise Conflict(
                "You already asked to change this session. The clinic will answer soon.", code="request_open"
            ) from None
        audit.record(
            "sessions.appointmentrequest.create",
            patient=subject.patient_id,
            obj=request,
            actor=by,
            details={"kind": kind, "subject": subject.pk, "inside_notice": request.inside_notice},
        )
    return request


def may_decide(user: User, request: AppointmentRequest) -> bool:
    return can_book(user) if request.dosing_session_id else can_book_integration(user)


def requests_visible_to(user: User) -> QuerySet[AppointmentRequest]:
    """Requests about the patients `user` may see (clinic.scoping), for those who book sessions."""
    if not (can_book(user) or can_book_integration(user)):
        return AppointmentRequest.objects.none()
    return AppointmentRequest.objects.filter(patient__in=patients_visible_to(user).values("pk")).select_related(
        "patient__site", "dosing_session__chair", "integration_appointment__therapist", "created_by"
    )


def open_queue(user: User) -> list[AppointmentRequest]:
    """The staff home's queue: open requests, the soonest session first."""
    rows = [r for r in requests_visible_to(user).filter(status=RequestStatus.OPEN) if may_decide(user, r)]
    return sorted(rows, key=lambda r: r.subject.start)


def _locked_open(request: AppointmentRequest) -> AppointmentRequest:
    request = locked(AppointmentRequest.objects.all()).get(pk=request.pk)
    if request.status != RequestStatus.OPEN:
        raise Conflict("Someone has already answered this request.", code="request_decided")
    return request


def confirm_request(
    *,
    by: User,
    request: AppointmentRequest,
    new_start: dt.datetime | None = None,
    chair: Chair | None = None,
    note: str = "",
) -> AppointmentRequest:
    """Do what the patient asked: cancel the session, or book it at `new_start` (the same chair unless `chair`,
    the same route, course, clinician or therapist) and cancel the old one. A booking the rules refuse (409) leaves
    everything as it was."""
    require(may_decide(by, request), "Your role may not change this patient's sessions.")
    with transaction.atomic():
        request = _locked_open(request)
        subject = request.subject
        why = f"At the patient's request: {request.reason}"
        if request.kind == RequestKind.CANCEL:
            if isinstance(subject, DosingSession):
                cancel_session(by=by, session=subject, reason=why)
            else:
                cancel_integration_appointment(by=by, appointment=subject, reason=why)
        else:
            if new_start is None:
                raise InvalidInput({"new_start": "Give the new day and time."})
            if isinstance(subject, DosingSession):
                cancel_session(by=by, session=subject, reason=why)
                request.new_dosing_session = book_dosing_session(
                    by=by,
                    patient=subject.patient,
                    chair=chair or subject.chair,
                    start=new_start,
                    route=subject.route,
                    supervising_clinician=subject.supervising_clinician,
                    course=subject.course,
                    duration_min=subject.planned_duration_min,
                ).session
            else:
                cancel_integration_appointment(by=by, appointment=subject, reason=why)
                request.new_integration_appointment = book_integration_appointment(
                    by=by,
                    patient=subject.patient,
                    therapist=subject.therapist,
                    start=new_start,
                    duration_min=int((subject.end - subject.start).total_seconds() // 60),
                    chair=chair or subject.chair,
                    room=subject.room,
                ).appointment
        request.status = RequestStatus.CONFIRMED
        request.decided_at = timezone.now()
        request.decided_by = by
        request.decision_note = text(note)
        request.save()
        audit.record(
            "sessions.appointmentrequest.confirm",
            patient=request.patient_id,
            obj=request,
            actor=by,
            details={
                "kind": request.kind,
                "new_start": new_start if request.kind == RequestKind.RESCHEDULE else None,
                "new_session": request.new_dosing_session_id or request.new_integration_appointment_id,
            },
        )
    return request


def decline_request(*, by: User, request: AppointmentRequest, note: str) -> AppointmentRequest:
    """Say no, with a note the patient reads (e.g. "No chair is free that week; please call us")."""
    require(may_decide(by, request), "Your role may not change this patient's sessions.")
    why = required_text(note, "note", "Tell the patient why, so they know what to do next.")
    with transaction.atomic():
        request = _locked_open(request)
        request.status = RequestStatus.DECLINED
        request.decided_at = timezone.now()
        request.decided_by = by
        request.decision_note = why
        request.save()
        audit.record("sessions.appointmentrequest.decline", patient=request.patient_id, obj=request, actor=by)
    return request


def outcome_text(request: AppointmentRequest, new_start_text: str = "") -> str:
    """What the patient reads about their request."""
    if request.status == RequestStatus.OPEN:
        verb = "move" if request.kind == RequestKind.RESCHEDULE else "cancel"
        return f"You asked to {verb} this session. The clinic will answer soon."
    if request.status == RequestStatus.DECLINED:
        return f"The clinic could not change this session: {request.decision_note}"
    if request.kind == RequestKind.CANCEL:
        return "The clinic cancelled this session, as you asked."
    return (
        f"The clinic moved this session to {new_start_text}, as you asked."
        if new_start_text
        else ("The clinic moved this session, as you asked.")
    )
