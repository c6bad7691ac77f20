"""What integration reads from the sessions and intake apps, by id, as plain values: the one module here that
imports their models. Read-only; nothing here changes state or checks access (the services do both).

Meant to move behind read functions of sessions and intake once those exist (their services are being split);
then this module keeps only the calls.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Max

from intake.models import Assessment
from integration.outcomes import Course, Score
from sessions.models import (
    CourseStatus,
    DoseRecord,
    DosingSession,
    IntegrationAppointment,
    SessionStatus,
    TreatmentCourse,
)

# A dosing session that was dosed: a note can follow it.
DOSED_STATUSES = frozenset({SessionStatus.DOSING, SessionStatus.MONITORING, SessionStatus.DISCHARGED})


@dataclass(frozen=True)
class DosingSessionFacts:
    session_id: int
    patient_id: int
    start: dt.datetime
    status: str
    course_id: int | None

    @property
    def was_dosed(self) -> bool:
        return self.status in DOSED_STATUSES


@dataclass(frozen=True)
class AppointmentFacts:
    appointment_id: int
    patient_id: int
    therapist_id: int
    dosing_session_id: int | None
    start: dt.datetime
    end: dt.datetime
    status: str


def dosing_session(session_id: int) -> DosingSessionFacts | None:
    found = DosingSession.objects.filter(pk=session_id).values("pk", "patient_id", "start", "status", "course_id")
    row = found.first()
    if row is None:
        return None
    return DosingSessionFacts(row["pk"], row["patient_id"], row["start"], row["status"], row["course_id"])


def appointment(appointment_id: int) -> AppointmentFacts | None:
    row = (
        IntegrationAppointment.objects.filter(pk=appointment_id)
        .values("pk", "patient_id", "therapist_id", "dosing_session_id", "start", "end", "status")
        .first()
    )
    if row is None:
        return None
    return AppointmentFacts(
        row["pk"],
        row["patient_id"],
        row["therapist_id"],
        row["dosing_session_id"],
        row["start"],
        row["end"],
        row["status"],
    )


def scores(patient_id: int, instrument: str) -> list[Score]:
    """Every total of the patient on `instrument`, oldest first."""
    rows = (
        Assessment.objects.filter(patient_id=patient_id, instrument=instrument, total__isnull=False)
        .order_by("administered_at", "pk")
        .values_list("administered_at", "total", "pk")
    )
    return [Score(at, total, pk) for at, total, pk in rows if total is not None]


def nearest_score(patient_id: int, instrument: str, at: dt.datetime, window_days: int) -> Score | None:
    """The score closest in time to `at` within `window_days` either side; of two equally close, the earlier."""
    window = dt.timedelta(days=window_days)
    rows = (
        Assessment.objects.filter(
            patient_id=patient_id,
            instrument=instrument,
            total__isnull=False,
            administered_at__gte=at - window,
            administered_at__lte=at + window,
        )
        .order_by("administered_at", "pk")
        .values_list("administered_at", "total", "pk")
    )
    candidates = [Score(when, total, pk) for when, total, pk in rows if total is not None]
    return min(candidates, key=lambda s: (abs(s.at - at), s.at), default=None)


def latest_course(patient_id: int, time_zone: str) -> Course | None:
    """The patient's latest treatment course with its baseline, and, once it is completed or stopped, when it
    ended: the later of its last dose and the start of its end date at the site (a stopped course ends the day
    it was stopped; a completed one with its last dose, so that the score taken before that dose is not counted
    as after the course)."""
    course = (
        TreatmentCourse.objects.filter(patient_id=patient_id)
        .order_by("-start_date", "-pk")
        .values("pk", "status", "baseline_total", "end_date")
        .first()
    )
    if course is None:
        return None
    ended_at = None
    if course["status"] in (CourseStatus.COMPLETED, CourseStatus.STOPPED) and course["end_date"] is not None:
        day_start = dt.datetime.combine(course["end_date"], dt.time(0), tzinfo=ZoneInfo(time_zone))
        last_dose = DoseRecord.objects.filter(session__course_id=course["pk"]).aggregate(last=Max("started_at"))
        ended_at = max(filter(None, (day_start, last_dose["last"])))
    return Course(course["pk"], course["status"], course["baseline_total"], ended_at)
