"""The PDF reports of the sessions app (clinic.reports): the course summary, one session's record, and the
esketamine REMS Patient Monitoring Form. `register()` adds them to clinic.reports.kinds (from the AppConfig).

Builders only read: the sessions' own records (sessions.models, sessions.queries), the REMS form as
sessions.services computes it, and intake's screening and PHQ-9 scores (intake.models). Every time is printed on
the wall clock of the patient's site. The templates (templates/pdf/course-summary.html, session-record.html,
rems-form.html) get exactly the dictionaries documented below; nothing in them calls back into the models.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch
from django.utils import timezone

from clinic import pdf, times
from clinic.charts import Guide, Marker, Series, time_chart_svg
from clinic.models import Patient, Role, User
from clinic.protocol import Protocol, Route
from clinic.reports.kinds import Choice, Parameters, ReportContent, ReportKind, ReportUnavailable
from clinic.reports.kinds import register as add
from clinic.shared_reads import per_request
from intake.instruments import Instrument
from intake.models import Assessment, Screening, ScreeningStatus
from sessions import queries, services
from sessions.dosing import ROUTE_LABELS
from sessions.models import DosingSession, SessionStatus, TreatmentCourse, VitalSign

# Sessions with something to report: the patient arrived (a deferred session has its check-in and vitals).
RECORDED_STATUSES = (
    SessionStatus.CHECKED_IN,
    SessionStatus.DOSING,
    SessionStatus.MONITORING,
    SessionStatus.DISCHARGED,
    SessionStatus.DEFERRED,
)
OUTCOME_DAYS_BEFORE = 60  # the outcome chart starts this long before the course, to show the scores that led to it
OUTCOME_DAYS_AFTER = 120  # and runs this long after its end, through the weekly and fortnightly follow-up scores


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _route(route: str) -> str:
    label = ROUTE_LABELS[Route(route)]
    return label[:1].upper() + label[1:]


# --- What may be asked for ----------------------------------------------------------------------------------------


def _course_label(course: TreatmentCourse) -> str:
    return f"{course.template_label or course.template}, from {times.site_date(course.start_date, weekday=False)}"


def _session_label(session: DosingSession) -> str:
    when = times.site_datetime(session.start, session.patient.site)
    return f"{when}, {_route(session.route)}, {session.get_status_display().lower()}"


def course_choices(patient: Patient) -> list[Choice]:
    courses = TreatmentCourse.objects.filter(patient=patient).order_by("-start_date", "-id")
    return [Choice(c.pk, f"{_course_label(c)} ({c.get_status_display().lower()})") for c in courses]


def _sessions(patient: Patient) -> Any:
    return DosingSession.objects.filter(patient=patient).select_related("patient__site").order_by("-start", "-id")


@per_request
def _recorded(patient: Patient) -> list[DosingSession]:
    return list(_sessions(patient).filter(status__in=RECORDED_STATUSES))


def session_choices(patient: Patient) -> list[Choice]:
    return [Choice(s.pk, _session_label(s)) for s in _recorded(patient)]


def rems_choices(patient: Patient) -> list[Choice]:
    """The discharged esketamine sessions (a REMS form is about one): of the recorded ones, read once per page."""
    sessions = [s for s in _recorded(patient) if s.route == Route.ESKETAMINE and s.status == SessionStatus.DISCHARGED]
    return [Choice(s.pk, _session_label(s)) for s in sessions]


# --- One session --------------------------------------------------------------------------------------------------


def _session_queryset() -> Any:
    return DosingSession.objects.select_related(
        "patient__site", "chair", "supervising_clinician", "course", "protocol_version__site"
    ).prefetch_related(
        Prefetch("vital_signs", queryset=VitalSign.objects.order_by("recorded_at", "id")),
        "adverse_events__recorded_by",
        "dissociation_scores",
        "review_acknowledgements__acknowledged_by",
    )


def _one(record: Any, name: str) -> Any:
    """The one-to-one record `name` (the dose, the discharge, ...), or None when it was never recorded."""
    try:
        return getattr(record, name)
    except ObjectDoesNotExist:
        return None


def session_part(session: DosingSession, now: dt.datetime) -> dict[str, Any]:
    """One dosing session, as the templates print it:

    {"when", "route", "status", "chair", "supervising",
     "check_in": {"at", "fasting", "fasting_reasons": [str], "escort"} | None,
     "dose": {"dose", "mg_per_kg", "dosing_weight", "duration", "rates", "lot_number", "administered_by",
              "started_at", "ended_at", "warnings": [str], "steps": [str], "override": {"by", "reason"} | None} | None,
     "vitals": [{"at", "phase", "blood_pressure", "heart_rate", "spo2", "respiratory_rate", "gate", "alerts"}],
     "chart": the vitals chart (SVG, safe) or "",
     "reviews": [{"at", "by", "reason"}], "dissociation": [{"at", "minutes", "total"}],
     "adverse_events": [{"at", "kind", "severity", "action_taken", "notes"}],
     "discharge": {"at", "aldrete", "observation", "escort", "no_driving", "notes"} | None}
    """
    site = session.patient.site

    def at(value: dt.datetime | None) -> str:
        return times.site_time(value, site, zone=False)  # beside "when", which gives the zone

    readings = list(session.vital_signs.all())
    dose = _one(session, "dose")
    check_in = _one(session, "check_in")
    discharge = _one(session, "discharge")
    chart = queries.vitals_chart(session, readings, dose, session.protocol_version.protocol(), now)
    # One document holds a chart per session: each needs its own element id (vitals_chart draws "chart-title").
    chart = chart.replace('"chart-title"', f'"vitals-{session.pk}-title"')
    return {
        "when": times.site_datetime(session.start, site),
        "route": _route(session.route),
        "status": session.get_status_display(),
        "chair": session.chair.name,
        "supervising": _name(session.supervising_clinician),
        "check_in": check_in
        and {
            "at": at(check_in.checked_in_at),
            "fasting": check_in.get_fasting_display(),
            "fasting_reasons": list(check_in.fasting_reasons),
            "escort": f"Confirmed{f' ({check_in.escort_name})' if check_in.escort_name else ''}"
            if check_in.escort_confirmed
            else "Not confirmed",
        },
        "dose": dose
        and {
            "dose": f"{dose.dose_mg} mg",
            "mg_per_kg": f"{dose.mg_per_kg.normalize()} mg/kg" if dose.mg_per_kg is not None else "",
            "dosing_weight": f"{dose.dosing_weight_kg} kg ({dose.weight_basis or 'actual'})"
            if dose.dosing_weight_kg is not None
            else "",
            "duration": f"{dose.duration_min} min" if dose.duration_min else "",
            "rates": ", ".join(
                part
                for part in (
                    f"{dose.rate_mg_per_min} mg/min" if dose.rate_mg_per_min is not None else "",
                    f"pump {dose.pump_rate_ml_per_h} mL/h" if dose.pump_rate_ml_per_h is not None else "",
                    f"draw {dose.draw_volume_ml} mL" if dose.draw_volume_ml is not None else "",
                )
                if part
            ),
            "lot_number": dose.lot_number,
            "administered_by": _name(dose.administered_by),
            "started_at": at(dose.started_at),
            "ended_at": at(dose.ended_at),
            "warnings": [str(w) for w in dose.warnings],
            "steps": [str(step) for step in (dose.result or {}).get("steps", [])],
            "override": {"by": _name(dose.override_by), "reason": dose.override_reason}
            if dose.requires_override
            else None,
        },
        "vitals": [
            {
                "at": at(r.recorded_at),
                "phase": r.get_phase_display(),
                "blood_pressure": f"{r.systolic}/{r.diastolic}",
                "heart_rate": r.heart_rate,
                "spo2": f"{r.spo2} %",
                "respiratory_rate": r.respiratory_rate or "",
                "gate": r.get_gate_display() if r.gate else "",
                "alerts": [str(a) for a in r.alerts],
            }
            for r in readings
        ],
        "chart": pdf.chart_for_pdf(chart) if chart else "",
        "reviews": [
            {"at": at(a.acknowledged_at), "by": _name(a.acknowledged_by), "reason": a.reason}
            for a in session.review_acknowledgements.all()
        ],
        "dissociation": [
            {"at": at(d.recorded_at), "minutes": d.minutes_after_dosing_start, "total": d.total}
            for d in session.dissociation_scores.all()
        ],
        "adverse_events": [
            {
                "at": at(e.occurred_at),
                "kind": e.get_kind_display(),
                "severity": e.get_severity_display(),
                "action_taken": e.action_taken,
                "notes": e.notes,
            }
            for e in session.adverse_events.all()
        ],
        "discharge": discharge
        and {
            "at": at(discharge.discharged_at),
            "aldrete": f"{discharge.aldrete_total} of 10",
            "observation": f"{discharge.observation_min} min",
            "escort": discharge.escort_name or ("Confirmed" if discharge.escort_confirmed else "Not confirmed"),
            "no_driving": "Acknowledged" if discharge.no_driving_acknowledged else "Not recorded",
            "notes": discharge.notes,
        },
    }


def _session_of(patient: Patient, parameters: Parameters) -> DosingSession:
    session: DosingSession | None = _session_queryset().filter(patient=patient, pk=parameters["session"]).first()
    if session is None:
        raise ReportUnavailable("This dosing session is no longer on the patient's record.")
    return session


def session_record(patient: Patient, parameters: Parameters) -> ReportContent:
    """One dosing session: {"session": session_part(...), "course": {"label"} | None}."""
    session = _session_of(patient, parameters)
    part = session_part(session, timezone.now())
    return ReportContent(
        title=f"Session record: {part['route']}, {part['when']}",
        context={"session": part, "course": {"label": _course_label(session.course)} if session.course else None},
        protocol_version=session.protocol_version.label,
    )


# --- The course ---------------------------------------------------------------------------------------------------


def _screening_before(patient: Patient, before: dt.datetime) -> Screening | None:
    decided = Screening.objects.filter(patient=patient).exclude(status=ScreeningStatus.DRAFT)
    decided = decided.select_related("override__prescriber").order_by("-screened_at", "-id")
    return decided.filter(screened_at__lte=before).first() or decided.first()


def screening_part(screening: Screening | None) -> dict[str, Any] | None:
    """{"screened_at", "decision", "status", "findings": [{"kind", "code", "message"}],
    "override": {"by", "at", "reason"} | None}, or None when the patient was never screened."""
    if screening is None:
        return None
    override = _one(screening, "override")
    site = screening.patient.site
    return {
        "screened_at": times.site_date(screening.screened_at, site),
        "decision": screening.get_decision_display().capitalize() if screening.decision else "Not decided",
        "status": screening.get_status_display(),
        "findings": [
            {"kind": str(f.get("kind", "")).capitalize(), "code": f.get("code", ""), "message": f.get("message", "")}
            for f in screening.findings
        ],
        "override": override
        and {
            "by": _name(override.prescriber),
            "at": times.site_date(override.created_at, site),
            "reason": override.reason,
        },
    }


def outcome_part(course: TreatmentCourse, sessions: list[DosingSession], protocol: Protocol) -> dict[str, Any]:
    """PHQ-9 around the course: {"scores": [{"date", "total", "severity"}], "chart": SVG (safe) or "",
    "baseline": "PHQ-9 11 before the first dose" or "", "remission_below": 5}."""
    site = course.patient.site
    zone = services.site_zone(site)
    first_day = course.start_date - dt.timedelta(days=OUTCOME_DAYS_BEFORE)
    last_day = (course.end_date or timezone.localdate(timezone.now(), zone)) + dt.timedelta(days=OUTCOME_DAYS_AFTER)
    scores = list(
        Assessment.objects.filter(
            patient=course.patient,
            instrument=Instrument.PHQ9,
            total__isnull=False,
            administered_at__gte=dt.datetime.combine(first_day, dt.time(0), tzinfo=zone),
            administered_at__lt=dt.datetime.combine(last_day, dt.time(0), tzinfo=zone),
        ).order_by("administered_at", "id")
    )
    remission = protocol.outcomes.remission_phq9_below
    chart = ""
    if scores:
        start, end = scores[0].administered_at, scores[-1].administered_at
        dosed = [s.start for s in sessions if s.status != SessionStatus.DEFERRED]
        chart = time_chart_svg(
            [Series("PHQ-9", tuple((a.administered_at, float(a.total or 0)) for a in scores), "chart-score")],
            start=min([start, *dosed]) - dt.timedelta(days=1),
            end=max([end, *dosed]) + dt.timedelta(days=1),
            y_min=0,
            y_max=27,
            tz=zone,
            title="PHQ-9 over the course",
            chart_id="outcome",
            guides=[Guide(remission, f"remission below {remission}", "chart-goal")],
            markers=[Marker(at, f"dose {number}") for number, at in enumerate(dosed, start=1)],
        )
    baseline = ""
    if course.baseline_total is not None:
        instrument = Instrument(course.baseline_instrument or Instrument.PHQ9).label
        baseline = f"{instrument} {course.baseline_total} before the first dose"
    return {
        "scores": [
            {
                "date": times.site_date(a.administered_at, site),
                "total": a.total,
                "severity": a.severity.replace("_", " "),
            }
            for a in scores
        ],
        "chart": pdf.chart_for_pdf(chart) if chart else "",
        "baseline": baseline,
        "remission_below": remission,
    }


def course_summary(patient: Patient, parameters: Parameters) -> ReportContent:
    """The whole course:

    {"course": {"label", "route", "status", "start_date", "end_date", "stopped_reason"},
     "screening": screening_part(...) | None,
     "sessions": [session_part(...) + {"number"}], "adverse_event_count": int,
     "outcome": outcome_part(...),
     "integration_summary": added by the integration app (clinic.reports.kinds.register_section); see
         templates/pdf/course-summary.html for its keys; absent until that app provides it}
    """
    course = (
        TreatmentCourse.objects.select_related("patient__site", "protocol_version__site")
        .filter(patient=patient, pk=parameters["course"])
        .first()
    )
    if course is None:
        raise ReportUnavailable("This course is no longer on the patient's record.")
    now = timezone.now()
    sessions = list(_session_queryset().filter(course=course, status__in=RECORDED_STATUSES).order_by("start", "id"))
    first_start = sessions[0].start if sessions else now
    parts = [{"number": number, **session_part(s, now)} for number, s in enumerate(sessions, start=1)]
    return ReportContent(
        title=f"Course summary: {_course_label(course)}",
        context={
            "course": {
                "label": course.template_label or course.template,
                "route": _route(course.route),
                "status": course.get_status_display(),
                "start_date": times.site_date(course.start_date),
                "end_date": times.site_date(course.end_date),
                "stopped_reason": course.stopped_reason,
            },
            "screening": screening_part(_screening_before(patient, first_start)),
            "sessions": parts,
            "adverse_event_count": sum(len(p["adverse_events"]) for p in parts),
            "outcome": outcome_part(course, sessions, course.protocol_version.protocol()),
        },
        protocol_version=course.protocol_version.label,
    )


# --- The REMS form ------------------------------------------------------------------------------------------------


def rems_form(patient: Patient, parameters: Parameters) -> ReportContent:
    """The esketamine REMS Patient Monitoring Form as the session's records fill it:

    {"session": {"when", "route", "chair", "supervising"},
     "form": {"items": [{"label", "value", "detail", "missing"}], "due_on", "complete"},
     "submission": {"reference", "submitted_at", "submitted_by", "note"} | None}
    """
    session = _session_of(patient, parameters)
    if message := services.not_esketamine(session):
        raise ReportUnavailable(message)
    form = services.rems_form_of(session, session.protocol_version.protocol())
    submission = services.rems_submission_of(session)
    site = patient.site
    return ReportContent(
        title=f"REMS Patient Monitoring Form: {times.site_datetime(session.start, site)}",
        context={
            "session": {
                "when": times.site_datetime(session.start, site),
                "route": _route(session.route),
                "chair": session.chair.name,
                "supervising": _name(session.supervising_clinician),
            },
            "form": {
                "items": [
                    {"label": i.label, "value": i.value or "", "detail": i.detail, "missing": i.missing}
                    for i in form.items
                ],
                "due_on": times.site_date(form.due_on),
                "complete": form.complete,
            },
            "submission": submission
            and {
                "reference": submission.reference,
                "submitted_at": times.site_datetime(submission.submitted_at, site),
                "submitted_by": _name(submission.submitted_by),
                "note": submission.note,
            },
        },
        protocol_version=session.protocol_version.label,
    )


def register() -> None:
    """Called from TreatmentSessionsConfig.ready()."""
    add(
        ReportKind(
            name="course_summary",
            label="Course summary",
            template="pdf/course-summary.html",
            build=course_summary,
            parameter="course",
            choices=course_choices,
            patient_may_download=True,
            description="Screening, every session's dose and vital signs, adverse events and PHQ-9 over the course.",
            order=10,
        )
    )
    add(
        ReportKind(
            name="session_record",
            label="Session record",
            template="pdf/session-record.html",
            build=session_record,
            parameter="session",
            choices=session_choices,
            description="One dosing session: check-in, dose, vital signs, adverse events and discharge.",
            order=20,
        )
    )
    add(
        ReportKind(
            name="rems_form",
            label="REMS monitoring form",
            template="pdf/rems-form.html",
            build=rems_form,
            parameter="session",
            choices=rems_choices,
            staff_roles=frozenset({Role.PRESCRIBER, Role.NURSE, Role.CLINIC_ADMIN}),
            description="The esketamine REMS Patient Monitoring Form of a discharged session.",
            order=40,
        )
    )
