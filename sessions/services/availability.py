"""Who and what is busy when: the overlap checks of dosing sessions and integration appointments, the spacing rules
of a patient's dosing sessions, and the clearance a booking needs (clinical protocol §1 and §3).

Both kinds of booking share a chair and a patient, so every check here reads both tables; the services that call
them hold the patient's row lock (clinic.domain.lock_patient), and on PostgreSQL the exclusion constraints of
sessions.models catch what a check could not see (`insert_booking`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from clinic import times
from clinic.domain import aware, site_zone
from clinic.errors import Conflict, InvalidInput
from clinic.models import Chair, Patient, Role, Site, User
from clinic.params import check_day
from clinic.protocol import CourseTemplate, Protocol
from intake.services import is_cleared_for_dosing
from sessions.models import (
    ACTIVE_APPOINTMENT_STATUSES,
    ACTIVE_SESSION_STATUSES,
    DosingSession,
    IntegrationAppointment,
)
from sessions.progress import sentences
from sessions.scheduling import Violation, check_interval, check_weekly_limit

PAST_BOOKING_TOLERANCE = dt.timedelta(minutes=5)
SPACING_LOOKAROUND = dt.timedelta(days=8)  # the rolling 7 days either side, and a day for the wall clock
OVERLAP_CODES = {
    "dosing_session_chair_no_overlap": "chair_conflict",
    "dosing_session_patient_no_overlap": "patient_conflict",
    "integration_appointment_therapist_no_overlap": "therapist_conflict",
    "integration_appointment_chair_no_overlap": "chair_conflict",
    "integration_appointment_patient_no_overlap": "patient_conflict",
}


@dataclass(frozen=True)
class Problem:
    """Why a slot cannot be booked: `code` is one of the booking 409 codes."""

    code: str
    message: str
    details: dict[str, Any]

    def as_conflict(self) -> Conflict:
        return Conflict(self.message, code=self.code, details=self.details)


def overlapping[B: (DosingSession, IntegrationAppointment)](
    qs: QuerySet[B], start: dt.datetime, end: dt.datetime, end_field: str
) -> QuerySet[B]:
    """The bookings of `qs` that overlap [start, end) (`end_field`: `block_end` of a session, `end` of an
    appointment)."""
    return qs.filter(start__lt=end, **{f"{end_field}__gt": start})


def overlap_problem(
    code: str, what: str, site: Site, sessions: Iterable[DosingSession], appointments: Iterable[IntegrationAppointment]
) -> Problem | None:
    busy = [(s.start, s.block_end, "dosing session") for s in sessions]
    busy += [(a.start, a.end, "integration session") for a in appointments]
    if not busy:
        return None
    busy.sort()
    listed = "; ".join(
        f"{kind} {times.site_datetime(b, site, zone=False)} to {times.site_time(e, site)}" for b, e, kind in busy
    )
    return Problem(
        code,
        f"{what} is already booked at that time ({listed}).",
        {"busy": [{"start": b, "end": e, "kind": kind} for b, e, kind in busy]},
    )


def _without(sessions: QuerySet[DosingSession], moving: int | None) -> QuerySet[DosingSession]:
    """The sessions but the one being moved (`moving`), which never stands in its own way."""
    return sessions if moving is None else sessions.exclude(pk=moving)


def chair_problem(chair: Chair, start: dt.datetime, end: dt.datetime, *, moving: int | None = None) -> Problem | None:
    """What else holds the chair in [start, end); `moving`: a session being moved, which does not count."""
    sessions = overlapping(
        _without(DosingSession.objects.filter(chair=chair, status__in=ACTIVE_SESSION_STATUSES), moving),
        start,
        end,
        "block_end",
    )
    appointments = overlapping(
        IntegrationAppointment.objects.filter(chair=chair, status__in=ACTIVE_APPOINTMENT_STATUSES), start, end, "end"
    )
    return overlap_problem("chair_conflict", chair.name, chair.site, sessions, appointments)


def patient_problem(
    patient: Patient, start: dt.datetime, end: dt.datetime, *, moving: int | None = None
) -> Problem | None:
    sessions = overlapping(
        _without(DosingSession.objects.filter(patient=patient, status__in=ACTIVE_SESSION_STATUSES), moving),
        start,
        end,
        "block_end",
    )
    appointments = overlapping(
        IntegrationAppointment.objects.filter(patient=patient, status__in=ACTIVE_APPOINTMENT_STATUSES),
        start,
        end,
        "end",
    )
    return overlap_problem("patient_conflict", "The patient", patient.site, sessions, appointments)


def patient_starts_around(
    patient: Patient, first: dt.datetime, last: dt.datetime, *, protocol: Protocol, moving: int | None = None
) -> list[dt.datetime]:
    """The starts of the patient's active sessions that the spacing rules weigh for a new start in [first, last]:
    the rolling 7 days either side, or the protocol's minimum interval when a clinic sets it longer."""
    around = max(SPACING_LOOKAROUND, dt.timedelta(hours=protocol.scheduling.min_interval_hours))
    sessions = DosingSession.objects.filter(
        patient=patient,
        status__in=ACTIVE_SESSION_STATUSES,
        start__gt=first - around,
        start__lt=last + around,
    )
    return list(_without(sessions, moving).values_list("start", flat=True))


