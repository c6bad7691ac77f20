"""What the nurse must act on, session by session: the rows of the chair board, the staff home's "Today" and the
patient page's session list (one partial draws them: templates/staff/sessions/_session_block.html).

Read side only. Each row says when and where, its status, and flags computed here, never in a template: a session
not checked in or not dosed past its start (late), dosing started (the real time, and how late), vitals overdue,
an alert on the latest reading, an open safety task, the observation minutes left, an early stop. Clinical flags
are left out for a requester who may not see clinical data (front desk).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from clinic import times
from clinic.models import Site
from clinic.protocol import Protocol, Route
from intake.models import SafetyTask, SafetyTaskStatus
from sessions.models import DoseRecord, DosingSession, IntegrationAppointment, SessionStatus, VitalPhase, VitalSign
from sessions.monitoring import next_vitals_due

MINUTE = dt.timedelta(minutes=1)

STATUS_BADGES: dict[str, str] = {
    SessionStatus.SCHEDULED: "badge--muted",
    SessionStatus.CHECKED_IN: "",
    SessionStatus.DOSING: "badge--warn",
    SessionStatus.MONITORING: "badge--warn",
    SessionStatus.DISCHARGED: "badge--ok",
    SessionStatus.CANCELLED: "badge--muted",
    SessionStatus.DEFERRED: "badge--danger",
    SessionStatus.NO_SHOW: "badge--danger",
}


# Badge colours of the values the session page shows (templates/staff/sessions/session.html, via sessions_tags).
BADGES: dict[str, dict[str, str]] = {
    "status": STATUS_BADGES,
    "gate": {"proceed": "badge--ok", "review": "badge--warn", "defer": "badge--danger"},
    "severity": {"mild": "", "moderate": "badge--warn", "severe": "badge--danger"},
    "fasting": {"ok": "badge--ok", "review": "badge--warn"},
    "rems": {"due": "badge--warn", "overdue": "badge--danger", "submitted": "badge--ok"},
}


@dataclass(frozen=True)
class Flag:
    """Something about a session the nurse should see: `tone` is the badge's colour (danger, warn, info, ok)."""

    text: str
    tone: str

    @property
    def badge(self) -> str:
        return f"badge--{self.tone}"


@dataclass(frozen=True)
class ScheduleRow:
    """One line of a schedule: a dosing session or an integration appointment, ready to show."""

    start: dt.datetime
    end: dt.datetime
    href: str
    patient_name: str
    mrn: str
    what: str
    detail: str
    where: str
    status: str
    badge: str
    flags: tuple[Flag, ...] = ()
    calendar_href: str = ""


def dose_of(session: DosingSession) -> DoseRecord | None:
    try:
        return session.dose
    except DoseRecord.DoesNotExist:
        return None


def vitals_due(
    session: DosingSession, readings: Sequence[VitalSign], dose: DoseRecord | None, protocol: Protocol, now: dt.datetime
) -> dt.datetime | None:
    """When the next vital signs are due while the session is dosing or observed (None otherwise)."""
    if dose is None or session.status not in (SessionStatus.DOSING, SessionStatus.MONITORING):
        return None
    since_start = [r.recorded_at for r in readings if r.recorded_at >= dose.started_at]
    # A reading may be stamped a few minutes ahead of the server's clock (clinic devices drift).
    current = max([now, *since_start, dose.ended_at or now])
    last = max(since_start) if since_start else None
    return next_vitals_due(last, dose.started_at, dose.ended_at, current, protocol.monitoring)


def board_span(session: DosingSession) -> tuple[dt.datetime, dt.datetime]:
    """Where a session sits on the chair board: its booking, moved to the time dosing really started."""
    dose = dose_of(session)
    if dose is None:
        return session.start, session.block_end
    shift = dose.started_at - session.start
    return dose.started_at, session.block_end + shift


