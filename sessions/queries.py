"""Read side of the sessions app: what a requester may see, the day board, free slots, the session monitor.

Every query for sessions and appointments starts from clinic.scoping.patients_visible_to, so a requester sees the
sessions of exactly the patients they may see (404 otherwise). Nothing here changes state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from clinic import times
from clinic.charts import BoardBlock, Guide, Marker, Series, day_board_svg, time_chart_svg
from clinic.domain import local_day, site_zone
from clinic.models import Chair, Patient, Site
from clinic.protocol import Protocol, Route
from clinic.scoping import (
    Requester,
    can_view_clinical,
    chairs_visible_to,
    is_active_user,
    note_refused,
    patients_visible_to,
)
from clinic.services import current_protocol
from intake.services import is_cleared_for_dosing
from sessions import permissions
from sessions.chairside import (
    ScheduleRow,
    appointment_rows,
    board_span,
    session_rows,
    vitals_due,
    with_chairside,
)
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
from sessions.monitoring import RemsForm, RemsStatus, cadss_due_at
from sessions.progress import ChecklistView as ChecklistView
from sessions.progress import checklist_view as checklist_view
from sessions.progress import ends_early
from sessions.scheduling import chair_block_minutes, free_starts
from sessions.services import (
    ADVERSE_EVENT_STATUSES,
    DISSOCIATION_STATUSES,
    IN_PROGRESS_STATUSES,
    PHASE_BY_STATUS,
    check_in_correctable,
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
        note_refused(DosingSession, pk)
        raise Http404("No such session.") from None
    if clinical and not can_view_clinical(user, session.patient):
        note_refused(DosingSession, session.pk)
        raise Http404("No such session.")
    return session


def get_appointment_for(user: Requester, pk: Any) -> IntegrationAppointment:
    try:
        return appointments_visible_to(user).get(pk=int(pk))
    except (IntegrationAppointment.DoesNotExist, TypeError, ValueError):
        note_refused(IntegrationAppointment, pk)
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


@dataclass
class Board:
    site: Site
    day: dt.date
    chairs: list[Chair]
    sessions: list[DosingSession]
    appointments: list[IntegrationAppointment]
    svg: str = ""
    rows: list[ScheduleRow] = field(default_factory=list)


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
    """The chairs of `site` with the day's sessions (all statuses) and integration appointments held in chairs; a
    session's block sits where dosing really started, and each row says what needs the nurse (sessions.chairside)."""
    chairs = list(chairs_visible_to(user).filter(site=site, is_active=True).order_by("name"))
    sessions = with_chairside(on_day(sessions_visible_to(user), site, day, site_field="chair__site").order_by("start"))
    appointments = day_appointments(user, site, day)
    tz = site_zone(site)
    spans = {s.pk: board_span(s) for s in sessions}
    first_hour, last_hour = _board_hours([*spans.values()] + [(a.start, a.end) for a in appointments], day, tz)
    first, last = day_range(site, day, first_hour, last_hour)
    lane = {chair.pk: index for index, chair in enumerate(chairs)}
    blocks = [
        BoardBlock(
            lane=lane.get(s.chair_id, -1),
            start=spans[s.pk][0],
            end=spans[s.pk][1],
            title=f"{times.site_time(spans[s.pk][0], site, zone=False)} {_initials(s.patient)}",
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
            title=f"{times.site_time(a.start, site, zone=False)} {_initials(a.patient)}",
            subtitle=f"Integration · {a.therapist.get_full_name() or a.therapist.username}",
            href=reverse("staff:sessions:appointment", args=[a.pk]),
            css_class="status-integration",
        )
        for a in appointments
        if a.chair_id
    ]
    now = timezone.now()
    svg = day_board_svg(
        [c.name for c in chairs],
        blocks,
        day_start=first,
        day_end=last,
        tz=tz,
        title=f"Chairs of {site.name} on {times.site_date(day)}",
        now=now,
    )
    rows = schedule_rows(user, sessions, appointments, now)
    return Board(site, day, chairs, sessions, appointments, svg, rows)


def day_appointments(user: Requester, site: Site, day: dt.date) -> list[IntegrationAppointment]:
    return list(
        on_day(appointments_visible_to(user), site, day, site_field="patient__site")
        .filter(status__in=ACTIVE_APPOINTMENT_STATUSES)
        .order_by("start")
    )


def schedule_rows(
    user: Requester,
    sessions: list[DosingSession],
    appointments: list[IntegrationAppointment],
    now: dt.datetime,
) -> list[ScheduleRow]:
    """The rows of a schedule (board, staff home, patient page), soonest first, with the flags the user may see."""
    protocols: dict[int, Protocol] = {}

    def protocol_for(site: Site) -> Protocol:
        if site.pk not in protocols:
            protocols[site.pk] = current_protocol(site)
        return protocols[site.pk]

    rows = session_rows(sessions, now, protocol_for, clinical=can_view_clinical(user)) + appointment_rows(appointments)
    return sorted(rows, key=lambda row: row.start)


