"""Read side of the sessions app: what a requester may see, the day board, free slots, the session monitor.

Every query for sessions and appointments starts from clinic.scoping.patients_visible_to, so a requester sees the
sessions of exactly the patients they may see (404 otherwise). Nothing here changes state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from clinic.charts import BoardBlock, Guide, Marker, Series, day_board_svg, time_chart_svg
from clinic.domain import local_day, site_zone
from clinic.models import Chair, Patient, Site
from clinic.protocol import Protocol, Route
from clinic.scoping import Requester, can_view_clinical, chairs_visible_to, is_active_user, patients_visible_to
from sessions.models import (
    ACTIVE_APPOINTMENT_STATUSES,
    ACTIVE_SESSION_STATUSES,
    DissociationScore,
    DoseRecord,
    DosingSession,
    IntegrationAppointment,
    SessionStatus,
    TreatmentCourse,
    VitalPhase,
    VitalSign,
)
from sessions.monitoring import RemsForm, RemsStatus, cadss_due_at, next_vitals_due
from sessions.scheduling import chair_block_minutes, free_starts
from sessions.services import (
    DISSOCIATION_STATUSES,
    patient_starts_around,
    pending_review,
    rems_form_of,
    rems_status_of,
    rolling_week_limit,
    spacing_violations,
)

BOARD_FIRST_HOUR = 7  # the board shows at least 07:00-21:00 at the site, widened to hold every booking of the day
BOARD_LAST_HOUR = 21
SUGGEST_FIRST_HOUR = 8  # free-slot suggestions start 08:00 and end by 18:00, every 15 minutes
SUGGEST_LAST_HOUR = 18
SUGGEST_STEP_MIN = 15


def sessions_visible_to(user: Requester) -> QuerySet[DosingSession]:
    return DosingSession.objects.filter(patient__in=patients_visible_to(user).values("pk")).select_related(
        "patient__site", "chair__site", "supervising_clinician", "course"
    )


def appointments_visible_to(user: Requester) -> QuerySet[IntegrationAppointment]:
    return IntegrationAppointment.objects.filter(patient__in=patients_visible_to(user).values("pk")).select_related(
        "patient__site", "therapist", "chair", "dosing_session"
    )


def get_session_for(user: Requester, pk: Any, *, clinical: bool = False) -> DosingSession:
    """The session `pk` if `user` may see its patient (and, with `clinical`, the patient's clinical data)."""
    try:
        session = sessions_visible_to(user).get(pk=int(pk))
    except (DosingSession.DoesNotExist, TypeError, ValueError):
        raise Http404("No such session.") from None
    if clinical and not can_view_clinical(user, session.patient):
        raise Http404("No such session.")
    return session


def get_appointment_for(user: Requester, pk: Any) -> IntegrationAppointment:
    try:
        return appointments_visible_to(user).get(pk=int(pk))
    except (IntegrationAppointment.DoesNotExist, TypeError, ValueError):
        raise Http404("No such appointment.") from None


def day_range(site: Site, day: dt.date, first_hour: int = 0, last_hour: int = 24) -> tuple[dt.datetime, dt.datetime]:
    """[first_hour, last_hour) of a local day at the site, in UTC (a daylight-saving day has 23 or 25 hours)."""
    tz = site_zone(site)
    start = dt.datetime.combine(day, dt.time(first_hour), tzinfo=tz)
    if last_hour == 24:
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    else:
        end = dt.datetime.combine(day, dt.time(last_hour), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def on_day(qs: QuerySet[Any], site: Site, day: dt.date, *, site_field: str) -> QuerySet[Any]:
    start, end = day_range(site, day)
    return qs.filter(**{site_field: site}, start__gte=start, start__lt=end)


# --- The day board ----------------------------------------------------------------------------------------------

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


@dataclass
class Board:
    site: Site
    day: dt.date
    chairs: list[Chair]
    sessions: list[DosingSession]
    appointments: list[IntegrationAppointment]
    svg: str = ""


def _initials(patient: Patient) -> str:
    return f"{patient.family_name}, {patient.given_name[:1]}."


def _board_hours(spans: list[tuple[dt.datetime, dt.datetime]], day: dt.date, tz: dt.tzinfo) -> tuple[int, int]:
    """The board's hours: the usual clinic day, widened so that no booking of `day` falls off its edges."""
    first, last = BOARD_FIRST_HOUR, BOARD_LAST_HOUR
    for start, end in spans:
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        if local_start.date() == day:
            first = min(first, local_start.hour)
        if local_end.date() > day:
            last = 24
        elif local_end.date() == day:
            last = max(last, local_end.hour + (1 if local_end.minute or local_end.second else 0))
    return first, min(last, 24)


def day_board(user: Requester, site: Site, day: dt.date) -> Board:
    """The chairs of `site` with the day's sessions (all statuses) and integration appointments held in chairs."""
    chairs = list(chairs_visible_to(user).filter(site=site, is_active=True).order_by("name"))
    sessions = list(on_day(sessions_visible_to(user), site, day, site_field="chair__site").order_by("start"))
    appointments = list(
        on_day(appointments_visible_to(user), site, day, site_field="patient__site")
        .filter(status__in=ACTIVE_APPOINTMENT_STATUSES)
        .order_by("start")
    )
    tz = site_zone(site)
    first_hour, last_hour = _board_hours(
        [(s.start, s.block_end) for s in sessions] + [(a.start, a.end) for a in appointments], day, tz
    )
    first, last = day_range(site, day, first_hour, last_hour)
    lane = {chair.pk: index for index, chair in enumerate(chairs)}
    blocks = [
        BoardBlock(
            lane=lane.get(s.chair_id, -1),
            start=s.start,
            end=s.block_end,
            title=f"{s.start.astimezone(tz):%H:%M} {_initials(s.patient)}",
            subtitle=f"{s.get_status_display()} · {s.get_route_display()}",
            href=reverse("staff:sessions:session", args=[s.pk]),
            css_class=f"status-{s.status}",
        )
        for s in sessions
    ]
    blocks += [
        BoardBlock(
            lane=lane.get(a.chair_id or -1, -1),
            start=a.start,
            end=a.end,
            title=f"{a.start.astimezone(tz):%H:%M} {_initials(a.patient)}",
            subtitle=f"Integration · {a.therapist.get_full_name() or a.therapist.username}",
            href=reverse("staff:sessions:appointment_calendar", args=[a.pk]),
            css_class="status-integration",
        )
        for a in appointments
        if a.chair_id
    ]
    svg = day_board_svg(
        [c.name for c in chairs],
        blocks,
        day_start=first,
        day_end=last,
        tz=tz,
        title=f"Chairs of {site.name} on {day:%A %Y-%m-%d}",
        now=timezone.now(),
    )
    return Board(site, day, chairs, sessions, appointments, svg)


def free_slots(
    user: Requester,
    patient: Patient,
    day: dt.date,
    route: Route,
    protocol: Protocol,
    duration_min: int | None = None,
    *,
    course: TreatmentCourse | None = None,
) -> list[tuple[Chair, list[dt.datetime]]]:
    """Starts on `day` (08:00-18:00 at the site, every 15 min, not in the past) where each chair of the patient's
    site is free for the route's whole chair block, the patient has nothing else booked (dosing or integration),
    and the patient's 48 h interval and rolling-7-day limit (the course template's own limit when booking for
    `course`) allow a dosing session. Suggestions only: the booking service still applies every rule."""
    site = patient.site
    first, last = day_range(site, day, SUGGEST_FIRST_HOUR, SUGGEST_LAST_HOUR)
    block = chair_block_minutes(route, duration_min, protocol)
    patient_busy = [
        (s.start, s.block_end)
        for s in DosingSession.objects.filter(
            patient=patient, status__in=ACTIVE_SESSION_STATUSES, start__lt=last, block_end__gt=first
        )
    ]
    patient_busy += [
        (a.start, a.end)
        for a in IntegrationAppointment.objects.filter(
            patient=patient, status__in=ACTIVE_APPOINTMENT_STATUSES, start__lt=last, end__gt=first
        )
    ]
    spaced = _spacing_allows(patient, first, last, protocol, course)
    now = timezone.now()
    result = []
    for chair in chairs_visible_to(user).filter(site=site, is_active=True).order_by("name"):
        busy = [
            (s.start, s.block_end)
            for s in DosingSession.objects.filter(
                chair=chair, status__in=ACTIVE_SESSION_STATUSES, start__lt=last, block_end__gt=first
            )
        ]
        busy += [
            (a.start, a.end)
            for a in IntegrationAppointment.objects.filter(
                chair=chair, status__in=ACTIVE_APPOINTMENT_STATUSES, start__lt=last, end__gt=first
            )
        ]
        starts = free_starts(busy + patient_busy, first, last, block, SUGGEST_STEP_MIN)
        result.append((chair, [s for s in starts if s >= now and spaced(s)]))
    return result


def _spacing_allows(
    patient: Patient, first: dt.datetime, last: dt.datetime, protocol: Protocol, course: TreatmentCourse | None
) -> Callable[[dt.datetime], bool]:
    """A test of one start against the patient's spacing rules (one query for the whole window, each start
    judged once whatever the number of chairs)."""
    template = protocol.scheduling.templates.get(course.template) if course is not None else None
    limit = rolling_week_limit(protocol, template)
    existing = patient_starts_around(patient, first, last, protocol=protocol)
    tz = site_zone(patient.site)
    judged: dict[dt.datetime, bool] = {}

    def allows(start: dt.datetime) -> bool:
        if start not in judged:
            judged[start] = not spacing_violations(existing, start, protocol=protocol, weekly_limit=limit, tz=tz)
        return judged[start]

    return allows


def upcoming_for_patient(patient: Patient, *, limit: int = 10) -> list[DosingSession | IntegrationAppointment]:
    """The patient's next dosing sessions and integration appointments, soonest first."""
    now = timezone.now()
    sessions = list(
        DosingSession.objects.filter(patient=patient, status__in=ACTIVE_SESSION_STATUSES, block_end__gte=now)
        .exclude(status=SessionStatus.DISCHARGED)
        .select_related("chair__site", "course")
        .order_by("start")[:limit]
    )
    appointments = list(
        IntegrationAppointment.objects.filter(patient=patient, status=ACTIVE_APPOINTMENT_STATUSES[0], end__gte=now)
        .select_related("therapist", "chair")
        .order_by("start")[:limit]
    )
    items: list[DosingSession | IntegrationAppointment] = [*sessions, *appointments]
    return sorted(items, key=lambda item: item.start)[:limit]


# --- The session page -------------------------------------------------------------------------------------------


@dataclass
class Monitor:
    """What the nurse needs at a glance while the session runs."""

    readings: list[VitalSign]
    latest_pre: VitalSign | None
    pending_reasons: tuple[str, ...]
    dose: DoseRecord | None
    next_due: dt.datetime | None
    overdue: bool
    observation_min: int | None
    observation_needed_min: int
    observation_complete: bool
    vitals_every_min: int | None
    aldrete_discharge_min: int
    alerts: list[tuple[VitalSign, str]]
    chart: str
    dissociation: list[DissociationScore]
    cadss_due: dt.datetime | None
    cadss_at_min: int
    cadss_pending: bool
    cadss_overdue: bool

    @property
    def next_due_ms(self) -> int | None:
        """The due time as epoch milliseconds, for the page's countdown script."""
        return int(self.next_due.timestamp() * 1000) if self.next_due else None


def session_monitor(session: DosingSession, protocol: Protocol) -> Monitor:
    now = timezone.now()
    readings = list(session.vital_signs.order_by("recorded_at", "id"))
    pre = [r for r in readings if r.phase == VitalPhase.PRE]
    latest_pre = max(pre, key=lambda r: (r.recorded_at, r.pk)) if pre else None
    dose = DoseRecord.objects.filter(session=session).first()
    next_due: dt.datetime | None = None
    if dose is not None and session.status in (SessionStatus.DOSING, SessionStatus.MONITORING):
        since_start = [r.recorded_at for r in readings if r.recorded_at >= dose.started_at]
        # A reading may be stamped a few minutes ahead of the server's clock (clinic devices drift).
        current = max([now, *since_start, dose.ended_at or now])
        next_due = next_vitals_due(
            max(since_start) if since_start else None, dose.started_at, dose.ended_at, current, protocol.monitoring
        )
    observation_min = (now - dose.ended_at) // dt.timedelta(minutes=1) if dose and dose.ended_at else None
    observation_needed_min = protocol.dosing.routes[Route(session.route)].observation_min
    vitals_every_min = {
        SessionStatus.DOSING: protocol.monitoring.vitals_every_min_while_dosing,
        SessionStatus.MONITORING: protocol.monitoring.vitals_every_min_after_dosing,
    }.get(SessionStatus(session.status))
    pending = pending_review(session, latest_pre) if session.status == SessionStatus.CHECKED_IN else None
    dissociation = list(session.dissociation_scores.select_related("recorded_by"))
    cadss_due = cadss_due_at(dose.started_at, protocol.monitoring) if dose is not None else None
    cadss_pending = cadss_due is not None and not dissociation and session.status in DISSOCIATION_STATUSES
    return Monitor(
        readings=readings,
        latest_pre=latest_pre,
        pending_reasons=pending.reasons if pending else (),
        dose=dose,
        next_due=next_due,
        overdue=bool(next_due and next_due <= now),
        observation_min=observation_min,
        observation_needed_min=observation_needed_min,
        observation_complete=observation_min is not None and observation_min >= observation_needed_min,
        vitals_every_min=vitals_every_min,
        aldrete_discharge_min=protocol.instruments.aldrete_discharge_min,
        alerts=[(r, alert) for r in readings for alert in r.alerts],
        chart=vitals_chart(session, readings, dose, protocol, now),
        dissociation=dissociation,
        cadss_due=cadss_due,
        cadss_at_min=protocol.monitoring.cadss_at_min,
        cadss_pending=cadss_pending,
        cadss_overdue=bool(cadss_pending and cadss_due is not None and cadss_due <= now),
    )


def vitals_chart(
    session: DosingSession, readings: list[VitalSign], dose: DoseRecord | None, protocol: Protocol, now: dt.datetime
) -> str:
    if not readings:
        return ""
    tz = site_zone(session.patient.site)
    first = min(r.recorded_at for r in readings)
    last = max(r.recorded_at for r in readings)
    end = max(last, now) if session.status in (SessionStatus.DOSING, SessionStatus.MONITORING) else last
    limits = protocol.monitoring.alert
    markers = []
    if dose is not None:
        markers.append(Marker(dose.started_at, "dosing"))
        if dose.ended_at:
            markers.append(Marker(dose.ended_at, "end"))
    return time_chart_svg(
        [
            Series("Systolic", tuple((r.recorded_at, r.systolic) for r in readings), "chart-systolic"),
            Series("Diastolic", tuple((r.recorded_at, r.diastolic) for r in readings), "chart-diastolic"),
            Series("Heart rate", tuple((r.recorded_at, r.heart_rate) for r in readings), "chart-heart-rate"),
        ],
        start=first - dt.timedelta(minutes=5),
        end=end + dt.timedelta(minutes=5),
        y_min=30,
        y_max=220,
        tz=tz,
        title=f"Blood pressure and heart rate, {local_day(session.patient.site, first):%Y-%m-%d}",
        guides=[
            Guide(limits.systolic_above, f"systolic alert > {limits.systolic_above}"),
            Guide(limits.diastolic_above, f"diastolic alert > {limits.diastolic_above}"),
        ],
        markers=markers,
        alert_points=[(r.recorded_at, r.systolic) for r in readings if r.alerts],
    )


# --- REMS forms -------------------------------------------------------------------------------------------------


@dataclass
class RemsDue:
    """A discharged esketamine session whose REMS Patient Monitoring Form has not been marked submitted."""

    session: DosingSession
    form: RemsForm
    status: RemsStatus

    @property
    def site_tz(self) -> str:
        return str(self.session.chair.site.time_zone)


def rems_sessions_visible_to(user: Requester) -> QuerySet[DosingSession]:
    """Esketamine sessions with what their REMS form is made of, for staff who may see clinical data."""
    if not (is_active_user(user) and can_view_clinical(user)) or user.is_patient_user:
        return DosingSession.objects.none()
    return (
        sessions_visible_to(user)
        .filter(route=Route.ESKETAMINE)
        .select_related("dose", "discharge", "rems_submission")
        .prefetch_related("vital_signs", "adverse_events", "dissociation_scores")
    )


def rems_due(user: Requester, protocol_for: Callable[[Site], Protocol]) -> list[RemsDue]:
    """The discharged esketamine sessions the user may see whose REMS form is due or overdue, the earliest due
    first; `protocol_for(site)` gives each site's protocol."""
    sessions = rems_sessions_visible_to(user).filter(status=SessionStatus.DISCHARGED, rems_submission__isnull=True)
    rows = []
    for session in sessions:
        form = rems_form_of(session, protocol_for(session.chair.site))
        rows.append(RemsDue(session, form, rems_status_of(session, form)))
    return sorted(rows, key=lambda row: (row.form.due_on or dt.date.max, row.session.start))
