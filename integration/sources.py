"""What integration reads from the sessions and intake apps, as plain values: the one module of integration that
reaches into them (docs/architecture.md, "Where new things go"). Read-only; nothing here changes state.

Dosing sessions and integration appointments are read through sessions' own read functions
(`sessions.queries.sessions_visible_to`, `appointments_visible_to`, `on_day`), so they are scoped to what the
requester may see exactly as the sessions screens scope them. Two reads have no read function in those apps yet and
query their models here, by id, for a patient the calling service has already scoped: the patient's questionnaire
scores (intake offers only `last_score_before`) and the facts of the latest course (its end and last dose). They
move behind read functions of intake and sessions when those apps offer them; callers keep calling this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Max

from clinic.models import Patient, User
from clinic.scoping import Requester, sites_of
from clinic.shared_reads import per_request
from intake.models import Assessment
from integration.outcomes import Course, Occasion, Score
from sessions import queries
from sessions.models import (
    ACTIVE_APPOINTMENT_STATUSES,
    CourseStatus,
    DoseRecord,
    DosingSession,
    IntegrationAppointment,
    SessionStatus,
    TreatmentCourse,
)

# A dosing session that was dosed: a note can follow it.
DOSED_STATUSES = frozenset({SessionStatus.DOSING, SessionStatus.MONITORING, SessionStatus.DISCHARGED})
# Sessions the timeline leaves out: they never took place.
NOT_HELD_STATUSES = frozenset({SessionStatus.CANCELLED, SessionStatus.NO_SHOW})


@dataclass(frozen=True)
class AdverseEventFacts:
    kind: str
    severity: str
    action_taken: str
    occurred_at: dt.datetime


@dataclass(frozen=True)
class DosingSessionFacts:
    """A dosing session as integration shows it beside a note: when, how, the dose, CADSS-6 and adverse events."""

    session_id: int
    patient_id: int
    start: dt.datetime
    status: str
    course_id: int | None
    status_label: str = ""
    route_label: str = ""
    dose_mg: Decimal | None = None
    mg_per_kg: Decimal | None = None
    dosing_started_at: dt.datetime | None = None
    cadss_totals: tuple[int, ...] = ()
    adverse_events: tuple[AdverseEventFacts, ...] = ()
    end: dt.datetime | None = None
    """The end of the session's block (dosing, observation, turnover)."""

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
    status_label: str = ""
    therapist_name: str = ""
    place: str = ""
    patient_name: str = ""
    time_zone: str = "UTC"  # the site's, to show the times as the clinic reads them

    @property
    def is_active(self) -> bool:
        """Scheduled or completed: neither cancelled nor missed."""
        return self.status in ACTIVE_APPOINTMENT_STATUSES


def _session_facts(session: Any) -> DosingSessionFacts:
    dose = getattr(session, "dose", None)  # a reverse one-to-one: absent until dosing starts
    return DosingSessionFacts(
        session_id=session.pk,
        patient_id=session.patient_id,
        start=session.start,
        status=session.status,
        course_id=session.course_id,
        status_label=session.get_status_display(),
        route_label=session.get_route_display(),
        dose_mg=dose.dose_mg if dose else None,
        mg_per_kg=dose.mg_per_kg if dose else None,
        dosing_started_at=dose.started_at if dose else None,
        cadss_totals=tuple(score.total for score in session.dissociation_scores.all()),
        adverse_events=tuple(
            AdverseEventFacts(e.get_kind_display(), e.get_severity_display(), e.action_taken, e.occurred_at)
            for e in session.adverse_events.all()
        ),
        end=session.block_end,
    )


def _sessions(by: Requester) -> Any:
    return (
        queries.sessions_visible_to(by)
        .select_related("dose")
        .prefetch_related("dissociation_scores", "adverse_events")
        .order_by("start", "pk")
    )


def dosing_session(by: Requester, session_id: int) -> DosingSessionFacts | None:
    """The session if `by` may see its patient; None otherwise or when there is no such session."""
    session = _sessions(by).filter(pk=session_id).first()
    return _session_facts(session) if session is not None else None


@per_request
def dosing_sessions(by: Requester, patient: Patient) -> list[DosingSessionFacts]:
    """The patient's dosing sessions that took place or are still ahead, oldest first."""
    found = _sessions(by).filter(patient=patient).exclude(status__in=NOT_HELD_STATUSES)
    return [_session_facts(session) for session in found]


def _appointment_facts(appointment: Any) -> AppointmentFacts:
    therapist = appointment.therapist
    return AppointmentFacts(
        appointment_id=appointment.pk,
        patient_id=appointment.patient_id,
        therapist_id=appointment.therapist_id,
        dosing_session_id=appointment.dosing_session_id,
        start=appointment.start,
        end=appointment.end,
        status=appointment.status,
        status_label=appointment.get_status_display(),
        therapist_name=therapist.get_full_name() or therapist.username,
        place=appointment.place,
        patient_name=f"{appointment.patient.family_name}, {appointment.patient.given_name}",
        time_zone=appointment.patient.site.time_zone,
    )