def session_flags(
    session: DosingSession, now: dt.datetime, protocol: Protocol, *, clinical: bool, safety_task: bool = False
) -> tuple[Flag, ...]:
    """The flags of one session (see the module). `session` should come with its dose and vital signs loaded."""
    flags: list[Flag] = []
    site = session.chair.site
    late = (now - session.start) // MINUTE
    dose = dose_of(session)
    status = session.status
    if status == SessionStatus.SCHEDULED and late >= 1:
        flags.append(Flag(f"Not checked in: {late} min late", "warn"))
    elif status == SessionStatus.CHECKED_IN and late >= 1:
        flags.append(Flag(f"Dosing not started: {late} min late", "warn"))
    elif status == SessionStatus.DOSING and dose is not None:
        started_late = (dose.started_at - session.start) // MINUTE
        text = f"Dosing since {times.site_time(dose.started_at, site, zone=False)}"
        flags.append(Flag(f"{text}, {started_late} min late" if started_late >= 1 else text, "info"))
    elif status == SessionStatus.MONITORING and dose is not None and dose.ended_at is not None:
        needed = protocol.dosing.routes[Route(session.route)].observation_min
        left = needed - (now - dose.ended_at) // MINUTE
        flags.append(Flag(f"Observation: {left} min left", "info") if left > 0 else Flag("Ready for discharge", "ok"))
    if not clinical:
        return tuple(flags)
    readings = list(session.vital_signs.all())
    due = vitals_due(session, readings, dose, protocol, now)
    if due is not None and due <= now:
        flags.insert(0, Flag(f"Vitals overdue since {times.site_time(due, site, zone=False)}", "danger"))
    in_session = [r for r in readings if r.phase != VitalPhase.PRE]
    if status in (SessionStatus.DOSING, SessionStatus.MONITORING) and in_session:
        latest = max(in_session, key=lambda r: (r.recorded_at, r.pk))
        flags[0:0] = [Flag(f"Alert: {alert}", "danger") for alert in latest.alerts]
    if safety_task:
        flags.insert(0, Flag("Open safety task", "danger"))
    if dose is not None and dose.stopped_early:
        flags.append(Flag("Stopped early", "warn"))
    return tuple(flags)


def patients_with_open_safety_tasks(patient_ids: Iterable[int]) -> set[int]:
    return set(
        SafetyTask.objects.filter(patient_id__in=set(patient_ids), status=SafetyTaskStatus.OPEN).values_list(
            "patient_id", flat=True
        )
    )


def session_rows(
    sessions: Sequence[DosingSession],
    now: dt.datetime,
    protocol_for: Callable[[Site], Protocol],
    *,
    clinical: bool,
) -> list[ScheduleRow]:
    """Rows of dosing sessions (loaded with `with_chairside`), with their flags."""
    tasks = patients_with_open_safety_tasks(s.patient_id for s in sessions) if clinical else set()
    rows = []
    for s in sessions:
        flags = session_flags(s, now, protocol_for(s.chair.site), clinical=clinical, safety_task=s.patient_id in tasks)
        rows.append(
            ScheduleRow(
                start=s.start,
                end=s.block_end,
                href=reverse("staff:sessions:session", args=[s.pk]),
                patient_name=f"{s.patient.family_name}, {s.patient.given_name}",
                mrn=s.patient.mrn,
                what=s.get_route_display(),
                detail=s.course.template_label if s.course is not None else "",
                where=s.chair.name,
                status=s.get_status_display(),
                badge=STATUS_BADGES.get(s.status, ""),
                flags=flags,
            )
        )
    return rows


def appointment_rows(appointments: Sequence[IntegrationAppointment]) -> list[ScheduleRow]:
    """Rows of integration appointments: each opens the appointment's page; its calendar file is a separate link."""
    return [
        ScheduleRow(
            start=a.start,
            end=a.end,
            href=reverse("staff:sessions:appointment", args=[a.pk]),
            patient_name=f"{a.patient.family_name}, {a.patient.given_name}",
            mrn=a.patient.mrn,
            what=f"Integration with {a.therapist.get_full_name() or a.therapist.username}",
            detail="",
            where=a.place,
            status=a.get_status_display(),
            badge="",
            calendar_href=reverse("staff:sessions:appointment_calendar", args=[a.pk]),
        )
        for a in appointments
    ]


def with_chairside(sessions: QuerySet[DosingSession]) -> list[DosingSession]:
    """Sessions with what their flags read loaded in a few queries (dose, vital signs, chair, course)."""
    related = sessions.select_related("dose", "patient", "chair__site", "course")
    return list(related.prefetch_related("vital_signs"))
