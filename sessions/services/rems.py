"""The esketamine REMS Patient Monitoring Form (clinical protocol §4): what the session's records fill in, when it is
due, and marking it submitted with the REMS's reference number. Only esketamine sessions have one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic import times
from clinic.domain import local_day, require, required_text, site_zone, text
from clinic.errors import Conflict, InvalidInput
from clinic.models import NotificationKind, NotificationSeverity, Site, User
from clinic.notifications import notify_care_team
from clinic.protocol import Protocol, Route
from clinic.services import current_protocol, use_protocol
from clinic.times import site_date
from sessions.dosing import ROUTE_LABELS
from sessions.models import (
    ACTIVE_SESSION_STATUSES,
    AdverseEventKind,
    Discharge,
    DoseRecord,
    DosingSession,
    RemsSubmission,
    SessionStatus,
    VitalPhase,
)
from sessions.monitoring import (
    BloodPressure,
    DissociationTotal,
    RemsForm,
    RemsRecord,
    RemsStatus,
    rems_form,
    rems_status,
)
from sessions.permissions import can_submit_rems
from sessions.services.base import audit_step, lock_session, plain


def not_esketamine(session: DosingSession) -> str | None:
    """Why the session has no REMS form (it is not an esketamine session), or None."""
    if session.route == Route.ESKETAMINE:
        return None
    route = ROUTE_LABELS[Route(session.route)]
    return f"Only esketamine sessions have a REMS Patient Monitoring Form; this session is dosed by {route}."


def require_esketamine(session: DosingSession) -> None:
    """Conflict `not_esketamine` for a session of another route."""
    message = not_esketamine(session)
    if message is not None:
        raise Conflict(message, code="not_esketamine")


def rems_record(session: DosingSession) -> RemsRecord:
    """What the session's own records hold for the REMS form: the dose, the blood pressure readings, over-sedation
    events, CADSS-6 totals and the discharge (prefetched relations are used as they are)."""
    dose = _dose_of(session)
    discharge = _discharge_of(session)
    return RemsRecord(
        dose_mg=dose.dose_mg if dose else None,
        lot_number=dose.lot_number if dose else "",
        dosing_started_at=dose.started_at if dose else None,
        discharged_at=discharge.discharged_at if discharge else None,
        readings=tuple(
            BloodPressure(r.recorded_at, r.systolic, r.diastolic, pre_dose=r.phase == VitalPhase.PRE)
            for r in session.vital_signs.all()
        ),
        sedation=tuple(
            (e.occurred_at, e.get_severity_display().lower())
            for e in session.adverse_events.all()
            if e.kind == AdverseEventKind.OVER_SEDATION
        ),
        dissociation=tuple(
            DissociationTotal(d.recorded_at, d.total, d.minutes_after_dosing_start)
            for d in session.dissociation_scores.all()
        ),
    )


# The one-to-one records of a session, or None (prefetched ones are used as they are).


def _dose_of(session: DosingSession) -> DoseRecord | None:
    try:
        return session.dose
    except DoseRecord.DoesNotExist:
        return None


def _discharge_of(session: DosingSession) -> Discharge | None:
    try:
        return session.discharge
    except Discharge.DoesNotExist:
        return None


def rems_form_of(session: DosingSession, protocol: Protocol) -> RemsForm:
    """The session's REMS Patient Monitoring Form under `protocol` (sessions.monitoring.rems_form)."""
    return rems_form(rems_record(session), protocol.monitoring, site_zone(session.patient.site))


def rems_submission_of(session: DosingSession) -> RemsSubmission | None:
    try:
        return session.rems_submission
    except RemsSubmission.DoesNotExist:
        return None


def rems_status_of(session: DosingSession, form: RemsForm) -> RemsStatus:
    submitted = rems_submission_of(session) is not None
    undosed = session.status not in ACTIVE_SESSION_STATUSES
    return rems_status(form.due_on, submitted, local_day(session.patient.site, timezone.now()), undosed=undosed)


def rems_form_body(form: RemsForm) -> list[dict[str, Any]]:
    """The form's items as JSON (the API's answer and the submission's snapshot)."""
    return [
        {"key": i.key, "label": i.label, "value": i.value, "missing": i.missing, "detail": i.detail, "at": i.at}
        for i in form.items
    ]