def appointment(by: Requester, appointment_id: int) -> AppointmentFacts | None:
    found = queries.appointments_visible_to(by).filter(pk=appointment_id).first()
    return _appointment_facts(found) if found is not None else None


@per_request
def appointments(by: Requester, patient: Patient) -> list[AppointmentFacts]:
    """The patient's integration appointments (any status), oldest first."""
    found = queries.appointments_visible_to(by).filter(patient=patient).order_by("start", "pk")
    return [_appointment_facts(a) for a in found]


def appointments_today(therapist: User, now: dt.datetime) -> list[AppointmentFacts]:
    """The therapist's integration appointments on today's date at each of their sites, soonest first."""
    found: list[AppointmentFacts] = []
    mine = queries.appointments_visible_to(therapist).filter(
        therapist=therapist, status__in=ACTIVE_APPOINTMENT_STATUSES
    )
    for site in sites_of(therapist):
        day = now.astimezone(ZoneInfo(site.time_zone)).date()
        found += [_appointment_facts(a) for a in queries.on_day(mine, site, day, site_field="patient__site")]
    return sorted(found, key=lambda a: a.start)


@per_request
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


def _course_facts(row: dict[str, Any], time_zone: str) -> Course:
    ended_at = None
    if row["status"] in (CourseStatus.COMPLETED, CourseStatus.STOPPED) and row["end_date"] is not None:
        day_start = dt.datetime.combine(row["end_date"], dt.time(0), tzinfo=ZoneInfo(time_zone))
        last_dose = DoseRecord.objects.filter(session__course_id=row["pk"]).aggregate(last=Max("started_at"))
        ended_at = max(filter(None, (day_start, last_dose["last"])))
    return Course(row["pk"], row["status"], row["baseline_total"], ended_at)


COURSE_FIELDS = ("pk", "status", "baseline_total", "end_date", "start_date")


@per_request
def latest_course(patient_id: int, time_zone: str) -> Course | None:
    """The patient's latest treatment course with its baseline, and, once it is completed or stopped, when it
    ended: the later of its last dose and the start of its end date at the site (a stopped course ends the day
    it was stopped; a completed one with its last dose, so that the score taken before that dose is not counted
    as after the course)."""
    course = TreatmentCourse.objects.filter(patient_id=patient_id).order_by("-start_date", "-pk").values(*COURSE_FIELDS)
    row = course.first()
    return _course_facts(row, time_zone) if row is not None else None


@dataclass(frozen=True)
class CourseWindow:
    """One course of the patient as its report reads it: the outcome facts, its first day, the first day of the
    patient's next course (where this one's scores stop counting), and when each of its doses started."""

    course: Course
    start_date: dt.date
    next_start_date: dt.date | None
    dosed_at: tuple[dt.datetime, ...]


def course_window(patient_id: int, course_id: int, time_zone: str) -> CourseWindow | None:
    """Course `course_id` of the patient (None when it is not theirs), for its report."""
    row = TreatmentCourse.objects.filter(patient_id=patient_id, pk=course_id).values(*COURSE_FIELDS).first()
    if row is None:
        return None
    later = (
        TreatmentCourse.objects.filter(patient_id=patient_id, start_date__gt=row["start_date"])
        .order_by("start_date", "pk")
        .values_list("start_date", flat=True)
        .first()
    )
    doses = DoseRecord.objects.filter(session__course_id=course_id).order_by("started_at", "pk")
    return CourseWindow(
        course=_course_facts(row, time_zone),
        start_date=row["start_date"],
        next_start_date=later,
        dosed_at=tuple(doses.values_list("started_at", flat=True)),
    )


def course_occasions(course_id: int) -> list[Occasion]:
    """The dosing sessions of the course and the integration appointments that follow them, that took place or are
    still ahead (the occasions of the questionnaire cadence, clinical protocol §5), oldest first."""
    sessions = (
        DosingSession.objects.filter(course_id=course_id)
        .exclude(status__in=NOT_HELD_STATUSES | {SessionStatus.DEFERRED})
        .values_list("start", "block_end")
    )
    appointments = IntegrationAppointment.objects.filter(
        dosing_session__course_id=course_id, status__in=ACTIVE_APPOINTMENT_STATUSES
    ).values_list("start", "end")
    return sorted((Occasion(start, end) for start, end in [*sessions, *appointments]), key=lambda o: o.start)


def patients_with_courses() -> list[int]:
    """The active patients who have a treatment course (the questionnaire cadence applies to them), by id."""
    return sorted(
        set(TreatmentCourse.objects.filter(patient__is_active=True).values_list("patient_id", flat=True).distinct())
    )