def spacing_violations(
    starts: Sequence[dt.datetime], start: dt.datetime, *, protocol: Protocol, weekly_limit: int, tz: ZoneInfo
) -> list[Violation]:
    """The 48 h interval and the rolling-7-day limit (clinical protocol §3) of a new `start` against the
    patient's other `starts`, with the protocol's interval and `weekly_limit` (see `rolling_week_limit`)."""
    found = (
        check_interval(starts, start, protocol.scheduling.min_interval_hours, tz=tz),
        check_weekly_limit(starts, start, weekly_limit, tz=tz),
    )
    return [violation for violation in found if violation is not None]


def spacing_problems(
    patient: Patient,
    start: dt.datetime,
    *,
    protocol: Protocol,
    weekly_limit: int,
    also: Sequence[dt.datetime] = (),
    moving: int | None = None,
) -> list[Problem]:
    """The spacing rules against the patient's active sessions, plus `also` (the other sessions of a course being
    booked), leaving out `moving` (a session being moved)."""
    starts = [*patient_starts_around(patient, start, start, protocol=protocol, moving=moving), *also]
    violations = spacing_violations(
        starts, start, protocol=protocol, weekly_limit=weekly_limit, tz=site_zone(patient.site)
    )
    return [Problem(v.code, v.message, {"conflicting_starts": list(v.conflicting_starts)}) for v in violations]


def clearance_problem(patient: Patient, at: dt.datetime) -> tuple[Problem | None, tuple[str, ...]]:
    """Whether the patient may be booked at `at`, and what the booking answers as warnings: open safety tasks
    (suicide risk) first, then the rest of what does not block."""
    clearance = is_cleared_for_dosing(patient, at)
    warnings = clearance.safety_alerts + clearance.warnings
    if clearance.cleared:
        return None, warnings
    problem = Problem(
        "not_cleared",
        "The patient is not cleared for dosing: " + sentences(clearance.reasons),
        {"reasons": list(clearance.reasons)},
    )
    return problem, warnings


def slot_problems(
    *,
    patient: Patient,
    chair: Chair,
    start: dt.datetime,
    block_end: dt.datetime,
    protocol: Protocol,
    weekly_limit: int,
    also: Sequence[dt.datetime] = (),
    moving: int | None = None,
) -> list[Problem]:
    found = [
        chair_problem(chair, start, block_end, moving=moving),
        patient_problem(patient, start, block_end, moving=moving),
    ]
    problems = [p for p in found if p is not None]
    return problems + spacing_problems(
        patient, start, protocol=protocol, weekly_limit=weekly_limit, also=also, moving=moving
    )


def rolling_week_limit(protocol: Protocol, template: CourseTemplate | None) -> int:
    """Dosing sessions allowed in any rolling 7 days: the course template's own limit, else the protocol's."""
    if template is not None and template.max_sessions_rolling_7_days is not None:
        return template.max_sessions_rolling_7_days
    return protocol.scheduling.max_sessions_rolling_7_days


def check_chair(chair: Chair, patient: Patient) -> None:
    if chair.site_id != patient.site_id:
        raise InvalidInput({"chair": "This chair is at another site than the patient."})
    if not chair.is_active:
        raise InvalidInput({"chair": f"{chair.name} is not in use."})


def check_supervisor(clinician: User | None, site: Site) -> None:
    if clinician is None:
        return
    if not (clinician.is_active and clinician.role == Role.PRESCRIBER and clinician.sites.filter(pk=site.pk).exists()):
        raise InvalidInput({"supervising_clinician": "Choose a prescriber who works at this site."})


def check_future(start: dt.datetime, field: str) -> None:
    """A booking's start: in the future, and not beyond the sane range of dates (clinic.params)."""
    if aware(start, field) < timezone.now() - PAST_BOOKING_TOLERANCE:
        raise InvalidInput({field: "This time has passed; book a time in the future."})
    check_day(start.date(), field)


def insert_booking[B: (DosingSession, IntegrationAppointment)](model: type[B], **fields: Any) -> B:
    """Insert a checked booking. An overlap only the database saw (PostgreSQL's exclusion constraints: a booking
    made a moment ago by another request) is a Conflict with the code of `OVERLAP_CODES`."""
    try:
        with transaction.atomic():
            return model.objects.create(**fields)
    except IntegrityError as exc:
        raise overlap_conflict(exc) from None


def overlap_conflict(exc: IntegrityError) -> Conflict:
    text = str(exc)
    for constraint, code in OVERLAP_CODES.items():
        if constraint in text:
            what = code.removesuffix("_conflict")
            return Conflict(f"The {what} was booked for an overlapping time a moment ago; choose another.", code=code)
    raise exc
