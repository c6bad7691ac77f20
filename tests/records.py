"""Patient A of the permission world (tests/conftest.py) in every state a route or page acts on, made through the
services: shared by the API access matrix (tests/test_access_matrix.py) and the query budgets
(tests/perf/test_query_budgets.py), so that both look at the same records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clinic.models import Chair, ReportJob, User
from clinic.reminders.models import DeliveryChannel, Reminder, ReminderStatus
from clinic.reports import services as report_services
from clinic.services import use_protocol
from intake.models import Screening
from integration.services import maintenance, notes, plans
from sessions import services
from sessions.models import DosingSession, IntegrationAppointment, TreatmentCourse
from sessions.services.base import route_of
from sessions.services.booking import create_session
from tests.conftest import World
from tests.factories import ChairFactory
from tests.intake.factories import clear_for_dosing, screen
from tests.sessions.conftest import NOW, PROCEED, Clock


@dataclass
class Cast:
    users: dict[str, User | None]
    targets: dict[str, Any]


@dataclass
class Start:
    """Patient A screened (one screening needing an override) and cleared, a chair at each site, and `booked(days,
    route)`: a session `days` from now inserted as a booking is, apart from the spacing rules (which stay quiet)."""

    chair: Chair
    override_needed: Screening
    booked: Callable[..., DosingSession]


def start(world: World, clock: Clock) -> Start:
    patient, nurse = world.patient_a, world.nurse1
    chair = ChairFactory(site=world.site1, name="Matrix chair")
    ChairFactory(site=world.site2, name="Other chair")
    override_needed = screen(patient, by=nurse, systolic=150)
    clear_for_dosing(patient, nurse=nurse, prescriber=world.prescriber1)
    version, _protocol = use_protocol(world.site1)

    def booked(days: float, route: str = "iv") -> DosingSession:
        start = clock.now + dt.timedelta(days=days)
        return create_session(
            by=nurse, patient=patient, chair=chair, start=start, block_end=start + dt.timedelta(hours=2),
            route=route_of(route), duration_min=None, supervising_clinician=None, course=None, version=version,
        )  # fmt: skip

    return Start(chair, override_needed, booked)


def course_and_appointment(
    world: World, chair: Chair, scheduled: DosingSession
) -> tuple[TreatmentCourse, IntegrationAppointment]:
    """A standard induction course booked from 60 days on, and an integration appointment after `scheduled`."""
    patient, nurse = world.patient_a, world.nurse1
    course = services.book_course(by=nurse, patient=patient, template="standard_induction",
                                  start_date=(NOW + dt.timedelta(days=60)).date(), weekdays=[0, 3],
                                  local_time=dt.time(9), chair=chair)  # fmt: skip
    appointment = services.book_integration_appointment(
        by=nurse, patient=patient, therapist=world.therapist1, start=NOW + dt.timedelta(days=31), duration_min=60,
        dosing_session=scheduled, room="Room A",
    ).appointment  # fmt: skip
    return course, appointment


def records(world: World, clock: Clock) -> dict[str, Any]:
    """Patient A's records through the services; sessions are inserted apart so the spacing rules stay quiet."""
    patient, nurse = world.patient_a, world.nurse1
    begun = start(world, clock)
    chair, override_needed, booked = begun.chair, begun.override_needed, begun.booked

    def arrived(days: float, route: str = "iv", **vitals: int) -> DosingSession:
        session = booked(days, route)
        services.check_in(by=nurse, session=session, fasting_solids_hours=Decimal(8),
                          fasting_clear_liquids_hours=Decimal(3), escort_confirmed=True)  # fmt: skip
        services.record_vitals(by=nurse, session=session, **{**PROCEED, **vitals})
        return session

    def dosed(session: DosingSession) -> DosingSession:
        services.start_dosing(by=nurse, session=session, lot_number="LOT-1")
        return session

    records: dict[str, Any] = {
        "scheduled": booked(30),
        "overdue": booked(-1),
        "checked_in": arrived(-4),
        "review": arrived(-6, systolic=150),
        "dosing": dosed(arrived(-8)),
        "monitoring": dosed(arrived(-10)),
        "esketamine_discharged": dosed(arrived(-12, "esketamine")),
    }
    clock.advance(minutes=10)
    early = "Matrix fixture: the patient asked to stop."
    services.end_dosing(by=nurse, session=records["monitoring"], stop_reason=early)
    services.end_dosing(by=nurse, session=records["esketamine_discharged"], stop_reason=early)
    clock.advance(minutes=130)
    services.discharge_session(by=nurse, session=records["esketamine_discharged"], aldrete=[2] * 5,
                               escort_confirmed=True)  # fmt: skip
    course, appointment = course_and_appointment(world, chair, records["scheduled"])
    return {
        **{name: session.pk for name, session in records.items()},
        **later_records(world, clock, records["monitoring"], records["esketamine_discharged"]),
        "patient": patient.pk,
        "chair": chair.pk,
        "site1": world.site1.pk,
        "course": course.pk,
        "appointment": appointment.pk,
        "screening": override_needed.pk,
        "therapist1": world.therapist1.pk,
    }


def later_records(world: World, clock: Clock, dosed: DosingSession, discharged: DosingSession) -> dict[str, Any]:
    """What follows the infusion: integration notes (a draft and a signed one), a maintenance evaluation, a
    relapse-prevention plan, a failed reminder and a ready report, each through its service where one exists."""
    patient, therapist = world.patient_a, world.therapist1
    note = {"modality": "general", "dosing_session": dosed.pk, "started_at": clock.now.isoformat(),
            "duration_min": 50, "narrative": "Talked through the session.", "plan": "Walk daily."}  # fmt: skip
    draft = notes.create_note(by=therapist, patient=patient, data=note).note
    signed = notes.create_note(by=therapist, patient=patient, data=note).note
    notes.sign_note(by=therapist, note=signed)
    evaluation = maintenance.open_maintenance_evaluation(
        by=world.prescriber1, patient=patient, reason="Matrix fixture: PHQ-9 rising."
    ).evaluation
    plans.revise_relapse_plan(by=therapist, patient=patient, data={"warning_signs": ["Sleeping badly"]})
    reminder = Reminder.objects.create(
        kind="matrix", channel=DeliveryChannel.EMAIL, patient=patient, subject_type="dosing_session",
        subject_id=dosed.pk, due_at=clock.now, next_attempt_at=clock.now, status=ReminderStatus.FAILED, attempts=3,
    )  # fmt: skip
    report = ReportJob.objects.create(
        patient=patient, kind="session_record", parameters={"session": discharged.pk}, request_key="matrix",
    )  # fmt: skip
    report_services.store_report(report.pk, b"%PDF-1.4 matrix fixture", "v1")
    return {
        "note_draft": draft.pk,
        "note_signed": signed.pk,
        "evaluation": evaluation.pk,
        "reminder": reminder.pk,
        "report": report.pk,
    }
