"""What is observed during a session besides vital signs: adverse events (with the action taken) and CADSS-6
dissociation ratings (clinical protocol §4, "During"). A severe adverse event notifies the care team."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic.domain import past_time, require, text
from clinic.errors import Conflict, InvalidInput
from clinic.models import NotificationKind, User
from clinic.notifications import notify_care_team
from clinic.services import use_protocol
from sessions.models import AdverseEvent, AdverseEventKind, DissociationScore, DoseRecord, DosingSession, Severity
from sessions.permissions import can_run_sessions
from sessions.services.base import (
    ADVERSE_EVENT_STATUSES,
    DISSOCIATION_STATUSES,
    MINUTE,
    audit_step,
    instrument_total,
    lock_session,
)


def record_adverse_event(
    *,
    by: User,
    session: DosingSession,
    kind: str,
    severity: str,
    action_taken: str,
    notes: str = "",
    occurred_at: dt.datetime | None = None,
) -> AdverseEvent:
    """An adverse event with its severity and the action taken (clinical protocol §4, "During"); a severe
    one notifies the care team."""
    require(can_run_sessions(by), "Only a nurse or a prescriber may record an adverse event.")
    errors: dict[str, str] = {}
    if kind not in AdverseEventKind.values:
        errors["kind"] = f"Choose what happened: {', '.join(str(label).lower() for label in AdverseEventKind.labels)}."
    if severity not in Severity.values:
        errors["severity"] = f"Choose how severe: {', '.join(str(label).lower() for label in Severity.labels)}."
    if not text(action_taken):
        errors["action_taken"] = "Say what was done."
    if errors:
        raise InvalidInput(errors)
    when = past_time(occurred_at, "occurred_at", timezone.now())
    with transaction.atomic():
        session = lock_session(session)
        if session.status not in ADVERSE_EVENT_STATUSES:
            raise Conflict(
                "Adverse events are recorded once the patient has checked in.",
                code="invalid_transition",
                details={"status": session.status},
            )
        event = AdverseEvent.objects.create(
            session=session,
            occurred_at=when,
            kind=kind,
            severity=severity,
            action_taken=text(action_taken),
            notes=text(notes),
            recorded_by=by,
        )
        audit_step(
            "sessions.adverseevent.create",
            session,
            event,
            by,
            kind=kind,
            severity=severity,
            action_taken=event.action_taken,
        )
        if severity == Severity.SEVERE:
            notify_care_team(
                session.patient,
                kind=NotificationKind.SAFETY_ALERT,
                title=f"Severe adverse event: {event.get_kind_display()}",
                body=event.action_taken,
                link=reverse("staff:sessions:session", args=[session.pk]),
                dedupe_key=f"sessions-adverse-event-{event.pk}",
            )
    return event


def record_dissociation(*, by: User, session: DosingSession, items: Sequence[int]) -> DissociationScore:
    """A CADSS-6 rating (clinical protocol §4, "During": six items 0-4, due `cadss_at_min` after dosing
    starts), recorded while dosing or in observation (else invalid_transition); a bad item answers 400 naming it."""
    require(can_run_sessions(by), "Only a nurse or a prescriber may record a dissociation score.")
    with transaction.atomic():
        session = lock_session(session)
        if session.status not in DISSOCIATION_STATUSES:
            raise Conflict(
                "The CADSS-6 is recorded while dosing or in observation after it; this session is "
                f"{session.get_status_display().lower()}.",
                code="invalid_transition",
                details={"status": session.status},
            )
        version, protocol = use_protocol(session.patient.site)
        total = instrument_total("cadss6", items, protocol, "items", name_the_item=True)
        dose = DoseRecord.objects.get(session=session)
        now = timezone.now()
        record = DissociationScore.objects.create(
            session=session,
            items=list(items),
            total=total,
            minutes_after_dosing_start=max(0, (now - dose.started_at) // MINUTE),
            recorded_by=by,
            recorded_at=now,
            protocol_version=version,
        )
        audit_step(
            "sessions.dissociationscore.create",
            session,
            record,
            by,
            items=list(items),
            total=total,
            minutes_after_dosing_start=record.minutes_after_dosing_start,
            protocol_version=version.number,
        )
    return record