def submit_rems_form(*, by: User, session: DosingSession, reference: str, note: str = "") -> RemsSubmission:
    """Record that the esketamine REMS Patient Monitoring Form was submitted (clinical protocol §4), with
    the REMS's reference number and the form as it stands. Refused: not_esketamine; invalid_transition before
    discharge; already_submitted; 400 without a reference, or without a `note` saying how the items missing from
    the session's record were reported."""
    require(can_submit_rems(by), "Only a nurse, a prescriber or a clinic administrator may mark a REMS form submitted.")
    reference = required_text(reference, "reference", "Give the reference number the REMS gave for this form.")
    with transaction.atomic():
        session = lock_session(session)
        require_esketamine(session)
        if session.status != SessionStatus.DISCHARGED:
            raise Conflict(
                "The REMS Patient Monitoring Form is submitted after discharge; this session is "
                f"{session.get_status_display().lower()}.",
                code="invalid_transition",
                details={"status": session.status},
            )
        earlier = RemsSubmission.objects.filter(session=session).first()
        if earlier is not None:
            raise Conflict(
                f"The REMS form was already marked submitted on "
                f"{times.site_datetime(earlier.submitted_at, session.site)} (reference {earlier.reference}).",
                code="already_submitted",
            )
        version, protocol = use_protocol(session.patient.site)
        form = rems_form_of(session, protocol)
        missing = [item.label for item in form.missing]
        if missing and not text(note):
            raise InvalidInput(
                {"note": f"Missing from the session's record: {', '.join(missing)}. Say how they were reported."}
            )
        assert form.due_on is not None  # noqa: S101 - a discharged session's form has a due date
        submission = RemsSubmission.objects.create(
            session=session,
            reference=reference,
            note=text(note),
            form=plain(rems_form_body(form)),
            due_on=form.due_on,
            submitted_at=timezone.now(),
            submitted_by=by,
            protocol_version=version,
        )
        audit_step(
            "sessions.remssubmission.create",
            session,
            submission,
            by,
            reference=reference,
            due_on=form.due_on,
            missing=missing,
            note=submission.note,
            protocol_version=version.number,
        )
    return submission


# How long after its due day the deadline check still looks at a form: one overdue for longer was alerted long ago.
REMS_ALERT_LOOKBACK = dt.timedelta(days=60)


def _oldest_start_to_check(now: dt.datetime) -> dt.datetime:
    """The earliest session start whose form may still need its alert: the lookback counts from the due day, which
    is the protocol's `monitoring.rems_form_due_days` after discharge (the longest of the sites' active protocols),
    so a clinic that gives the REMS form longer is still alerted."""
    due_days = max((current_protocol(site).monitoring.rems_form_due_days for site in Site.objects.all()), default=0)
    return now - REMS_ALERT_LOOKBACK - dt.timedelta(days=due_days + 1)


def alert_rems_deadlines(now: dt.datetime | None = None) -> int:
    """Alert the care team, by email too, about each REMS Patient Monitoring Form not yet submitted whose due day is
    within `reminders.rems_form_alert_days_before` days (or past): once per form (the alert's dedupe key). The
    beat task `sessions.tasks.alert_rems_deadlines` runs it hourly. Returns how many forms were alerted."""
    now = now or timezone.now()
    sessions = (
        DosingSession.objects.filter(
            route=Route.ESKETAMINE,
            status=SessionStatus.DISCHARGED,
            rems_submission__isnull=True,
            start__gte=_oldest_start_to_check(now),
        )
        .select_related("patient__site", "chair__site", "dose", "discharge")
        .prefetch_related("vital_signs", "adverse_events", "dissociation_scores")
        .order_by("start", "pk")
    )
    alerted = 0
    for session in sessions:
        site = session.patient.site
        protocol = current_protocol(site)
        form = rems_form_of(session, protocol)
        if form.due_on is None:
            continue
        days_left = (form.due_on - local_day(site, now)).days
        if days_left > protocol.reminders.rems_form_alert_days_before:
            continue
        due = site_date(dt.datetime.combine(form.due_on, dt.time(12), tzinfo=site_zone(site)), site)
        created = notify_care_team(
            session.patient,
            kind=NotificationKind.INFO,
            severity=NotificationSeverity.WARNING,
            title=f"REMS form due ({session.patient.mrn}): the esketamine session of "
            f"{site_date(session.start, site)} needs its REMS Patient Monitoring Form by {due}",
            body="Submit the form to the REMS and record its reference number on the session page.",
            link=reverse("staff:sessions:session", args=[session.pk]),
            dedupe_key=f"sessions.remsform.{session.pk}.deadline",
            email=True,
        )
        alerted += bool(created)
    return alerted