def today_at(user: Requester, site: Site) -> tuple[dt.date, list[ScheduleRow]]:
    """The staff home's "Today" at one site: the local day and its rows."""
    day = local_day(site, timezone.now())
    sessions = with_chairside(on_day(sessions_visible_to(user), site, day, site_field="chair__site").order_by("start"))
    return day, schedule_rows(user, sessions, day_appointments(user, site, day), timezone.now())


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
        .select_related("patient", "therapist", "chair")
        .order_by("start")[:limit]
    )
    items: list[DosingSession | IntegrationAppointment] = [*sessions, *appointments]
    return sorted(items, key=lambda item: item.start)[:limit]


def past_for_patient(patient: Patient, *, limit: int = 20) -> list[DosingSession | IntegrationAppointment]:
    """The patient's sessions and integration appointments that have begun (or were cancelled), latest first."""
    now = timezone.now()
    sessions = list(
        DosingSession.objects.filter(patient=patient, start__lt=now)
        .select_related("chair__site")
        .order_by("-start")[:limit]
    )
    appointments = list(
        IntegrationAppointment.objects.filter(patient=patient, start__lt=now)
        .select_related("therapist", "chair")
        .order_by("-start")[:limit]
    )
    items: list[DosingSession | IntegrationAppointment] = [*sessions, *appointments]
    return sorted(items, key=lambda item: item.start, reverse=True)[:limit]


def upcoming_rows(user: Requester, patient: Patient) -> list[ScheduleRow]:
    """The patient page's list: the next sessions and integration appointments as schedule rows."""
    items = upcoming_for_patient(patient)
    ids = [item.pk for item in items if isinstance(item, DosingSession)]
    sessions = with_chairside(DosingSession.objects.filter(pk__in=ids).order_by("start"))
    appointments = [item for item in items if isinstance(item, IntegrationAppointment)]
    return schedule_rows(user, sessions, appointments, timezone.now())


@dataclass(frozen=True)
class BookingClearance:
    """Whether free times may be offered for a patient, and if not why (the reasons only for clinical staff) and
    where intake completes what is missing."""

    cleared: bool
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    intake_url: str = ""


def booking_clearance(user: Requester, patient: Patient) -> BookingClearance:
    """intake's `is_cleared_for_dosing` for the booking page: screening, consent and medical clearance."""
    clearance = is_cleared_for_dosing(patient, timezone.now())
    if not can_view_clinical(user, patient):
        return BookingClearance(clearance.cleared)
    return BookingClearance(
        clearance.cleared,
        tuple(clearance.reasons),
        tuple(clearance.safety_alerts + clearance.warnings),
        reverse("staff:intake", args=[patient.pk]),
    )


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
    planned_end: dt.datetime | None = None
    ends_early: bool = False

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
    next_due = vitals_due(session, readings, dose, protocol, now)
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
    planned_end = dose.started_at + dt.timedelta(minutes=dose.duration_min) if dose and dose.duration_min else None
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
        planned_end=planned_end,
        ends_early=bool(
            session.status == SessionStatus.DOSING
            and dose is not None
            and ends_early(dose.started_at, now, dose.duration_min, protocol.monitoring.early_stop_tolerance_min)
        ),
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
        title=f"Blood pressure and heart rate, {times.site_date(first, session.patient.site)}",
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


# --- What the session page offers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionActions:
    """What the session page shows and offers, decided from the session's status (its transition table and the
    services' rules) and the user's role; the template asks these flags and never the status itself."""

    check_in: bool
    correct_check_in: bool
    record_vitals: bool
    start_dosing: bool
    acknowledge_review: bool
    defer: bool
    end_dosing: bool
    record_dissociation: bool
    record_adverse: bool
    discharge: bool
    submit_rems: bool
    cancel: bool
    no_show: bool
    live: bool
    awaiting_pre_dose_vitals: bool
    vitals_when: str


def session_actions(session: DosingSession, user: Requester, *, rems_submitted: bool = False) -> SessionActions:
    can_book, can_run = permissions.can_book(user), permissions.can_run_sessions(user)
    status = SessionStatus(session.status)
    return SessionActions(
        check_in=can_run and session.may_become(SessionStatus.CHECKED_IN),
        correct_check_in=can_run and check_in_correctable(session),
        record_vitals=can_run and status in PHASE_BY_STATUS,
        start_dosing=can_run and session.may_become(SessionStatus.DOSING),
        acknowledge_review=permissions.can_prescribe(user) and session.may_become(SessionStatus.DOSING),
        defer=can_run and session.may_become(SessionStatus.DEFERRED),
        end_dosing=can_run and session.may_become(SessionStatus.MONITORING),
        record_dissociation=can_run and status in DISSOCIATION_STATUSES,
        record_adverse=can_run and status in ADVERSE_EVENT_STATUSES,
        discharge=can_run and session.may_become(SessionStatus.DISCHARGED),
        submit_rems=permissions.can_submit_rems(user) and status == SessionStatus.DISCHARGED and not rems_submitted,
        cancel=can_book and session.may_become(SessionStatus.CANCELLED),
        no_show=can_book and session.may_become(SessionStatus.NO_SHOW),
        live=status in IN_PROGRESS_STATUSES,
        awaiting_pre_dose_vitals=status == SessionStatus.CHECKED_IN,
        vitals_when={SessionStatus.DOSING: "while dosing", SessionStatus.MONITORING: "after dosing"}.get(status, ""),
    )
