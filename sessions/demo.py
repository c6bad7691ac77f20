"""Synthetic courses and sessions for the demo clinic (TreatmentSessionsConfig.seed_demo, after intake), made
through the sessions services so every rule and audit entry applies.

`in_course` patients get a standard induction course starting today (two of them already on today's board: one
checked in, one dosing); `integration` patients a course from tomorrow and an integration session the day after
their first infusion; `maintenance` patients a single booster in about two weeks; the first `cleared` patient an
esketamine session tomorrow afternoon, whose page shows the CADSS-6 and the REMS monitoring form. Patients the
intake demo did not clear, and patients who already have a course or a session, are left alone, so seeding twice
creates nothing new.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

from django.utils import timezone

from clinic.demo import DemoContext
from clinic.errors import DomainError
from clinic.models import Chair, Patient, Role, User
from intake.services import is_cleared_for_dosing
from sessions import services
from sessions.models import AppointmentRequest, DosingSession, SessionStatus, TreatmentCourse
from sessions.services import requests as request_services

SLOT = dt.timedelta(minutes=90)  # the standard IV block is 85 min; 90 keeps the demo board readable
LATEST_LOCAL_START = dt.time(19, 0)
MAINTENANCE_IN_DAYS = 16  # a weekday no demo induction course uses
ESKETAMINE_LOCAL_START = dt.time(13, 0)  # tomorrow afternoon, after the integration patients' morning infusions
PRE_DOSE = {"systolic": 122, "diastolic": 78, "heart_rate": 72, "spo2": 98, "respiratory_rate": 14}
DURING = {"systolic": 134, "diastolic": 84, "heart_rate": 80, "spo2": 97, "respiratory_rate": 14}


def _first_local_start(ctx: DemoContext) -> dt.datetime:
    """The next quarter hour at least 15 min from now at the site, or tomorrow 09:00 late in the evening."""
    now = timezone.now().astimezone(services.site_zone(ctx.site)) + dt.timedelta(minutes=15)
    start = now.replace(minute=(now.minute // 15) * 15, second=0, microsecond=0) + dt.timedelta(minutes=15)
    if start.time() > LATEST_LOCAL_START or start.date() != now.date():
        start = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(9), tzinfo=start.tzinfo)
    return start


def _course(
    ctx: DemoContext, patient: Patient, chair: Chair, start: dt.datetime, template: str, weekdays: list[int]
) -> TreatmentCourse | None:
    try:
        return services.book_course(
            by=ctx.staff["frontdesk"],
            patient=patient,
            template=template,
            start_date=start.date(),
            weekdays=weekdays,
            local_time=start.time(),
            chair=chair,
            supervising_clinician=ctx.staff["prescriber"],
        )
    except DomainError:
        return None  # a demo slot taken by hand since: leave this patient without a course


def _run_first_session(ctx: DemoContext, session: DosingSession, *, dosing: bool) -> None:
    nurse = ctx.staff["nurse"]
    services.check_in(
        by=nurse,
        session=session,
        fasting_solids_hours=Decimal("8"),
        fasting_clear_liquids_hours=Decimal("3"),
        escort_confirmed=True,
        escort_name="Demo Escort",
    )
    services.record_vitals(by=nurse, session=session, **PRE_DOSE)  # type: ignore[arg-type]
    if dosing:
        services.start_dosing(by=nurse, session=session, lot_number="DEMO-LOT-001")
        services.record_vitals(by=nurse, session=session, **DURING)  # type: ignore[arg-type]


def _twice_weekly(day: dt.date) -> list[int]:
    return [day.weekday(), (day.weekday() + 3) % 7]


def _at(day: dt.date, hour: int, tz: dt.tzinfo | None) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz)


def _esketamine_session(ctx: DemoContext, chair: Chair, day: dt.date, tz: dt.tzinfo | None) -> None:
    """One esketamine session for the first cleared patient without sessions (none left: nothing to do)."""
    for patient, stage in ctx.patients:
        if stage != "cleared" or not is_cleared_for_dosing(patient, timezone.now()).cleared:
            continue
        if DosingSession.objects.filter(patient=patient).exists():
            return
        with contextlib.suppress(DomainError):  # the chair was booked by hand at that time
            services.book_dosing_session(
                by=ctx.staff["frontdesk"],
                patient=patient,
                chair=chair,
                start=dt.datetime.combine(day, ESKETAMINE_LOCAL_START, tzinfo=tz),
                route="esketamine",
                supervising_clinician=ctx.staff["prescriber"],
            )
        return


def seed(ctx: DemoContext) -> None:
    chairs = list(Chair.objects.filter(site=ctx.site, is_active=True).order_by("name"))
    if not chairs:
        return
    first = _first_local_start(ctx)
    today, tz = first.date(), first.tzinfo
    tomorrow = today + dt.timedelta(days=1)
    counters = {"in_course": 0, "integration": 0, "maintenance": 0}
    for patient, stage in ctx.patients:
        if stage not in counters or TreatmentCourse.objects.filter(patient=patient).exists():
            continue
        if not is_cleared_for_dosing(patient, timezone.now()).cleared:
            continue
        n = counters[stage]
        counters[stage] += 1
        chair = chairs[n % len(chairs)]
        offset = SLOT * (n // len(chairs))
        if stage == "in_course":
            course = _course(ctx, patient, chair, first + offset, "standard_induction", _twice_weekly(today))
            if course is not None and n < 2:
                _run_first_session(ctx, course.sessions.order_by("start")[0], dosing=n == 0)
        elif stage == "integration":
            start = _at(tomorrow, 9, tz) + offset
            course = _course(ctx, patient, chair, start, "standard_induction", _twice_weekly(tomorrow))
            if course is not None:
                with contextlib.suppress(DomainError):  # the therapist was booked by hand at that time
                    services.book_integration_appointment(
                        by=ctx.staff["frontdesk"],
                        patient=patient,
                        therapist=ctx.staff["therapist"],
                        start=_at(tomorrow + dt.timedelta(days=1), 10, tz) + SLOT * n,
                        duration_min=60,
                        dosing_session=course.sessions.order_by("start")[0],
                        room="Integration room",
                    )
        else:
            day = today + dt.timedelta(days=MAINTENANCE_IN_DAYS)
            _course(ctx, patient, chair, _at(day, 10, tz) + offset, "maintenance", [day.weekday()])
    _esketamine_session(ctx, chairs[-1], tomorrow, tz)
    _patient_request(ctx)


def _patient_request(ctx: DemoContext) -> None:
    """A portal patient asks to move their next session: the front desk's queue on the staff home shows it."""
    if AppointmentRequest.objects.filter(patient__site=ctx.site).exists():
        return
    soon = timezone.now()
    for user in User.objects.filter(role=Role.PATIENT, patient__site=ctx.site).order_by("username"):
        if user.patient_id is None:
            continue
        session = (
            DosingSession.objects.filter(patient_id=user.patient_id, status=SessionStatus.SCHEDULED, start__gt=soon)
            .order_by("start")
            .first()
        )
        if session is None:
            continue
        with contextlib.suppress(DomainError):
            request_services.request_change(
                by=user,
                subject=session,
                kind="reschedule",
                reason="I have a work trip that week.",
                preferred_times="The Monday or Tuesday after, in the morning",
            )
            return
